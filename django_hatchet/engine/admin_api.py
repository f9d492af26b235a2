"""What the admin asks the engine, over Hatchet's REST API: runs, logs, workers, and the
cancel and replay actions. Everything comes back as the plain types of ``runs.rows``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ..runs.ids import CLOCK_SKEW, is_run_id, is_uuid, run_id_time
from ..runs.metadata import CANVAS_KEY, JOB_KEY, OBJECT_KEY, RUN_ID_KEY
from ..runs.progress import Progress
from ..runs.progress import parse as parse_progress
from ..runs.rows import (
    LogLine,
    RunDetail,
    RunPage,
    RunQuery,
    RunRow,
    StepNode,
    filter_rows,
    paginate,
)
from .client import get_client
from .workers import engine_state, namespace_workers, with_workers, worker_name

__all__ = [
    "cancel",
    "engine_state",
    "find",
    "get_run",
    "list_runs",
    "progress",
    "recent_runs",
    "replay",
    "row_from",
    "step_runs",
    "tenant_id",
    "workflow_ids",
]


def workflow_ids(job_names: Iterable[str]) -> dict[str, str]:
    """Engine workflow id -> job name, for these jobs the engine knows in this namespace:
    the engine's list of runs is the tenant's, across namespaces."""
    client = get_client()
    namespace = client.namespace
    wanted = {namespace + name: name for name in job_names}
    found: dict[str, str] = {}
    offset = 0
    while True:
        page = client.workflows.list(limit=500, offset=offset)
        rows = page.rows or []
        for workflow in rows:
            if workflow.name in wanted:
                found[workflow.metadata.id] = wanted[workflow.name]
        if len(rows) < 500:
            return found
        offset += 500


def _when(value: datetime | None) -> datetime | None:
    """A time from the engine, or None: it sends ``0001-01-01`` for a time not reached yet
    (a queued run's start, a running run's finish)."""
    if value is None or value.year <= 1:
        return None
    return value


def row_from(summary: Any, jobs_by_workflow: dict[str, str] | None = None) -> RunRow:
    """A run of the engine's list (a ``V1TaskSummary``) or detail (``V1WorkflowRun``)."""
    metadata = dict(summary.additional_metadata or {})
    engine_id = getattr(summary, "workflow_run_external_id", None) or summary.metadata.id
    job = str(metadata.get(JOB_KEY) or "")
    if not job and jobs_by_workflow:
        job = jobs_by_workflow.get(summary.workflow_id, "")
    if not job:
        job = str(getattr(summary, "workflow_name", None) or summary.display_name)
        namespace = get_client().namespace
        if namespace and job.startswith(namespace):
            job = job[len(namespace) :]
    data = summary.input
    if isinstance(data, dict) and "input" in data:
        data = data["input"]
    output, skipped = summary.output, ""
    if isinstance(output, dict) and "result" in output and set(output) <= {"result", "skipped"}:
        # A job's output, as its worker returns it (worker.execution).
        output, skipped = output["result"], str(output.get("skipped") or "")
    elif output == {}:  # Not finished, or a workflow with no outputs yet.
        output = None
    attempt = getattr(summary, "attempt", None)
    started_at, finished_at = _when(summary.started_at), _when(summary.finished_at)
    return RunRow(
        id=str(metadata.get(RUN_ID_KEY) or engine_id),
        engine_id=engine_id,
        job=job,
        status=summary.status.value,
        created_at=summary.created_at or summary.metadata.created_at,
        started_at=started_at,
        finished_at=finished_at,
        # The engine counts a run not finished yet as 0 ms.
        duration_ms=summary.duration if started_at and finished_at else None,
        attempts=attempt or (getattr(summary, "retry_count", None) or 0) + 1,
        input=data or None,
        output=output,
        error=summary.error_message or "",
        object=str(metadata.get(OBJECT_KEY) or ""),
        metadata=metadata,
        skipped=skipped,
    )


def _statuses(names: tuple[str, ...]) -> list[Any] | None:
    from hatchet_sdk.clients.rest.models.v1_task_status import V1TaskStatus

    return [V1TaskStatus(name) for name in names] or None


