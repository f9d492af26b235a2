"""The migration kit for Celery users: ``shared_task``, ``AsyncResult``, and Celery beat's
schedules as crons.

``beat`` (``manage.py hatchet_import_celery_beat``) is imported only by its command.
"""

from __future__ import annotations

from .tasks import AsyncResult, shared_task

__all__ = ["AsyncResult", "shared_task"]
