"""Engine mode: runs are triggered on a Hatchet engine and read back from it.

The handle's id is django-hatchet's own (a UUIDv7, known before the engine is asked), carried
in each run's additional metadata; the engine's id is added to the handle once known. So a
run enqueued in a transaction has its id at once, and any process can find a run by that id.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, ClassVar

from asgiref.sync import sync_to_async

from .. import engine, signals
from ..exceptions import JobCancelled, JobFailed, JobTimeout
from ..runs import JobRun, RunStatus
from .base import BaseBackend, Dispatch

#: How far before its id's timestamp a run is looked for (clocks differ between hosts).
CLOCK_SKEW = timedelta(minutes=5)
#: Polling while waiting for a result: from the first interval, growing to the last.
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.05, 1.5, 1.0


class EngineBackend(BaseBackend):
    inline: ClassVar[bool] = False

    def dispatch(self, dispatch: Dispatch) -> None:
        engine.trigger(dispatch)
        dispatch.run._status = RunStatus.SCHEDULED if dispatch.run_at else RunStatus.QUEUED
        signals.job_enqueued.send(dispatch.job, run=dispatch.run)

    async def adispatch(self, dispatch: Dispatch) -> None:
        await sync_to_async(self.dispatch, thread_sensitive=False)(dispatch)

    def dispatch_many(self, dispatches: list[Dispatch]) -> None:
        now = [d for d in dispatches if d.run_at is None]
        if now:
            engine.trigger_many(now)
            for d in now:
                d.run._status = RunStatus.QUEUED
                signals.job_enqueued.send(d.job, run=d.run)
        for d in dispatches:
            if d.run_at is not None:
                self.dispatch(d)

    def refresh(self, run: JobRun[Any]) -> None:
        if run.engine_run_id is None and not self._find(run):
            return
        assert run.engine_run_id is not None
        details = engine.run_details(run.engine_run_id)
        if details is None:
            return
        status, output, error = details
        run._status = RunStatus(status)
        if run._status is RunStatus.COMPLETED:
            run.result = (output or {}).get("result")
        elif run._status is RunStatus.FAILED:
            run.error = failed_error(run, error or "")
        elif run._status is RunStatus.CANCELLED:
            run.error = JobCancelled(
                f"{run.job_name} run {run.id} was cancelled.", run_id=run.id, job_name=run.job_name
            )

    async def arefresh(self, run: JobRun[Any]) -> None:
        await sync_to_async(self.refresh, thread_sensitive=False)(run)

    def _find(self, run: JobRun[Any]) -> bool:
        """Learn the engine's id of a run this handle did not trigger itself."""
        from ..jobs import run_id_time

        if run._schedule_id is not None:
            if engine.schedule_pending(run._schedule_id):
                run._status = RunStatus.SCHEDULED
                return False
            run._schedule_id = None  # It fired: the run carries our id like any other.
        found = engine.find_run(run.id, run_id_time(run.id) - CLOCK_SKEW)
        if found is None:
            schedule = engine.find_schedule(run.id)
            if schedule is not None:
                run._schedule_id, run.job_name = schedule
                run._status = RunStatus.SCHEDULED
            return False
        run.engine_run_id, run.job_name = found
        return True

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = POLL_FIRST
        while True:
            self.refresh(run)
            if run._status.is_finished:
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
            if run._status.is_finished:
                return
            if deadline is not None and time.monotonic() + interval > deadline:
                raise _timeout(run, timeout)
            await asyncio.sleep(interval)
            interval = min(interval * POLL_FACTOR, POLL_MAX)

    def cancel(self, run: JobRun[Any]) -> None:
        if run._schedule_id is not None and engine.schedule_pending(run._schedule_id):
            engine.delete_schedule(run._schedule_id)
            run._status = RunStatus.CANCELLED
            run.error = JobCancelled(
                f"{run.job_name} run {run.id} was cancelled before its scheduled time.",
                run_id=run.id,
                job_name=run.job_name,
            )
            return
        if run.engine_run_id is None and not self._find(run):
            raise LookupError(f"Run {run.id} was not found on the engine.")
        assert run.engine_run_id is not None
        engine.cancel(run.engine_run_id)

    async def acancel(self, run: JobRun[Any]) -> None:
        await sync_to_async(self.cancel, thread_sensitive=False)(run)


def failed_error(run: JobRun[Any], serialized: str) -> JobFailed:
    """The documented exception for a failed run, from the engine's error text."""
    exc_type, exc_message, trace = engine.parse_error(serialized)
    return JobFailed(
        f"{run.job_name} run {run.id} failed: {exc_type}: {exc_message}",
        exc_type=exc_type,
        exc_message=exc_message,
        traceback=trace,
        run_id=run.id,
        job_name=run.job_name,
    )


def _timeout(run: JobRun[Any], timeout: float | None) -> JobTimeout:
    return JobTimeout(
        f"{run.job_name} run {run.id} did not finish within {timeout} s (it is {run._status}).",
        run_id=run.id,
        job_name=run.job_name,
    )
