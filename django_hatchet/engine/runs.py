"""Runs on the engine: found by django-hatchet's id, read back, cancelled; and the record
Django's Tasks framework shows of a run (``run_record``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import grpc
from hatchet_sdk.utils.typing import JSONSerializableMapping

from ..runs.metadata import JOB_KEY, RUN_ID_KEY
from ..runs.progress import MARKER, Progress, parse
from .client import TooLarge, get_client

__all__ = [
    "Details",
    "RunRecord",
    "cancel",
    "cancel_where",
    "delete_schedule",
    "find_run",
    "find_schedule",
    "latest_progress",
    "parse_error",
    "run_details",
    "run_input",
    "run_record",
    "schedule_pending",
]


def find_run(run_id: str, since: datetime) -> tuple[str, str] | None:
    """(engine run id, job name) of the run django-hatchet gave this id, from its metadata."""
    rows = (
        get_client()
        .runs.list(
            since=since,
            additional_metadata={RUN_ID_KEY: run_id},
            limit=1,
            include_payloads=False,
        )
        .rows
    )
    if not rows:
        return None
    return rows[0].workflow_run_external_id, str(
        (rows[0].additional_metadata or {}).get(JOB_KEY, "")
    )


def find_schedule(run_id: str) -> tuple[str, str] | None:
    """(schedule id, job name) of a scheduled run that has not fired yet."""
    rows = get_client().scheduled.list(additional_metadata={RUN_ID_KEY: run_id}, limit=1).rows
    if not rows:
        return None
    return rows[0].metadata.id, str((rows[0].additional_metadata or {}).get(JOB_KEY, ""))


class Details(NamedTuple):
    """A run as the engine has it: its status, each task's output by task name (a job's run
    has one task, a workflow's one per step), and the failed task's name and error."""

    status: str
    outputs: dict[str, JSONSerializableMapping | None]
    failed_task: str | None
    error: str | None


def run_details(engine_run_id: str) -> Details | None:
    """The engine's record of a run; None if it has none yet (the engine writes a new run
    asynchronously)."""
    try:
        details = get_client().runs.get_details(engine_run_id)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise TooLarge(
                f"The engine's answer about run {engine_run_id} is larger than a gRPC message "
                f"may be ({exc.details()}): its input and output together are over the limit. "
                "Return less (store large results in your database or storage, and return "
                "their id), or raise HATCHET_CLIENT_GRPC_MAX_RECV_MESSAGE_LENGTH."
            ) from None
        raise
    failed = next(((n, t.error) for n, t in details.task_runs.items() if t.error), (None, None))
    outputs = {name: task.output for name, task in details.task_runs.items()}
    return Details(details.status.name, outputs, *failed)


def latest_progress(engine_run_id: str) -> Progress | None:
    """The run's latest ``context.progress()`` report: the newest progress line of its
    tasks' logs (one request a task, searched by the engine)."""
    from hatchet_sdk.clients.rest.api.log_api import LogApi
    from hatchet_sdk.clients.rest.exceptions import NotFoundException
    from hatchet_sdk.clients.rest.models.v1_log_line_order_by_direction import (
        V1LogLineOrderByDirection,
    )

    client = get_client()
    found: list[Progress] = []
    try:
        tasks = client.runs.get(engine_run_id).tasks or []
    except NotFoundException:  # Not written yet: the engine writes a new run a moment later.
        return None
    for task in tasks:
        with client.logs.client() as api:
            lines = LogApi(api).v1_log_line_list(
                task=task.task_external_id,
                search=MARKER,
                order_by_direction=V1LogLineOrderByDirection.DESC,
                limit=1,
            )
        for row in lines.rows or []:
            report = parse(row.message, row.created_at)
            if report is not None:
                found.append(report)
    return max(found, key=lambda p: p.updated_at or datetime.min) if found else None


def run_input(engine_run_id: str) -> dict[str, Any]:
    """The input a run was started with: ``{"args": [...], "kwargs": {...}}``."""
    call = get_client().runs.get(engine_run_id).run.input or {}
    return dict(call.get("input", call))


