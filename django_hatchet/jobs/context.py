"""What a job with ``takes_context=True`` receives as its first argument."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NoReturn

from ..exceptions import Retry

if TYPE_CHECKING:
    from typing import Protocol

    from ..options import JobOptions

    class Running(Protocol):
        """What a context knows of what it runs: a job, or a step of a workflow."""

        name: str
        options: JobOptions


logger = logging.getLogger("django_hatchet.jobs")

#: On an engine, at most one progress report is sent in this many seconds.
PROGRESS_INTERVAL = 0.5
#: A progress message longer than this is cut.
PROGRESS_MESSAGE_LIMIT = 500


def _checked_progress(done: Any, total: Any, message: Any) -> tuple[float, float | None, str]:
    """``progress()``'s arguments, checked: a clear error for each mistake."""
    for name, value in (("done", done), ("total", total)):
        if value is None and name == "total":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"context.progress(): {name} must be a number, not {type(value).__name__}."
            )
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"context.progress(): {name} must be a finite number, not {value}.")
    if done < 0:
        raise ValueError(f"context.progress(): done must be 0 or more, not {done}.")
    if total is not None and total <= 0:
        raise ValueError(
            f"context.progress(): total must be more than 0, not {total} (leave it out when "
            "the total is not known)."
        )
    if total is not None and done > total:
        raise ValueError(f"context.progress(): done ({done}) is more than total ({total}).")
    if not isinstance(message, str):
        raise TypeError(f"context.progress(): message must be a str, not {type(message).__name__}.")
    if len(message) > PROGRESS_MESSAGE_LIMIT:
        message = message[: PROGRESS_MESSAGE_LIMIT - 1] + "…"
    return float(done), float(total) if total is not None else None, message


