"""Task results: those this process holds by run id, and those made from the engine's records."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.utils import timezone

from ..runs.ids import CLOCK_SKEW, run_id_time
from .framework import (
    FAILED,
    READY,
    RUNNING,
    SUCCESSFUL,
    Task,
    TaskError,
    TaskResult,
    TaskResultDoesNotExist,
)

if TYPE_CHECKING:
    from ..engine.runs import RunRecord

P = ParamSpec("P")
R = TypeVar("R")

#: How long get_result waits for a run enqueued less than NEW_RUN_AGE ago to be written.
NEW_RUN_WAIT, NEW_RUN_AGE = 5.0, timedelta(minutes=1)
#: Inline results kept for ``get_result`` in this process, newest last.
KEEP_INLINE_RESULTS = 10_000

_lock = threading.Lock()
#: Results this process holds by run id: inline ones (for get_result), and, on an engine,
#: ones waiting for their transaction to commit.
held: OrderedDict[str, TaskResult[..., Any]] = OrderedDict()
#: The result ``enqueue`` is building, for the job_enqueued receiver to claim.
enqueuing: ContextVar[list[TaskResult[..., Any]] | None] = ContextVar(
    "django_hatchet_enqueuing", default=None
)

#: A task result's status for each status of a run on the engine.
STATUSES = {
    "SCHEDULED": READY,
    "QUEUED": READY,
    "RUNNING": RUNNING,
    "COMPLETED": SUCCESSFUL,
    "FAILED": FAILED,
    "CANCELLED": FAILED,
}


def new_result(
    task: Task[P, R], result_id: str, args: list[Any], kwargs: dict[str, Any], alias: str
) -> TaskResult[P, R]:
    """Return a READY result of ``task`` called with these arguments."""
    return TaskResult(
        task=task,
        id=result_id,
        status=READY,
        enqueued_at=None,
        started_at=None,
        last_attempted_at=None,
        finished_at=None,
        args=args,
        kwargs=kwargs,
        backend=alias,
        errors=[],
        worker_ids=[],
    )


def remember(result: TaskResult[..., Any]) -> None:
    """Hold ``result`` by its id, forgetting the oldest beyond KEEP_INLINE_RESULTS."""
    with _lock:
        held[result.id] = result
        held.move_to_end(result.id)
        while len(held) > KEEP_INLINE_RESULTS:
            held.popitem(last=False)


def engine_record(result_id: str) -> tuple[RunRecord, datetime]:
    """Return the engine's record of run ``result_id`` and when it was enqueued."""
    try:
        if uuid.UUID(result_id).version != 7:
            raise ValueError(result_id)
    except ValueError:
        raise TaskResultDoesNotExist(f"{result_id!r} is not a task result id.") from None
    from ..engine.runs import run_record

    enqueued_at = run_id_time(result_id)
    record = run_record(result_id, enqueued_at - CLOCK_SKEW)
    # The engine writes a new run asynchronously: give a young one a moment to appear.
    deadline = time.monotonic() + NEW_RUN_WAIT
    while record is None and timezone.now() - enqueued_at < NEW_RUN_AGE:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
        record = run_record(result_id, enqueued_at - CLOCK_SKEW)
    if record is None:
        raise TaskResultDoesNotExist(f"No task result {result_id!r} on the engine.")
    return record, enqueued_at


def result_from_record(
    task: Task[..., Any],
    result_id: str,
    record: RunRecord,
    enqueued_at: datetime,
    alias: str,
) -> TaskResult[..., Any]:
    """Return the result of ``task`` that the engine's record of run ``result_id`` shows."""
    call = record.input
    result = new_result(task, result_id, call.get("args", []), call.get("kwargs", {}), alias)
    status = STATUSES.get(record.status, READY)
    errors = []
    if record.error is not None:
        errors.append(TaskError(exception_class_path=record.error[0], traceback=record.error[1]))
    elif record.status == "CANCELLED":
        errors.append(
            TaskError(exception_class_path="django_hatchet.exceptions.JobCancelled", traceback="")
        )
    for name, value in (
        ("status", status),
        ("enqueued_at", enqueued_at),
        ("started_at", record.started_at),
        ("last_attempted_at", record.started_at),
        ("finished_at", record.finished_at),
        ("errors", errors),
        ("worker_ids", record.worker_ids),
    ):
        object.__setattr__(result, name, value)
    if status == SUCCESSFUL:
        object.__setattr__(result, "_return_value", record.output)
    return result