def list_runs(query: RunQuery, job_names: Iterable[str]) -> RunPage:
    """A page of the runs of these jobs (of ``query.jobs`` among them), newest first."""
    if query.search:
        row = find(query.search)
        rows = filter_rows([row] if row else [], query)
        return paginate(rows, 1, query.per_page)
    jobs = workflow_ids(n for n in job_names if not query.jobs or n in query.jobs)
    if not jobs:  # No worker has registered these jobs yet: the engine has no runs of them.
        return RunPage([], 1, 1)
    result = get_client().runs.list(
        since=query.since,
        until=query.until or timezone.now(),
        offset=query.start,
        limit=query.per_page,
        statuses=_statuses(query.statuses),
        workflow_ids=list(jobs),
        additional_metadata={OBJECT_KEY: query.object} if query.object else None,
        include_payloads=True,
    )
    rows = [row_from(summary, jobs) for summary in result.rows or []]
    if query.top_level:  # The engine cannot filter on it: this page's, then.
        rows = [r for r in rows if not r.parent]
    rows.sort(key=lambda r: r.created_at or query.since, reverse=True)
    if query.with_workers:
        rows = with_workers(rows, list(jobs))
    pages = (result.pagination.num_pages if result.pagination else None) or 1
    return RunPage(rows, query.page, max(pages, query.page if rows else 1))


def recent_runs(since: datetime, limit: int, job_names: Iterable[str]) -> tuple[list[RunRow], bool]:
    jobs = workflow_ids(job_names)
    if not jobs:
        return [], False
    result = get_client().runs.list(
        since=since,
        until=timezone.now(),
        limit=limit + 1,
        workflow_ids=list(jobs),
        include_payloads=False,
    )
    rows = [row_from(summary, jobs) for summary in result.rows or []]
    return rows[:limit], len(rows) > limit


def find(run_id: str) -> RunRow | None:
    """A run by django-hatchet's id (its metadata) or by the engine's id."""
    run_id = run_id.strip().lower()
    if not is_uuid(run_id):
        return None
    client = get_client()
    if is_run_id(run_id):
        since = run_id_time(run_id) - CLOCK_SKEW
        rows = client.runs.list(
            since=since,
            until=min(since + timedelta(days=6), timezone.now()),
            additional_metadata={RUN_ID_KEY: run_id},
            limit=1,
        ).rows
        if rows:
            return row_from(rows[0])
    try:
        details = client.runs.get(run_id)
    except Exception as exc:  # The REST client's NotFound or BadRequest (not a UUID).
        if getattr(exc, "status", None) in (400, 404):
            return None
        raise
    return row_from(details.run)


#: Task events the attempts table leaves out: steps of the engine's dispatch.
QUIET_EVENTS = frozenset({"ASSIGNED", "SENT_TO_WORKER", "ACKNOWLEDGED", "CREATED"})
#: How the attempts table words the others (else: lowercased, "_" as spaces).
EVENT_WORDS = {
    "FINISHED": "completed",
    "RETRIED_BY_USER": "retried (replayed)",
    "REQUEUED_NO_WORKER": "requeued: no worker",
    "REQUEUED_RATE_LIMIT": "requeued: rate limit",
}


def _task_events(client: Any, tasks: list[Any]) -> list[Any]:
    """The events of each task of a run, oldest first (the run's record has none on this
    engine): queued, started, failed, retried... with their times."""
    from hatchet_sdk.clients.rest.api.task_api import TaskApi

    events: list[Any] = []
    for task in tasks:
        with client.runs.client() as api:
            events += (
                TaskApi(api).v1_task_event_list(task=task.task_external_id, limit=500).rows or []
            )
    return sorted(events, key=lambda e: (e.timestamp, e.id))


