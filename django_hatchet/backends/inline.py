"""Inline mode: jobs run in the calling process, like Celery's ALWAYS_EAGER.

Arguments and the return value make the same JSON round trip as on the engine. Retries,
timeouts, countdown/eta, priority and crons are the engine's and do not apply here.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from asgiref.sync import async_to_sync, sync_to_async

from ..conf import conf
from ..encoding import return_value_error, round_trip
from ..exceptions import JobNotDispatched
from ..hooks import NOTHING, OBSERVERS, running
from ..runs.handle import JobRun, RunStatus
from ..runs.history import LiveRun, note_finished, note_started
from ..signals import job_enqueued, job_finished, job_started
from .base import BaseBackend, Dispatch

logger = logging.getLogger("django_hatchet")
_scan: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _observed(dispatch: Dispatch, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """The integrations' hooks around the call (``django_hatchet.hooks``), as on a worker."""
    if not OBSERVERS:
        return NOTHING
    own = args[1:] if dispatch.job.takes_context else args
    return running(dispatch.job.name, dispatch.run.id, 1, own, kwargs, dispatch.metadata_so_far())


class InlineBackend(BaseBackend):
    inline: ClassVar[bool] = True

    def dispatch(self, dispatch: Dispatch) -> None:
        if dispatch.job.options.single_flight:
            self._single_flight(dispatch)
        else:
            self._run(dispatch)

    def _run(self, dispatch: Dispatch) -> None:
        job = dispatch.job
        args, kwargs, noted = self._start(dispatch)
        try:
            with _observed(dispatch, args, kwargs):
                if job.is_async:
                    value = async_to_sync(job.func)(*args, **kwargs)
                else:
                    value = job.func(*args, **kwargs)
            self._complete(dispatch, value, noted)
        except KeyboardInterrupt:
            raise  # Ctrl-C stops the caller, as Django's ImmediateBackend lets it.
        except BaseException as exc:  # exit() in a job fails its run too, as in Django.
            self._fail(dispatch, exc, noted)

    def _single_flight(self, dispatch: Dispatch) -> None:
        from .single_flight import SKIPPED, single_flight

        with single_flight(dispatch.job.name) as held:
            if held:
                self._run(dispatch)
                return
        noted = self._start(dispatch)[2]
        self._complete(dispatch, None, noted, skipped=SKIPPED.format(job=dispatch.job.name))

    async def adispatch(self, dispatch: Dispatch) -> None:
        job = dispatch.job
        args, kwargs, noted = self._start(dispatch)
        try:
            with _observed(dispatch, args, kwargs):
                if job.is_async:
                    value = await job.func(*args, **kwargs)
                else:
                    value = await sync_to_async(job.func)(*args, **kwargs)
            self._complete(dispatch, value, noted)
        except KeyboardInterrupt:
            raise  # Ctrl-C stops the caller, as Django's ImmediateBackend lets it.
        except BaseException as exc:  # exit() in a job fails its run too, as in Django.
            self._fail(dispatch, exc, noted)

    @staticmethod
    def _start(
        dispatch: Dispatch,
    ) -> tuple[list[Any], dict[str, Any], LiveRun]:
        job, run = dispatch.job, dispatch.run
        # The payload is our own compact JSON: scan it without json.loads's checks.
        call = _scan(dispatch.payload, 0)[0]
        args: list[Any] = call["args"]
        if job.takes_context:
            args.insert(0, job.new_context(run.id))
        job_enqueued.send(job, run=run)
        run.moved_to(RunStatus.RUNNING)
        noted = note_started(run, job.name, dispatch.payload)
        job_started.send(job, run_id=run.id, attempt=1)
        return args, call["kwargs"], noted

    @staticmethod
    def _complete(
        dispatch: Dispatch, value: Any, noted: LiveRun, skipped: str | None = None
    ) -> None:
        run = dispatch.run
        try:
            result = round_trip(value)
        except (TypeError, ValueError):
            raise return_value_error(run.job_name, value) from None
        run.finished(RunStatus.COMPLETED, result, None, skipped)  # Positional: the hot path.
        note_finished(noted)
        job_finished.send(
            dispatch.job, run_id=run.id, attempt=1, status=RunStatus.COMPLETED, error=None
        )

    @staticmethod
    def _fail(dispatch: Dispatch, exc: BaseException, noted: LiveRun) -> None:
        run = dispatch.run
        run.finished(RunStatus.FAILED, error=exc)
        note_finished(noted)
        if dispatch.job.logs_failures:
            logger.error("Job %s (inline run %s) failed", run.job_name, run.id, exc_info=exc)
        job_finished.send(
            dispatch.job, run_id=run.id, attempt=1, status=RunStatus.FAILED, error=exc
        )
        # The run is FAILED either way; a cancelled coroutine (CancelledError) is not the job's
        # to swallow, and goes on.
        if conf.INLINE_PROPAGATE_EXCEPTIONS or not isinstance(exc, (Exception, SystemExit)):
            raise exc

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        raise not_run(run)

    async def await_(self, run: JobRun[Any], timeout: float | None) -> None:
        raise not_run(run)


#: The process's inline backend.
inline_backend = InlineBackend()


def not_run(run: JobRun[Any]) -> JobNotDispatched:
    """An inline run that has not run: captured, or waiting for a virtual clock."""
    return JobNotDispatched(
        f"{run.job_name} run {run.id} has not run: it is {run.known_status}. In tests, run "
        "captured runs with captured_jobs.run_all(), and move a virtual clock past a run's "
        "time with clock.advance(...).",
        run_id=run.id,
        job_name=run.job_name,
    )
