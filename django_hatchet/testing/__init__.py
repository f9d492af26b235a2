"""Helpers for testing code that enqueues jobs.

``capture_jobs()`` records the runs enqueued in a block without running them, like Django's
``mail.outbox``; ``virtual_clock()`` runs jobs inline but holds the ones with a countdown or
eta until the test moves the clock past their time. Both work whatever the settings say (no
engine is contacted), and both keep the JSON round trip and the on-commit rule of real
dispatch. The pytest plugin (``django_hatchet.testing.pytest_plugin``) exposes them as
fixtures, and the ``hatchet_worker`` fixture (``worker``) runs jobs on a real engine.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from django.utils import timezone

from ..backends import override
from ..backends.base import BaseBackend, Dispatch
from ..backends.inline import InlineBackend, not_run
from ..encoding import loads, round_trip
from ..jobs.job import Job
from ..options import Priority
from ..runs.handle import JobRun, RunStatus

__all__ = ["CapturedRun", "CapturedRuns", "VirtualClock", "capture_jobs", "virtual_clock"]

ON_COMMIT_HINT = (
    "Runs enqueued inside a transaction are dispatched when it commits: in a TestCase, "
    "enqueue inside self.captureOnCommitCallbacks(execute=True)."
)


@dataclass
class CapturedRun:
    """One captured run: the job, its arguments after the JSON round trip, and its handle."""

    job: Job[Any, Any]
    args: list[Any]
    kwargs: dict[str, Any]
    run: JobRun[Any]
    run_at: datetime | None = None
    priority: Priority | None = None
    _dispatch: Dispatch | None = field(default=None, repr=False)

    def execute(self) -> JobRun[Any]:
        """Run it now, inline, updating its handle; return the handle."""
        assert self._dispatch is not None
        self.run.hand_to(_inline)
        _inline.dispatch(self._dispatch)
        return self.run


class CapturedRuns(list[CapturedRun]):
    """The runs captured so far, in the order they were dispatched."""

    def of(self, job: Job[Any, Any]) -> list[CapturedRun]:
        return [c for c in self if c.job is job]

    def assert_enqueued(
        self,
        job: Job[Any, Any],
        args: list[Any] | tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        count: int | None = None,
    ) -> list[CapturedRun]:
        """Assert that ``job`` was enqueued (with these arguments, ``count`` times if given);
        return the matching runs."""
        runs = self.of(job)
        if args is not None:
            wanted = round_trip(list(args))
            runs = [c for c in runs if c.args == wanted]
        if kwargs is not None:
            wanted_kwargs = round_trip(kwargs)
            runs = [c for c in runs if c.kwargs == wanted_kwargs]
        if (count is None and not runs) or (count is not None and len(runs) != count):
            seen = "\n".join(f"  {c.job.name}(*{c.args!r}, **{c.kwargs!r})" for c in self)
            expected = "at least once" if count is None else f"{count} time(s)"
            raise AssertionError(
                f"{job.name} was not enqueued {expected} with args={args!r}, kwargs={kwargs!r} "
                f"(found {len(runs)}). Captured runs:\n{seen or '  none'}\n{ON_COMMIT_HINT}"
            )
        return runs

    def assert_not_enqueued(self, job: Job[Any, Any]) -> None:
        runs = self.of(job)
        if runs:
            raise AssertionError(f"{job.name} was enqueued {len(runs)} time(s): {runs!r}")

    def run_all(self) -> list[JobRun[Any]]:
        """Run every captured run that has not run yet, inline, in order."""
        pending = [c for c in self if c.run.backend is not _inline]
        return [c.execute() for c in pending]


_inline = InlineBackend()


class CaptureBackend(BaseBackend):
    inline: ClassVar[bool] = True

    def __init__(self) -> None:
        self.captured = CapturedRuns()

    def dispatch(self, dispatch: Dispatch) -> None:
        call = loads(dispatch.payload)
        run = dispatch.run
        run.moved_to(RunStatus.SCHEDULED if dispatch.run_at else RunStatus.QUEUED)
        self.captured.append(
            CapturedRun(
                cast("Job[Any, Any]", dispatch.job),
                call["args"],
                call["kwargs"],
                run,
                dispatch.run_at,
                dispatch.priority,
                dispatch,
            )
        )

    async def adispatch(self, dispatch: Dispatch) -> None:
        self.dispatch(dispatch)

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        raise not_run(run)

    async def await_(self, run: JobRun[Any], timeout: float | None) -> None:
        raise not_run(run)


@contextmanager
def capture_jobs() -> Iterator[CapturedRuns]:
    """Record the runs enqueued in the block instead of running them."""
    backend = CaptureBackend()
    token = override.set(backend)
    try:
        yield backend.captured
    finally:
        override.reset(token)


class VirtualClock(InlineBackend):
    """Inline mode with a clock of its own: runs with a countdown or eta wait until
    ``advance()`` moves the clock past their time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.time = start or timezone.now()
        self._waiting: list[tuple[datetime, int, Dispatch]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self.time

    def dispatch(self, dispatch: Dispatch) -> None:
        if dispatch.run_at is not None and dispatch.run_at > self.time:
            dispatch.run.moved_to(RunStatus.SCHEDULED)
            heapq.heappush(self._waiting, (dispatch.run_at, next(self._order), dispatch))
            return
        super().dispatch(dispatch)

    async def adispatch(self, dispatch: Dispatch) -> None:
        if dispatch.run_at is not None and dispatch.run_at > self.time:
            self.dispatch(dispatch)
            return
        await super().adispatch(dispatch)

    def advance(self, seconds: float = 0, **delta: float) -> list[JobRun[Any]]:
        """Move the clock forward (``advance(60)``, ``advance(hours=2)``) and run, in time
        order, the runs that became due; return their handles."""
        self.time += timedelta(seconds=seconds, **delta)
        ran = []
        while self._waiting and self._waiting[0][0] <= self.time:
            _, _, dispatch = heapq.heappop(self._waiting)
            super().dispatch(dispatch)
            ran.append(dispatch.run)
        return ran

    @property
    def waiting(self) -> list[JobRun[Any]]:
        """The runs still waiting for their time, soonest first."""
        return [d.run for _, _, d in sorted(self._waiting)]


@contextmanager
def virtual_clock(start: datetime | None = None) -> Iterator[VirtualClock]:
    """Run jobs inline in the block, holding countdown/eta runs until the clock reaches them.

    The clock starts at ``start`` (default: now); a countdown counts from the clock's time.
    It is the jobs' clock only: it does not change ``timezone.now()``.
    """
    clock = VirtualClock(start)
    token = override.set(clock)
    try:
        yield clock
    finally:
        override.reset(token)
