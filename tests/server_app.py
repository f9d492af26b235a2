"""The WSGI and ASGI applications of tests/server_urls.py (tests/test_servers_engine.py).

With ``SERVER_BOOT_RUN`` set, importing this module enqueues a run, so that under
``gunicorn --preload`` the master process starts its dispatcher thread before it forks the
workers (each worker must start its own).
"""

from __future__ import annotations

import os

import django
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

django.setup()
application = get_wsgi_application()
asgi = get_asgi_application()

if os.environ.get("SERVER_BOOT_RUN"):
    from tests.testapp import tasks

    tasks.write_note.delay(os.environ["SERVER_BOOT_RUN"])
