"""Finding a run by its id, from any process (``django_hatchet.get_run``)."""

from __future__ import annotations

import time
from typing import Any

from ..backends import get_backend
from ..backends.base import BaseBackend
from ..exceptions import JobError, RunNotFound
from ..runs.handle import JobRun
from ..runs.ids import checked_run_id, run_id_time

#: How long ``get_run`` looks for a run the engine does not list yet (it writes a new run's
#: record a moment after it answers the enqueue).
FIND_WAIT = 5.0


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
    deadline = time.monotonic() + FIND_WAIT
    while not run.job_name:  # Nowhere yet: the engine lists a new run a moment after.
        if time.monotonic() > deadline:
            raise RunNotFound(
                f"No run {run_id} was found: the engine has none with this id (since "
                f"{run_id_time(run_id):%Y-%m-%d %H:%M} UTC, when the id was made), none is "
                "scheduled, and none waits in the outbox. Check the id, and that this process "
                "uses the same engine, HATCHET_CLIENT_NAMESPACE and database as the one that "
                "enqueued it (a run enqueued in a transaction exists once it commits).",
                run_id=run_id,
            )
        time.sleep(0.5)
        run.refresh()
    from .query import typed

    return typed(run)
