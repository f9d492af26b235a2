"""Engine mode: runs are triggered on a Hatchet engine and read back from it.

The handle's id is django-hatchet's own (a UUIDv7, known before the engine is asked), carried
in each run's additional metadata; the engine's id is added to the handle once known. So a
run enqueued in a transaction has its id at once, and any process can find a run by that id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async

from ..conf import scrub
from ..engine import client, runs
from ..exceptions import JobError, JobFailed, JobTimeout
from ..runs.handle import JobRun, RunStatus
from ..runs.ids import CLOCK_SKEW, run_id_time
from ..runs.metadata import CANVAS_KEY
from . import outbox
from .base import BaseBackend, Dispatch
from .sender import Sender

if TYPE_CHECKING:
    from ..runs.progress import Progress
    from ..runs.rows import RunRow  # Not at start-up: only find_runs() builds rows.

#: Polling while waiting for a result: from the first interval, growing to the last.
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.05, 1.5, 1.0

logger = logging.getLogger("django_hatchet")


class EngineBackend(BaseBackend):
    inline: ClassVar[bool] = False

    def __init__(self) -> None:
        self.sender = Sender()
        self.breaker = self.sender.breaker

    def close(self) -> None:
        self.sender.close()

    def hold(self, dispatches: list[Dispatch], using: str) -> None:
        self.sender.hold(dispatches, using)

    def forget(self, dispatch: Dispatch) -> None:
        self.sender.forget(dispatch)

    def dispatch(self, dispatch: Dispatch) -> None:
        self.sender.dispatch(dispatch)

    async def adispatch(self, dispatch: Dispatch) -> None:
        await self.sender.adispatch(dispatch)

    def dispatch_many(self, dispatches: list[Dispatch]) -> None:
        self.sender.dispatch_many(dispatches)

    def refresh(self, run: JobRun[Any]) -> None:
        if run.engine_run_id is None and not self._find(run):
            return
        assert run.engine_run_id is not None
        try:
            details = runs.run_details(run.engine_run_id)
        except client.TooLarge as exc:
            raise JobError(str(exc), run_id=run.id, job_name=run.job_name) from None
        if details is None:
            return
        status = RunStatus(details.status)
        output = run.output_of(details.outputs)
        error = details.error
        if status is RunStatus.COMPLETED:
            skipped = (output or {}).get("skipped")
            run.finished(
                status,
                result=(output or {}).get("result"),
                skipped=str(skipped) if skipped else None,
            )
        elif status is RunStatus.FAILED:
            step = details.failed_task if run.steps_named else None
            run.finished(status, error=failed_error(run, error or "", step))
        elif status is RunStatus.CANCELLED:
            run.cancelled("was cancelled.")
        else:
            run.moved_to(status)

    async def arefresh(self, run: JobRun[Any]) -> None:
        await sync_to_async(self.refresh, thread_sensitive=False)(run)

    def progress(self, run: JobRun[Any]) -> Progress | None:
        if run.engine_run_id is None and not self._find(run):
            return None
        assert run.engine_run_id is not None
        return runs.latest_progress(run.engine_run_id)

    def listed(self, row: RunRow) -> JobRun[Any]:
        """The handle of a job's run that the engine listed (``find_runs()``), in the state
        it was listed in: no request until it is refreshed."""
        run: JobRun[Any] = JobRun(row.id, row.job, self)
        run.engine_run_id = row.engine_id
        run.summary = row
        status = RunStatus(row.status)
        if status is RunStatus.COMPLETED:
            run.finished(status, result=row.output, skipped=row.skipped or None)
        elif status is RunStatus.FAILED:
            run.finished(status, error=failed_error(run, row.error))
        elif status is RunStatus.CANCELLED:
            run.cancelled("was cancelled.")
        else:
            run.moved_to(status)
        return run

    def _find(self, run: JobRun[Any]) -> bool:
        """Learn the engine's id of a run this handle did not trigger itself."""
        if self.sender.dispatcher.holds(run.id):  # Not sent yet, by this process.
            run.moved_to(RunStatus.PENDING)
            return False
        if run.known_status is RunStatus.PENDING or not run.job_name:
            job_name = outbox.pending(run.id)
            if job_name is not None:  # Waiting in the outbox for the engine.
                run.job_name = job_name
                run.moved_to(RunStatus.PENDING)
                return False
        if run.schedule_id is not None:
            if runs.schedule_pending(run.schedule_id):
                run.moved_to(RunStatus.SCHEDULED)
                return False
            run.scheduled(None)  # It fired: the run carries our id like any other.
        found = runs.find_run(run.id, run_id_time(run.id) - CLOCK_SKEW)
        if found is None:
            schedule = runs.find_schedule(run.id)
            if schedule is not None:
                schedule_id, run.job_name = schedule
                run.scheduled(schedule_id)
            return False
        run.engine_run_id, run.job_name = found
        return True

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = POLL_FIRST
        while True:
            self.refresh(run)
            if run.known_status.is_finished:
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                raise _timeout(run, timeout)
            time.sleep(interval)
            interval = min(interval * POLL_FACTOR, POLL_MAX)

    async def await_(self, run: JobRun[Any], timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = POLL_FIRST
        while True:
            await self.arefresh(run)
            if run.known_status.is_finished:
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                raise _timeout(run, timeout)
            await asyncio.sleep(interval)
            interval = min(interval * POLL_FACTOR, POLL_MAX)

    def cancel(self, run: JobRun[Any]) -> None:
        withdrawn = self.sender.dispatcher.withdraw(run.id)
        if withdrawn is not None:
            self.forget(withdrawn)
            run.cancelled("was cancelled before it was sent to the engine.")
            return
        if run.engine_run_id is None and run.schedule_id is None and outbox.withdraw(run.id):
            run.cancelled("was cancelled in the outbox, before it reached the engine.")
            return
        if run.schedule_id is not None and runs.schedule_pending(run.schedule_id):
            runs.delete_schedule(run.schedule_id)
            run.cancelled("was cancelled before its scheduled time.")
            return
        if run.engine_run_id is None and not self._find(run):
            raise LookupError(f"Run {run.id} was not found on the engine.")
        assert run.engine_run_id is not None
        runs.cancel(run.engine_run_id)

    async def acancel(self, run: JobRun[Any]) -> None:
        await sync_to_async(self.cancel, thread_sensitive=False)(run)

    def run_input(self, run: JobRun[Any]) -> dict[str, Any]:
        if run.engine_run_id is None and not self._find(run):
            raise LookupError(f"Run {run.id} was not found on the engine.")
        assert run.engine_run_id is not None
        return runs.run_input(run.engine_run_id)

    def cancel_tree(self, run: JobRun[Any]) -> None:
        # The runs a canvas starts carry its id (their own nested canvases, theirs).
        runs.cancel_where({CANVAS_KEY: run.id}, run_id_time(run.id) - CLOCK_SKEW)
        for child in getattr(run, "children", ()):
            if getattr(child, "children", None):
                self.cancel_tree(child)

    async def acancel_tree(self, run: JobRun[Any]) -> None:
        await sync_to_async(self.cancel_tree, thread_sensitive=False)(run)


def failed_error(run: JobRun[Any], serialized: str, step: str | None = None) -> JobFailed:
    """The documented exception for a failed run, from the engine's error text (and the
    step that failed, for a workflow's run)."""
    exc_type, exc_message, trace = runs.parse_error(serialized)
    exc_message, trace = scrub(exc_message), scrub(trace)  # A token in a job's own message.
    where = f" in step {step}" if step else ""
    return JobFailed(
        f"{run.job_name} run {run.id} failed{where}: {exc_type}: {exc_message}",
        exc_type=exc_type,
        exc_message=exc_message,
        traceback=trace,
        run_id=run.id,
        job_name=run.job_name,
    )


def _timeout(run: JobRun[Any], timeout: float | None) -> JobTimeout:
    return JobTimeout(
        f"{run.job_name} run {run.id} did not finish within {timeout} s "
        f"(it is {run.known_status}).",
        run_id=run.id,
        job_name=run.job_name,
    )
