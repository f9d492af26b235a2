"""The WSGI and ASGI applications of tests/server_urls.py (tests/test_servers_engine.py)."""

from __future__ import annotations

import django
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

django.setup()
application = get_wsgi_application()
asgi = get_asgi_application()
