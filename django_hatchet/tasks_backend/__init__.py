"""A backend for Django's Tasks framework that runs tasks as django-hatchet jobs.

``TASKS = {"default": {"BACKEND": "django_hatchet.tasks_backend.HatchetBackend"}}`` with
``django.tasks`` (Django 6.0) or the ``django_tasks`` backport (Django 5.2). Each ``@task``
registers a job named by the task's module path, so ``runworker`` runs it like any job; with
no token it runs inline, at enqueue (or when the transaction commits). See docs/django-tasks.md.

Imports flow one way: ``backend`` (the backend class and the job that runs each task) uses
``results`` (results held here or made from the engine's records), which uses ``framework``
(``django.tasks`` or ``django_tasks``).
"""

from __future__ import annotations

from .backend import HatchetBackend, HatchetTask, hatchet_priority
from .backend import job_for as job_for

__all__ = ["HatchetBackend", "HatchetTask", "hatchet_priority"]
