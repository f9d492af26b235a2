"""Functions decorated with the Tasks framework's ``@task``, for the Hatchet Tasks backend.

Import this module only while ``TASKS`` points at ``django_hatchet.tasks_backend.HatchetBackend``
(``tests.tasks_settings``, or the ``tasks_module`` fixture): ``@task`` builds its task with the
backend configured at import time.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.tasks import TaskContext, task
else:
    try:
        from django.tasks import TaskContext, task
    except ImportError:
        from django_tasks import TaskContext, task


class TaskBroke(Exception):
    pass


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def echo(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return {"args": list(args), "kwargs": kwargs}


@task
def fail(message: str) -> None:
    raise TaskBroke(message)


@task
def fail_builtin() -> None:
    raise ValueError("not valid")


@task
def bad_return() -> object:
    return object()


@task(takes_context=True)
def with_context(context: TaskContext[Any, Any], x: int) -> dict[str, Any]:
    return {"attempt": context.attempt, "id": context.task_result.id, "x": x}


@task
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@task(priority=50)
def urgent() -> str:
    return "done"