def get_run(run_id: str) -> RunDetail | None:
    row = find(run_id)
    if row is None or row.engine_id is None:
        return None
    client = get_client()
    details = client.runs.get(row.engine_id)
    logs: list[LogLine] = []
    attempts: list[tuple[int, str, datetime | None, str]] = []
    worker = ""
    names = {w.metadata.id: worker_name(client, w.name) for w in namespace_workers(client)}
    progress: Progress | None = None
    for task in details.tasks or []:
        for line in client.logs.list(task.task_external_id).rows or []:
            report = parse_progress(line.message, line.created_at)
            if report is not None:  # Shown as the progress bar, not as a line.
                if progress is None or line.created_at >= (progress.updated_at or line.created_at):
                    progress = report
                continue
            logs.append(
                LogLine(
                    created_at=line.created_at,
                    message=line.message,
                    attempt=line.attempt,
                    level=line.level.value if line.level else "",
                )
            )
    several = len(details.tasks or []) > 1
    for event in details.task_events or _task_events(client, details.tasks or []):
        kind = event.event_type.value
        if kind in QUIET_EVENTS:
            continue
        message = event.error_message or event.message or ""
        if several and getattr(event, "task_display_name", None):
            message = f"{event.task_display_name}: {message}".rstrip(": ")
        attempts.append(
            (
                event.attempt or (event.retry_count or 0) + 1,
                EVENT_WORDS.get(kind, kind.replace("_", " ").lower()),
                event.timestamp,
                message,
            )
        )
        if event.worker_id:
            worker = names.get(event.worker_id, event.worker_id)
    if not attempts:  # No events: each attempt's outcome is known, not when.
        final = max(row.attempts, 1)
        attempts = [
            (n, row.status.lower() if n == final else "failed (retried)", None, "")
            for n in range(1, final + 1)
        ]
    attempts.sort(key=lambda a: (a[0], a[2] or row.created_at or timezone.now()))
    logs.sort(key=lambda line: line.created_at)
    if not worker:
        worker = with_workers([row], [details.run.workflow_id])[0].worker
    run = row_from(details.run)
    from dataclasses import replace

    # The times are the list's, so that the page and the list agree: the run's own record
    # says "created" when it was last replayed, and counts the workflow's overhead in its
    # duration; the list's are those of the enqueue and of the last attempt.
    run = replace(
        run,
        id=row.id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        attempts=max(row.attempts, run.attempts),
        worker=worker,
    )
    return RunDetail(run, logs, attempts, _steps(details), progress)


def _steps(details: Any) -> list[StepNode]:
    """The steps of a DAG workflow's run, from the engine's shape of it (none for a job)."""
    shape = details.shape or []
    if len(shape) < 2:
        return []
    tasks = {t.task_external_id: t for t in details.tasks or []}
    names = {item.step_id: item.task_name for item in shape}
    parents: dict[str, list[str]] = {item.task_name: [] for item in shape}
    for item in shape:
        for child in item.children_step_ids or []:
            parents[names[child]].append(item.task_name)
    nodes = []
    for item in shape:
        task = tasks.get(item.task_external_id)
        finished = task is not None and _when(task.started_at) and _when(task.finished_at)
        nodes.append(
            StepNode(
                key=item.task_name,
                label=item.task_name,
                status=task.status.value if task is not None else "",
                parents=tuple(parents[item.task_name]),
                duration_ms=task.duration if task is not None and finished else None,
            )
        )
    return nodes


def step_runs(canvas_ids: Iterable[str], since: datetime) -> list[RunRow]:
    """The runs that canvases started as their steps (each carries its canvas's id)."""
    client = get_client()
    rows: list[RunRow] = []
    for canvas_id in canvas_ids:
        found = client.runs.list(
            since=since,
            until=timezone.now(),
            additional_metadata={CANVAS_KEY: canvas_id},
            limit=1000,
            include_payloads=False,
        )
        rows += [row_from(summary) for summary in found.rows or []]
    return rows


def progress(rows: Iterable[RunRow]) -> dict[str, Progress | None]:
    """The latest progress report of each of these runs, by run id."""
    from .runs import latest_progress

    return {row.id: latest_progress(row.engine_id) if row.engine_id else None for row in rows}


def cancel(engine_ids: list[str]) -> None:
    from hatchet_sdk.features.runs import BulkCancelReplayOpts

    get_client().runs.bulk_cancel(BulkCancelReplayOpts(ids=engine_ids))


def replay(engine_ids: list[str]) -> None:
    from hatchet_sdk.features.runs import BulkCancelReplayOpts

    get_client().runs.bulk_replay(BulkCancelReplayOpts(ids=engine_ids))


def tenant_id() -> str:
    return str(get_client()._client.config.tenant_id)
