"""The handle that ``.delay()`` returns: a run's id, status and result.

A backend moves the handle from status to status through its methods (``queued``,
``moved_to``, ``finished``...); no other module writes its state."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from ..backends.base import BaseBackend
    from .progress import Progress
    from .rows import RunRow

R = TypeVar("R")


class RunStatus(str, enum.Enum):
    """Where a run is: the engine's statuses, plus PENDING (waiting for a transaction to
    commit) and SCHEDULED (a countdown or eta that has not come yet)."""

    PENDING = "PENDING"
    SCHEDULED = "SCHEDULED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_finished(self) -> bool:
        return self in _FINISHED

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str) and other in _CELERY_ONLY:
            raise TypeError(
                f"A RunStatus is compared with Celery's state {other!r}, which it never equals "
                f"(its values: {', '.join(s.value for s in RunStatus)}). Compare run.state "
                f"== {other!r} (Celery's words), or run.status is RunStatus."
                f"{_CELERY_NAMES.get(other, 'COMPLETED')}."
            )
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value


_FINISHED = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
#: Celery's states that are not RunStatus values, and the status each corresponds to.
_CELERY_NAMES = {
    "SUCCESS": "COMPLETED",
    "FAILURE": "FAILED",
    "STARTED": "RUNNING",
    "REVOKED": "CANCELLED",
    "RECEIVED": "QUEUED",
    "RETRY": "RUNNING",
}
_CELERY_ONLY = frozenset(_CELERY_NAMES)
_CELERY_STATES = {
    RunStatus.PENDING: "PENDING",
    RunStatus.SCHEDULED: "PENDING",
    RunStatus.QUEUED: "PENDING",
    RunStatus.RUNNING: "STARTED",
    RunStatus.COMPLETED: "SUCCESS",
    RunStatus.FAILED: "FAILURE",
    RunStatus.CANCELLED: "REVOKED",
}


class JobRun(Generic[R]):
    """One run of a job: its ``id`` at once, its ``status``, and its result through ``get()``."""

    __slots__ = (
        "_backend",
        "_on_commit",
        "_schedule_id",
        "_status",
        "deduplicated",
        "engine_run_id",
        "error",
        "id",
        "job_name",
        "result",
        "skipped",
        "summary",
    )

    def __init__(self, id: str, job_name: str, backend: BaseBackend) -> None:
        self.id = id
        self.job_name = job_name
        self._status = RunStatus.QUEUED
        self.result: Any = None
        #: The exception of a failed or cancelled run (inline: the original one).
        self.error: BaseException | None = None
        #: The engine's id for the run, once it has one (None inline).
        self.engine_run_id: str | None = None
        #: True when the engine matched this run to an earlier one (``@job(idempotency=...)``);
        #: the handle then stands for that run, with its id.
        self.deduplicated = False
        #: Why the run did not call its job (``@job(single_flight=True)``), or None.
        self.skipped: str | None = None
        #: What ``find_runs()`` listed about the run (its times, attempts, arguments,
        #: worker), as of the listing; None for a handle from ``.delay()`` or ``get_run()``.
        self.summary: RunRow | None = None
        self._backend = backend
        self._schedule_id: str | None = None
        # While PENDING: the connection and callback that dispatch the run on commit.
        self._on_commit: tuple[BaseDatabaseWrapper, object] | None = None

    def __repr__(self) -> str:
        return f"<JobRun {self.job_name} {self.id} {self._status.value}>"

    @property
    def status(self) -> RunStatus:
        """The run's current status (asks the engine while the run is unfinished)."""
        return self.refresh()

    @property
    def progress(self) -> Progress | None:
        """The latest report of the job's ``context.progress()`` (asks the engine; inline,
        this process's), or None when it has reported none."""
        self._check_commit()
        if self._waits_for_commit():
            return None
        return self._backend.progress(self)

    async def aprogress(self) -> Progress | None:
        """``progress``, for async code."""
        from asgiref.sync import sync_to_async

        return await sync_to_async(lambda: self.progress, thread_sensitive=False)()

    def refresh(self) -> RunStatus:
        """Update ``status``, ``result`` and ``error`` from wherever the run lives."""
        if self._is_live():
            self._backend.refresh(self)
        return self._status

    async def arefresh(self) -> RunStatus:
        if self._is_live():
            await self._backend.arefresh(self)
        return self._status

    def cancel(self) -> None:
        """Cancel the run: before its commit, in the queue, or while it runs (on an engine)."""
        self._check_commit()
        if self._waits_for_commit():
            # The commit callback stays registered, and does nothing.
            self.cancelled("was cancelled before its transaction committed.")
        elif not self._status.is_finished:
            self._backend.cancel(self)

    async def acancel(self) -> None:
        self._check_commit()
        if self._waits_for_commit() or self._status.is_finished:
            self.cancel()
        else:
            await self._backend.acancel(self)

    # Changes of state, made by the backend that has the run -------------------------------

    @property
    def backend(self) -> BaseBackend:
        """The backend that dispatched the run and reports on it."""
        return self._backend

    @property
    def known_status(self) -> RunStatus:
        """The status as last seen, without asking the engine."""
        return self._status

    @property
    def schedule_id(self) -> str | None:
        """The engine's schedule while a countdown or eta has not come yet."""
        return self._schedule_id

    def hand_to(self, backend: BaseBackend) -> None:
        """Another backend takes the run over (the inline fall-back; tests' capture)."""
        self._backend = backend

    def wait_for_commit(self, connection: BaseDatabaseWrapper, callback: object) -> None:
        """The run is dispatched by ``callback`` when the transaction on ``connection``
        commits; it is PENDING until then."""
        self._status = RunStatus.PENDING
        self._on_commit = (connection, callback)

    def commit_done(self) -> bool:
        """The transaction committed: True when the run is still to be dispatched (it was
        not cancelled meanwhile); it is QUEUED from now on."""
        self._on_commit = None
        if self._status is not RunStatus.PENDING:
            return False
        self._status = RunStatus.QUEUED
        return True

    #: Its failures name the step that failed (a workflow's run).
    steps_named = False

    def output_of(self, outputs: dict[str, Any]) -> dict[str, Any] | None:
        """The run's output on the engine, from its tasks' outputs by task name (a job's
        run has one task; a workflow's run has a task per step)."""
        return next(reversed(outputs.values())) if outputs else None

    def moved_to(self, status: RunStatus) -> None:
        """The run is now QUEUED, SCHEDULED, RUNNING or PENDING (kept in the outbox)."""
        self._status = status

    def sent(
        self,
        engine_run_id: str | None,
        schedule_id: str | None = None,
        *,
        deduplicated: bool = False,
        earlier_run_id: str | None = None,
    ) -> None:
        """The engine has the run: started now as ``engine_run_id``, or scheduled for later
        as ``schedule_id``. ``deduplicated``: the engine matched it to an earlier run
        (``@job(idempotency=...)``), whose ids the handle takes."""
        if schedule_id is not None:
            self.scheduled(schedule_id)
            return
        self.engine_run_id = engine_run_id
        if deduplicated:
            self.deduplicated = True
            self.id = earlier_run_id or self.id
        self._status = RunStatus.QUEUED

    def scheduled(self, schedule_id: str | None) -> None:
        """The engine holds the run until its time, as this schedule (None: it fired)."""
        self._schedule_id = schedule_id
        if schedule_id is not None:
            self._status = RunStatus.SCHEDULED

    def finished(
        self,
        status: RunStatus,
        result: Any = None,
        error: BaseException | None = None,
        skipped: str | None = None,
    ) -> None:
        """The run completed (with its ``result``), failed or was cancelled (with ``error``)."""
        self._status = status
        self.result = result
        self.error = error
        self.skipped = skipped

    def cancelled(self, why: str) -> None:
        """The run ended CANCELLED; its error says ``<job> run <id> <why>``."""
        from ..exceptions import JobCancelled

        self.finished(
            RunStatus.CANCELLED,
            error=JobCancelled(
                f"{self.job_name} run {self.id} {why}", run_id=self.id, job_name=self.job_name
            ),
        )

    # Celery's AsyncResult names, for code moving from Celery -------------------------------

    def ready(self) -> bool:
        """True once the run has finished (completed, failed or cancelled)."""
        return self.refresh().is_finished

    def successful(self) -> bool:
        return self.refresh() is RunStatus.COMPLETED

    def failed(self) -> bool:
        return self.refresh() is RunStatus.FAILED

    @property
    def state(self) -> str:
        """The status in Celery's words: PENDING, STARTED, SUCCESS, FAILURE or REVOKED."""
        return _CELERY_STATES[self.refresh()]

    @property
    def task_id(self) -> str:
        """Celery's name for ``id``."""
        return self.id

    def revoke(self) -> None:
        """Celery's name for ``cancel()``."""
        self.cancel()

    def _waits_for_commit(self) -> bool:
        return self._status is RunStatus.PENDING and self._on_commit is not None

    def _is_live(self) -> bool:
        self._check_commit()
        return not self._status.is_finished and not self._waits_for_commit()

    def get(self, timeout: float | None = None) -> R:
        """Wait for the run to finish; return its result or raise its error."""
        if self._is_live():
            self._backend.wait(self, timeout)
        self._raise_if_pending()
        return self._outcome()

    async def aget(self, timeout: float | None = None) -> R:
        if self._is_live():
            await self._backend.await_(self, timeout)
        self._raise_if_pending()
        return self._outcome()

    def _check_commit(self) -> None:
        """Notice a run whose transaction rolled back: it will never be dispatched."""
        if self._status is RunStatus.PENDING and self._on_commit is not None:
            connection, callback = self._on_commit
            if not any(entry[1] is callback for entry in connection.run_on_commit):
                self.cancelled(
                    "was never dispatched: it was enqueued in a transaction that rolled back."
                )
                self._on_commit = None

    def _raise_if_pending(self) -> None:
        if self._waits_for_commit():
            from ..exceptions import JobNotDispatched

            raise JobNotDispatched(
                f"{self.job_name} run {self.id} waits for the transaction it was enqueued in to "
                "commit, so it has no result yet. Call get() after the atomic block. In a "
                "test's transaction, which never commits, enqueue inside "
                "self.captureOnCommitCallbacks(execute=True) in a TestCase, or inside "
                "django_capture_on_commit_callbacks(execute=True) (pytest-django's fixture) in "
                "a django_db test; or set HATCHET_ENQUEUE_ON_COMMIT = False in the test settings.",
                run_id=self.id,
                job_name=self.job_name,
            )

    def _outcome(self) -> R:
        if self._status is RunStatus.COMPLETED:
            return self.result  # type: ignore[no-any-return]
        assert self.error is not None
        raise self.error