class JobContext:
    """The run a job's function is executing: its ids, its attempt, and its log."""

    def __init__(
        self,
        job: Running,
        run_id: str,
        attempt: int = 1,
        engine_run_id: str | None = None,
        hatchet: Any = None,
    ) -> None:
        self.job = job
        #: The id ``.delay()`` returned.
        self.run_id = run_id
        #: 1 on the first attempt, 2 on the first retry, and so on.
        self.attempt = attempt
        #: The engine's id for the run (None inline).
        self.engine_run_id = engine_run_id
        #: The SDK's context on a worker (None inline).
        self.hatchet = hatchet
        # Events sent from this time on count for the next wait (see wait_for_first).
        self._since: datetime | None = None
        # Progress: when the last report went to the engine, and one held back since.
        self._progress_sent = 0.0
        self._progress_held: Any = None

    def __repr__(self) -> str:
        return (
            f"JobContext(job={self.job!r}, run_id={self.run_id!r}, attempt={self.attempt}, "
            f"engine_run_id={self.engine_run_id!r})"
        )

    @property
    def name(self) -> str:
        return self.job.name

    @property
    def request(self) -> SimpleNamespace:
        """Celery's ``self.request``: ``id`` (the run id) and ``retries`` (attempts so far)."""
        return SimpleNamespace(id=self.run_id, retries=self.attempt - 1, attempt=self.attempt)

    def retry(self, exc: BaseException | None = None, **celery_options: Any) -> NoReturn:
        """Fail this attempt so that the engine retries the run (if it has retries left).

        Celery's ``raise self.retry(exc=exc)`` works as written. ``countdown``, ``eta`` and
        ``max_retries`` are not applied: the delay comes from the job's backoff, the number
        of attempts from its ``retries`` (see docs/migrating-from-celery.md).
        """
        unknown = set(celery_options) - {"countdown", "eta", "max_retries", "args", "kwargs"}
        if unknown:
            raise TypeError(f"retry() got unexpected arguments: {', '.join(sorted(unknown))}")
        raise Retry(exc=exc) from exc

    # Durable waits (``@job(durable=True)``) ------------------------------------------------

    async def sleep(self, duration: timedelta | float) -> None:
        """Sleep durably (``await context.sleep(timedelta(hours=1))``): on an engine, the run
        gives its worker back and the engine wakes it when the time has passed, on any worker,
        even after the one it started on was restarted. Inline, it returns at once."""
        self._need_durable("sleep")
        seconds = self._seconds("sleep", "duration", duration)
        assert seconds is not None
        if self.hatchet is not None:
            from ..engine.workflows import sleep

            await sleep(self.hatchet, seconds)

    async def wait_for_event(
        self, key: str, timeout: timedelta | float | None = None
    ) -> dict[str, Any] | None:
        """Wait durably for an event (``send_event(key, payload)``) and return its payload,
        or None when ``timeout`` passes first. See ``wait_for_first`` for the rules."""
        received = await self.wait_for_first(key, timeout=timeout)
        return None if received is None else received[1]

    async def wait_for_first(
        self, *keys: str, timeout: timedelta | float | None = None
    ) -> tuple[str, dict[str, Any]] | None:
        """Wait durably for an event sent with one of ``keys``, or for ``timeout``; return
        (its key, its payload), or None when the time ran out.

        A wait receives an event sent after the run was enqueued (the run's first wait) or
        after its previous wait ended, even one sent before the run reached the wait; when
        several were, the latest. On an engine the run gives its worker back while it waits.
        Inline a wait cannot block: it receives such an event sent in this process, or times
        out at once; with no timeout, it raises ``JobError`` saying so."""
        where = "wait_for_event" if len(keys) == 1 else "wait_for_first"
        if not keys or not all(isinstance(k, str) and k for k in keys):
            raise TypeError(f"context.{where}(): each key must be a non-empty str, got {keys!r}.")
        self._need_durable(where)
        seconds = self._seconds(where, "timeout", timeout, optional=True)
        if self._since is None:
            from ..runs.ids import run_id_time

            self._since = run_id_time(self.run_id)
        if self.hatchet is not None:
            from ..engine.workflows import wait_for_events

            received, self._since = await wait_for_events(self.hatchet, keys, seconds, self._since)
            return received
        return self._wait_inline(where, keys, seconds, self._since)

    def _wait_inline(
        self, where: str, keys: tuple[str, ...], seconds: float | None, since: datetime
    ) -> tuple[str, dict[str, Any]] | None:
        from django.utils import timezone

        from ..exceptions import JobError
        from ..runs.events import latest_sent

        event = latest_sent(keys, since)
        self._since = timezone.now()
        if event is not None:
            return event.key, event.payload
        if seconds is None:
            raise JobError(
                f"{self.job.name} run {self.run_id} waits for {' or '.join(map(repr, keys))} "
                "with no timeout, and no such event was sent in this process since the run "
                "was enqueued: inline, a wait cannot block. Send the event before the run "
                "starts (in tests: capture_jobs(), send_event(...), then run_all()), or give "
                f"context.{where}() a timeout.",
                run_id=self.run_id,
                job_name=self.job.name,
            )
        return None

    def _need_durable(self, where: str) -> None:
        if not self.job.options.durable:
            raise TypeError(
                f"context.{where}() needs a durable job: declare {self.job.name} with "
                "@job(durable=True) (a workflow's step: .step(durable=True)), an async def, "
                "so that it waits on the engine without holding a worker slot and survives a "
                "worker restart."
            )

    def _seconds(self, where: str, what: str, value: Any, optional: bool = False) -> float | None:
        """``value`` (a timedelta or a number) in seconds; None for None when ``optional``."""
        if value is None and optional:
            return None
        if isinstance(value, timedelta):
            value = value.total_seconds()
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"context.{where}(): {what} must be a timedelta or a number of seconds, not "
                f"{type(value).__name__}."
            )
        if value < 0:
            raise ValueError(f"context.{where}(): {what} must be 0 or more, not {value}.")
        return float(value)

    # Progress --------------------------------------------------------------------------------

    def progress(self, done: float, total: float | None = None, message: str = "") -> None:
        """Report how far the run has got: ``done`` of ``total`` (leave it out when unknown),
        with a message. Any process reads it from the run's handle (``run.progress``), and
        the admin shows it as a bar. Call it as often as you like: on an engine, reports
        closer than ``PROGRESS_INTERVAL`` apart are held back, and the last one is sent when
        the next may be, and when the job returns or raises."""
        from ..runs.progress import Progress

        report = Progress(*_checked_progress(done, total, message), attempt=self.attempt)
        if self.hatchet is None:  # Inline: kept in this process for the run's handle.
            from ..runs.progress import inline_progress

            inline_progress.note(self.run_id, report)
            return
        import time

        now = time.monotonic()
        finished = report.total is not None and report.done >= report.total
        if finished or now - self._progress_sent >= PROGRESS_INTERVAL:
            self._send_progress(report, now)
        else:
            self._progress_held = report

    def flush_progress(self) -> None:
        """Send the report held back, if any (the worker calls it when the job ends)."""
        if self._progress_held is not None:
            import time

            self._send_progress(self._progress_held, time.monotonic())

    def _send_progress(self, report: Any, now: float) -> None:
        from ..runs.progress import line

        self._progress_sent, self._progress_held = now, None
        logger.debug("%s [%s]: progress %s", self.job.name, self.run_id, report)
        self.hatchet.log(line(report))

    def log(self, message: str) -> None:
        """Write a line to the run's log in Hatchet (and to the ``django_hatchet.jobs`` logger)."""
        logger.info("%s [%s]: %s", self.job.name, self.run_id, message)
        if self.hatchet is not None:
            self.hatchet.log(message)