def cancel(engine_run_id: str) -> None:
    get_client().runs.cancel(engine_run_id)


def cancel_where(metadata: dict[str, str], since: datetime) -> None:
    """Cancel every run since ``since`` whose metadata has these keys and values."""
    from hatchet_sdk.features.runs import BulkCancelReplayOpts, RunFilter

    filters = RunFilter(since=since, additional_metadata=metadata)
    get_client().runs.bulk_cancel(BulkCancelReplayOpts(filters=filters))


def parse_error(serialized: str) -> tuple[str, str, str]:
    """(exception type, message, traceback) from the error text the SDK stores for a failure."""
    from hatchet_sdk.exceptions import TaskRunError

    error = TaskRunError.deserialize(serialized)
    return error.exc_type, error.exc, error.trace


def delete_schedule(schedule_id: str) -> None:
    get_client().scheduled.delete(schedule_id)


def schedule_pending(schedule_id: str) -> bool:
    """True while a scheduled run waits for its time (the engine deletes it when it fires)."""
    from hatchet_sdk.clients.rest.exceptions import NotFoundException

    try:
        scheduled = get_client().scheduled.get(schedule_id)
    except NotFoundException:
        return False
    return not scheduled.workflow_run_id


@dataclass(frozen=True)
class RunRecord:
    """What the engine knows of one run (``status`` is SCHEDULED before a deferred run fires)."""

    job_name: str
    status: str
    input: dict[str, Any]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output: Any = None
    #: (exception class path, traceback) of a failed run.
    error: tuple[str, str] | None = None
    worker_ids: list[str] = field(default_factory=list)


def run_record(run_id: str, since: datetime) -> RunRecord | None:
    """The engine's record of the run django-hatchet gave this id; None if it has none."""
    found = find_run(run_id, since)
    if found is None:
        return _scheduled(run_id)
    engine_run_id, job_name = found
    from hatchet_sdk.clients.rest.exceptions import NotFoundException

    try:
        details = get_client().runs.get(engine_run_id)
    except NotFoundException:  # Listed, but its details are not written yet.
        return RunRecord(job_name, "QUEUED", {})
    run = details.run
    task = details.tasks[-1] if details.tasks else None
    status = run.status.value
    output = (task.output if task is not None else run.output) or {}
    error = None
    if status == "FAILED":
        message = (task.error_message if task is not None else None) or run.error_message or ""
        error = _error(message)
    call = run.input or {}
    return RunRecord(
        job_name=job_name,
        status=status,
        input=dict(call.get("input", call)),
        started_at=run.started_at,
        finished_at=run.finished_at,
        output=output.get("result") if isinstance(output, dict) else None,
        error=error,
        worker_ids=_worker_ids(task.task_external_id) if task is not None else [],
    )


def _worker_ids(task_external_id: str) -> list[str]:
    """The worker of each attempt, from the task's events (the engine lists newest first)."""
    client = get_client().runs
    with client.client() as api:
        events = client._ta(api).v1_task_event_list(task_external_id, limit=1000).rows or []
    started = sorted(
        (e for e in events if e.worker_id and e.event_type.value == "STARTED"),
        key=lambda e: (e.timestamp, e.id),
    )
    return [str(e.worker_id) for e in started]


def _scheduled(run_id: str) -> RunRecord | None:
    rows = get_client().scheduled.list(additional_metadata={RUN_ID_KEY: run_id}, limit=1).rows
    if not rows:
        return None
    row = rows[0]
    job_name = str((row.additional_metadata or {}).get(JOB_KEY, ""))
    call = row.input or {}
    return RunRecord(job_name, "SCHEDULED", dict(call.get("input", call)))


def _error(serialized: str) -> tuple[str, str]:
    """(exception class path, traceback) from the error text the SDK stores for a failure.

    The SDK keeps only the class's name; the traceback's last line names its module."""
    exc_type, _message, trace = parse_error(serialized)
    path = exc_type
    for line in reversed(trace.splitlines()):
        head = line.split(":", 1)[0].strip()
        if head == exc_type or head.endswith("." + exc_type):
            path = head
            break
    if "." not in path:
        path = f"builtins.{path}"
    return path, trace
