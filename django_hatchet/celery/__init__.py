"""The migration kit for Celery users: ``shared_task``, and Celery beat's schedules as crons.

``beat`` (``manage.py hatchet_import_celery_beat``) is imported only by its command.
"""

from __future__ import annotations

from .tasks import shared_task

__all__ = ["shared_task"]
