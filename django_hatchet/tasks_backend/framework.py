"""Django's Tasks framework: ``django.tasks`` (Django 6.0), else the ``django_tasks`` backport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

#: The releases of the django-tasks backport this backend is tested with (Django 5.2): the
#: ``tasks`` extra of pyproject.toml.
BACKPORT_VERSIONS = ">=0.12,<0.13"


def _cannot_import(error: ImportError) -> ImproperlyConfigured:
    """The error for a process where neither Tasks framework could be imported."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        missing = find_spec("django_tasks") is None
    except ValueError:  # In sys.modules without a spec: it is there.
        missing = False
    if missing:
        return ImproperlyConfigured(
            "django_hatchet.tasks_backend needs Django's Tasks framework: Django 6.0 or later, "
            "or the django-tasks package on Django 5.2 (pip install 'django-hatchet[tasks]')."
        )
    try:
        installed = f"django-tasks {version('django-tasks')} is installed"
    except PackageNotFoundError:
        installed = "a django_tasks module that is not a django-tasks release is installed"
    return ImproperlyConfigured(
        f"django_hatchet.tasks_backend supports django-tasks {BACKPORT_VERSIONS} on Django 5.2 "
        f"(pip install 'django-hatchet[tasks]'), or Django 6.0's own django.tasks; {installed} "
        f"({error})."
    )


if TYPE_CHECKING:
    from django.tasks import TaskContext, TaskResult, TaskResultStatus
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.base import DEFAULT_TASK_QUEUE_NAME, Task, TaskError
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued, task_finished, task_started
    from django.utils.json import normalize_json
else:
    try:
        from django.tasks import TaskContext, TaskResult, TaskResultStatus
        from django.tasks.backends.base import BaseTaskBackend
        from django.tasks.base import DEFAULT_TASK_QUEUE_NAME, Task, TaskError
        from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
        from django.tasks.signals import task_enqueued, task_finished, task_started
        from django.utils.json import normalize_json
    except ImportError:
        try:
            from django_tasks import TaskContext, TaskResult, TaskResultStatus
            from django_tasks.backends.base import BaseTaskBackend
            from django_tasks.base import DEFAULT_TASK_QUEUE_NAME, Task, TaskError
            from django_tasks.exceptions import TaskResultDoesNotExist
            from django_tasks.signals import task_enqueued, task_finished, task_started
            from django_tasks.utils import normalize_json

            try:  # Django's name, which the backport's releases after 0.12 take.
                from django_tasks.exceptions import InvalidTask
            except ImportError:
                from django_tasks.exceptions import InvalidTaskError as InvalidTask
            if "SUCCESSFUL" not in TaskResultStatus.values:
                raise ImportError("its TaskResultStatus has SUCCEEDED where Django has SUCCESSFUL")
        except ImportError as exc:
            raise _cannot_import(exc) from None

__all__ = [
    "BACKPORT_VERSIONS",
    "DEFAULT_TASK_QUEUE_NAME",
    "FAILED",
    "READY",
    "RUNNING",
    "SUCCESSFUL",
    "BaseTaskBackend",
    "InvalidTask",
    "Task",
    "TaskContext",
    "TaskError",
    "TaskResult",
    "TaskResultDoesNotExist",
    "TaskResultStatus",
    "normalize_json",
    "task_enqueued",
    "task_finished",
    "task_started",
]

READY = TaskResultStatus("READY")
RUNNING = TaskResultStatus("RUNNING")
SUCCESSFUL = TaskResultStatus("SUCCESSFUL")
FAILED = TaskResultStatus("FAILED")
