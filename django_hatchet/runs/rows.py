"""Runs as the admin shows them: rows, details, pages and queries, as plain records, whether
they come from the engine (``engine.admin_api``) or from this process's inline history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .progress import Progress

#: The statuses the admin filters and counts by (the engine's own).
STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")


@dataclass(frozen=True)
class RunRow:
    """One run, as the runs list shows it."""

    id: str  # django-hatchet's id when the run has one, else the engine's.
    engine_id: str | None
    job: str
    status: str
    created_at: datetime | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    attempts: int = 1
    worker: str = ""
    input: Any = None
    output: Any = None
    error: str = ""
    object: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Why a completed run did not call its job (``@job(single_flight=True)``), or "".
    skipped: str = ""

    @property
    def parent(self) -> str:
        """The run that started this one: the canvas it is a step of (our id), or the job
        that enqueued it while running (the engine's id); "" for a top-level run."""
        from .metadata import CANVAS_KEY, PARENT_KEY

        return str(self.metadata.get(CANVAS_KEY) or self.metadata.get(PARENT_KEY) or "")

    @property
    def finished(self) -> bool:
        return self.status in ("COMPLETED", "FAILED", "CANCELLED")

    @property
    def can_cancel(self) -> bool:
        return self.status in ("QUEUED", "RUNNING")

    @property
    def can_retry(self) -> bool:
        return self.engine_id is not None and self.status in ("FAILED", "CANCELLED", "COMPLETED")


@dataclass(frozen=True)
class LogLine:
    created_at: datetime
    message: str
    attempt: int | None = None
    level: str = ""


@dataclass(frozen=True)
class StepNode:
    """One step of a workflow's or a canvas's run, as its page draws it."""

    key: str  # The step's name in a workflow; its run id in a canvas.
    label: str
    status: str  # "" when the engine has not created it (it has not started).
    parents: tuple[str, ...] = ()
    duration_ms: int | None = None
    #: The run to link to (a canvas's step is a run of its own), or None.
    run_id: str | None = None


@dataclass(frozen=True)
class RunDetail:
    """One run with everything the detail page shows."""

    run: RunRow
    logs: list[LogLine] = field(default_factory=list)
    #: (attempt, status or event, when, message) of each attempt, oldest first.
    attempts: list[tuple[int, str, datetime | None, str]] = field(default_factory=list)
    #: A workflow's steps, from the engine's shape of its run (empty for a job's run).
    steps: list[StepNode] = field(default_factory=list)
    #: The latest ``context.progress()`` report (its lines are not in ``logs``).
    progress: Progress | None = None


@dataclass(frozen=True)
class RunPage:
    rows: list[RunRow]
    page: int
    num_pages: int


@dataclass(frozen=True)
class WorkerRow:
    name: str
    status: str
    last_heartbeat_at: datetime | None
    slots: str = ""


@dataclass(frozen=True)
class EngineState:
    """Whether the engine answers, and its workers; ``error`` says why it does not."""

    answers: bool
    workers: list[WorkerRow] = field(default_factory=list)
    error: str = ""

    @property
    def active_workers(self) -> int:
        return sum(1 for w in self.workers if w.status == "ACTIVE")


@dataclass(frozen=True)
class RunQuery:
    """What the runs list (and ``find_runs()``) asks for."""

    since: datetime
    jobs: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str = ""
    object: str = ""
    #: Only the runs no other run started (not a canvas's steps, not a job's child runs).
    top_level: bool = False
    page: int = 1
    per_page: int = 25
    until: datetime | None = None
    #: The first run to return, counted from the newest; by default that of ``page``.
    offset: int | None = None
    #: Name each run's worker (a request per recent worker, which the runs list shows).
    with_workers: bool = True

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page


def filter_rows(rows: Iterable[RunRow], query: RunQuery) -> list[RunRow]:
    """Apply a query to runs in memory (inline history, or a search result)."""
    found = []
    for row in rows:
        if query.jobs and row.job not in query.jobs:
            continue
        if query.statuses and row.status not in query.statuses:
            continue
        if query.search and query.search not in (row.id, row.engine_id):
            continue
        if query.object and row.object != query.object:
            continue
        if query.top_level and row.parent:
            continue
        if row.created_at is not None and row.created_at < query.since:
            continue
        if row.created_at is not None and query.until and row.created_at > query.until:
            continue
        found.append(row)
    return found


def paginate(rows: list[RunRow], page: int, per_page: int) -> RunPage:
    num_pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), num_pages)
    return RunPage(rows[(page - 1) * per_page : page * per_page], page, num_pages)
