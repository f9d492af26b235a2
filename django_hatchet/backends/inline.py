"""Inline mode: jobs run in the calling process, like Celery's ALWAYS_EAGER.

Arguments and the return value make the same JSON round trip as on the engine. Retries,
timeouts, countdown/eta, priority and crons are the engine's and do not apply here.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from asgiref.sync import async_to_sync, sync_to_async

from .. import encoding
from ..conf import conf
from ..runs import JobRun, RunStatus
from .base import BaseBackend, Dispatch

logger = logging.getLogger("django_hatchet")


class InlineBackend(BaseBackend):
    inline: ClassVar[bool] = True

    def dispatch(self, dispatch: Dispatch) -> None:
        job, run = dispatch.job, dispatch.run
        call = encoding.loads(dispatch.payload)
        run._status = RunStatus.RUNNING
        try:
            if job.is_async:
                value = async_to_sync(job.func)(*call["args"], **call["kwargs"])
            else:
                value = job.func(*call["args"], **call["kwargs"])
            self._complete(run, value)
        except Exception as exc:
            self._fail(run, exc)

    async def adispatch(self, dispatch: Dispatch) -> None:
        job, run = dispatch.job, dispatch.run
        call = encoding.loads(dispatch.payload)
        run._status = RunStatus.RUNNING
        try:
            if job.is_async:
                value = await job.func(*call["args"], **call["kwargs"])
            else:
                value = await sync_to_async(job.func)(*call["args"], **call["kwargs"])
            self._complete(run, value)
        except Exception as exc:
            self._fail(run, exc)

    @staticmethod
    def _complete(run: JobRun[Any], value: Any) -> None:
        try:
            run.result = encoding.round_trip(value)
        except (TypeError, ValueError):
            raise encoding.return_value_error(run.job_name, value) from None
        run._status = RunStatus.COMPLETED

    @staticmethod
    def _fail(run: JobRun[Any], exc: Exception) -> None:
        run._status = RunStatus.FAILED
        run.error = exc
        logger.error("Job %s (inline run %s) failed", run.job_name, run.id, exc_info=exc)
        if conf.INLINE_PROPAGATE_EXCEPTIONS:
            raise exc
