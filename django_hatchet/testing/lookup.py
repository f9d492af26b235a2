"""Which job a test helper's ``job`` argument names: a job, a Django Tasks task, a job's name,
or the function of either.

The Tasks backend registers each task as a job named by the task's module path
(``django_hatchet.tasks_backend``); a task is recognised here by its class, from whichever of
``django.tasks`` (Django 6) or ``django_tasks`` (the backport) defined it, without importing
either.
"""

from __future__ import annotations

import difflib
import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from ..canvas.plan import ORCHESTRATOR
from ..jobs.job import Job
from ..jobs.registry import registry

if TYPE_CHECKING:
    from django.tasks import Task

__all__ = ["JobRef", "job_name"]

#: What the helpers accept for a job.
JobRef: TypeAlias = "Job[Any, Any] | Task[Any, Any] | str | Callable[..., Any]"

ACCEPTED = "a job (@job), a Django task (@task), a job's name or the function of one"


def job_name(job: object, where: str) -> str:
    """The name of the job ``job`` stands for; ``where`` (``"captured_jobs.of()"``) starts
    the error for anything else: ``TypeError`` for an object of another kind, ``ValueError``
    for a name or a task no job has."""
    if isinstance(job, Job):
        return job.name
    if isinstance(job, str):
        if job in registry or job == ORCHESTRATOR:
            return job
        raise ValueError(f"{where}: no job is registered as {job!r}{_close_names(job)}")
    if _is_task(job):
        return _task_job(job, where)
    if inspect.isfunction(job) or inspect.ismethod(job):
        found = _function_job(job)
        if found is not None:
            return found
        what = f"the function {job.__module__}.{job.__qualname__}, which no job runs"
    else:
        what = f"{type(job).__name__} ({job!r})"
    raise TypeError(f"{where}: job must be {ACCEPTED}, not {what}.")


def _is_task(value: object) -> bool:
    for module in ("django.tasks.base", "django_tasks.base"):
        framework = sys.modules.get(module)  # Loaded if a task exists.
        if framework is not None and isinstance(value, framework.Task):
            return True
    return False


def _task_job(task: Any, where: str) -> str:
    name: str = task.module_path
    if name in registry:
        return name
    backend = task.get_backend()
    raise ValueError(
        f"{where}: no job runs the task {name}: its backend ({task.backend!r}) is "
        f"{type(backend).__name__}. django-hatchet runs the tasks of "
        "django_hatchet.tasks_backend.HatchetBackend (TASKS[...]['BACKEND'])."
    )


def _function_job(func: Callable[..., Any]) -> str | None:
    for job in registry:
        if job.func is func:
            return job.name
    # The Tasks backend wraps a task's function in a job of the function's module path.
    name = f"{func.__module__}.{func.__qualname__}"
    wrapper = registry.get(name)
    if wrapper is not None and (wrapper.func.__module__, wrapper.func.__qualname__) == (
        func.__module__,
        func.__qualname__,
    ):
        return name
    return None


def _close_names(name: str) -> str:
    names = [*registry.names(), ORCHESTRATOR]
    close = [n for n in names if n.endswith(f".{name}")]
    close += [n for n in difflib.get_close_matches(name, names, cutoff=0.8) if n not in close]
    if close:
        *others, last = [repr(n) for n in close[:3]]
        return f". Did you mean {', '.join(others) + ' or ' if others else ''}{last}?"
    return f" (registered jobs: {', '.join(registry.names()) or 'none'})."
