"""What the admin changes: run now, retry (replay) and cancel, each recorded in the admin's
log (``LogEntry``: who, what, when) against the run."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest

from ..jobs.job import Job
from ..models import Run
from .display import call_text


def record(request: HttpRequest, run_id: str, job: str, message: str, flag: int = CHANGE) -> None:
    LogEntry.objects.create(
        user_id=request.user.pk,
        content_type=ContentType.objects.get_for_model(Run, for_concrete_model=False),
        object_id=run_id,
        object_repr=str(Run(id=run_id, job=job))[:200],
        action_flag=flag,
        change_message=message,
    )


def run_now(
    request: HttpRequest, job: Job[Any, Any], args: list[Any], kwargs: dict[str, Any]
) -> str:
    """Enqueue a run (dispatched at once, not on commit); return its id."""
    run = job.apply_async(args=args, kwargs=kwargs, enqueue_on_commit=False)
    shown = call_text({"args": args, "kwargs": kwargs})
    record(request, run.id, job.name, f"Ran now from the admin: {job.name}{shown}", ADDITION)
    return run.id


#: A run the admin acts on: (run id, engine run id, job name).
Chosen = tuple[str, str, str]


def parse_choices(values: list[str]) -> list[Chosen]:
    """The ticked runs of the list (``"<id> <engine id> <job>"``)."""
    chosen = []
    for value in values:
        run_id, _, rest = value.partition(" ")
        engine_id, _, job = rest.partition(" ")
        if run_id and engine_id:
            chosen.append((run_id, engine_id, job))
    return chosen


def cancel(request: HttpRequest, runs: list[Chosen]) -> None:
    """Cancel the runs on the engine; a canvas's run, with every step of it still going."""
    from ..canvas.plan import ORCHESTRATOR
    from ..engine import admin_api

    admin_api.cancel([engine_id for _, engine_id, _ in runs])
    _cancel_steps([run_id for run_id, _, job in runs if job == ORCHESTRATOR])
    for run_id, _, job in runs:
        record(request, run_id, job, "Cancelled from the admin.")


def _cancel_steps(run_ids: list[str]) -> None:
    from ..canvas.handle import CanvasRun
    from ..jobs.lookup import get_run

    for run_id in run_ids:
        run = get_run(run_id)
        if isinstance(run, CanvasRun):
            run.backend.cancel_tree(run)


def retry(request: HttpRequest, runs: list[Chosen]) -> None:
    """Replay the runs on the engine: the same input, a new attempt, the same run."""
    from ..engine import admin_api

    admin_api.replay([engine_id for _, engine_id, _ in runs])
    for run_id, _, job in runs:
        record(request, run_id, job, "Retried (replayed) from the admin.")
