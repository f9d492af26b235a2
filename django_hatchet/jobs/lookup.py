"""Finding a run by its id, from any process (``django_hatchet.get_run``)."""

from __future__ import annotations

from typing import Any

from ..backends import get_backend
from ..backends.base import BaseBackend
from ..exceptions import JobError
from ..runs.handle import JobRun
from ..runs.ids import checked_run_id


def lookup_backend(run_id: str) -> BaseBackend:
    """The backend that can find run ``run_id``: an engine's (inline runs cannot be found)."""
    backend = get_backend()
    if backend.inline:
        raise JobError(
            f"Cannot look up run {run_id}: jobs run inline (no HATCHET_CLIENT_TOKEN), and "
            "inline runs live only in the handle that .delay() returned.",
            run_id=run_id,
        )
    return backend


def get_run(run_id: str) -> JobRun[Any]:
    """The handle of a run on the engine, by the id ``.delay()`` returned, from any process
    (a ``CanvasRun`` for a canvas's id, a ``WorkflowRun`` for a workflow's)."""
    run_id = checked_run_id("get_run()", run_id)
    run: JobRun[Any] = JobRun(run_id, "", lookup_backend(run_id))
    run.refresh()
    from ..canvas.plan import ORCHESTRATOR

    if run.job_name == ORCHESTRATOR:  # A canvas: its handle has its steps'.
        from ..canvas.handle import adopt

        return adopt(run)
    from .registry import registry
    from .workflow import Workflow

    workflow = registry.get(run.job_name)
    if isinstance(workflow, Workflow):  # Its result: every step's, by step name.
        found = workflow.handle_class(run.id, run.job_name, run.backend)
        found.engine_run_id = run.engine_run_id
        found.refresh()
        return found
    return run
