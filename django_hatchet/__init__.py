"""Celery-style background jobs for Django, run durably on Hatchet."""

from __future__ import annotations

__version__ = "0.1.0.dev0"

from typing import TYPE_CHECKING, Any

from .conf import conf as _conf
from .exceptions import (
    EngineUnreachable,
    JobCancelled,
    JobError,
    JobFailed,
    JobNotDispatched,
    JobTimeout,
    NonRetryable,
    Retry,
    RunNotFound,
)
from .jobs import AsyncJob, Job, job
from .jobs.registry import registry
from .options import Concurrency, Idempotency, JobOptions, Priority
from .runs import JobRun, RunStatus

if TYPE_CHECKING:
    from .canvas.handle import CanvasRun
    from .canvas.shapes import chain, chord, group
    from .canvas.signature import Signature
    from .celery import shared_task
    from .jobs.about import about
    from .jobs.context import JobContext
    from .jobs.query import RunList, afind_runs, aruns_about, find_runs, runs_about
    from .jobs.workflow import Workflow, WorkflowRun, workflow
    from .runs.progress import Progress

__all__ = [
    "AsyncJob",
    "CanvasRun",
    "Concurrency",
    "EngineUnreachable",
    "Idempotency",
    "Job",
    "JobCancelled",
    "JobContext",
    "JobError",
    "JobFailed",
    "JobNotDispatched",
    "JobOptions",
    "JobRun",
    "JobTimeout",
    "NonRetryable",
    "Priority",
    "Progress",
    "Retry",
    "RunList",
    "RunNotFound",
    "RunStatus",
    "Signature",
    "Workflow",
    "WorkflowRun",
    "about",
    "afind_runs",
    "aruns_about",
    "chain",
    "chord",
    "find_runs",
    "get_run",
    "group",
    "job",
    "jobs_enabled",
    "registry",
    "runs_about",
    "send_event",
    "shared_task",
    "signature",
    "workflow",
]


def jobs_enabled() -> bool:
    """True when jobs go to a Hatchet engine; False when they run inline."""
    return not _conf.INLINE


def get_run(run_id: str) -> JobRun[Any]:
    """The handle of a run on the engine, by the id ``.delay()`` returned, from any process
    (a ``CanvasRun`` for a canvas's id)."""
    from .jobs.lookup import get_run

    return get_run(run_id)


def signature(
    job: Job[Any, Any] | str,
    args: tuple[Any, ...] | list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    *,
    immutable: bool = False,
    **options: Any,
) -> Signature:
    """Celery's ``signature("orders.price", args=(1,), countdown=10)``: a job (or its
    registered name) with some of its arguments, for a canvas."""
    from .canvas.signature import Signature

    if isinstance(job, str):
        found = registry.get(job)
        if found is None:
            raise LookupError(
                f"signature(): no job is registered as {job!r}. Registered jobs: "
                f"{', '.join(registry.names()) or 'none'}."
            )
        job = found
    if not isinstance(job, Job):
        raise TypeError(f"signature(): expected a job or a job's name, not {type(job).__name__}.")
    return Signature(job, args or (), kwargs, immutable=immutable, options=options)


def send_event(key: str, payload: dict[str, Any] | None = None) -> None:
    """Send an event: every job with ``@job(on_events=[key])`` runs with ``payload`` as its
    keyword arguments, and durable jobs waiting for it (``context.wait_for_event(key)``)
    go on (inline: here and now; on an engine: on a worker)."""
    from . import encoding
    from .backends import get_backend

    payload = payload or {}
    try:
        text = encoding.dumps(payload)
    except (TypeError, ValueError):
        raise encoding.argument_error(
            f"send_event({key!r})", None, [], {"payload": payload}
        ) from None
    if get_backend().inline:
        from .runs.events import record

        record(key, encoding.loads(text))
        for job in registry:
            if key in job.options.on_events:
                job.apply_async(kwargs=payload)
        return
    from .engine import dispatch

    dispatch.send_event(key, payload)


_CANVAS = {
    "chain": "django_hatchet.canvas.shapes",
    "group": "django_hatchet.canvas.shapes",
    "chord": "django_hatchet.canvas.shapes",
    "Signature": "django_hatchet.canvas.signature",
    "CanvasRun": "django_hatchet.canvas.handle",
    "workflow": "django_hatchet.jobs.workflow",
    "Workflow": "django_hatchet.jobs.workflow",
    "WorkflowRun": "django_hatchet.jobs.workflow",
    "RunList": "django_hatchet.jobs.query",
    "Progress": "django_hatchet.runs.progress",
    "find_runs": "django_hatchet.jobs.query",
    "afind_runs": "django_hatchet.jobs.query",
    "runs_about": "django_hatchet.jobs.query",
    "aruns_about": "django_hatchet.jobs.query",
}


def __getattr__(name: str) -> Any:
    # Imported when first asked for: a web process whose jobs use neither ``@about``, nor
    # the Celery kit, nor a context does not load them at start-up.
    if name == "JobContext":
        from .jobs.context import JobContext

        return JobContext
    if name == "about":
        from .jobs.about import about

        return about
    if name in _CANVAS:
        from importlib import import_module

        return getattr(import_module(_CANVAS[name]), name)
    if name == "shared_task":
        from .celery import shared_task

        return shared_task
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
