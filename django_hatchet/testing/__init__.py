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
import warnings
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
from .lookup import JobRef, job_name

__all__ = ["CapturedRun", "CapturedRuns", "VirtualClock", "capture_jobs", "virtual_clock"]

ON_COMMIT_HINT = (
    "A run enqueued inside a transaction is dispatched when the transaction commits, and a "
    "test's transaction never does: enqueue inside self.captureOnCommitCallbacks(execute=True) "
    "in a TestCase, or inside django_capture_on_commit_callbacks(execute=True) (pytest-django's "
    "fixture) in a django_db test; or make the test transactional (TransactionTestCase, "
    "django_db(transaction=True))."
)


def _waiting_for_commit(held: list[Dispatch], name: str | None = None) -> str:
    """Say which runs of ``held`` (of job ``name``) still wait for their transaction to commit,
    or return ''; forget those that do not wait any more."""
    held[:] = [d for d in held if d.run.status is RunStatus.PENDING]
    return "".join(
        f"{d.job.name} run {d.run.id} waits for its transaction to commit.\n"
        for d in held
        if name is None or d.job.name == name
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

    def __init__(self) -> None:
        super().__init__()
        #: The runs enqueued in a transaction, captured when it commits.
        self._held: list[Dispatch] = []

    def of(self, job: JobRef) -> list[CapturedRun]:
        """The captured runs of ``job``: a job, a Django task, a job's name or its function."""
        return self._of(job_name(job, "captured_jobs.of()"))

    def _of(self, name: str) -> list[CapturedRun]:
        return [c for c in self if c.job.name == name]

    def assert_enqueued(
        self,
        job: JobRef,
        args: list[Any] | tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        count: int | None = None,
    ) -> list[CapturedRun]:
        """Assert that ``job`` was enqueued (with these arguments, ``count`` times if given);
        return the matching runs."""
        name = job_name(job, "captured_jobs.assert_enqueued()")
        runs = self._of(name)
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
                f"{name} was not enqueued {expected} with args={args!r}, kwargs={kwargs!r} "
                f"(found {len(runs)}). Captured runs:\n{seen or '  none'}\n"
                f"{_waiting_for_commit(self._held, name)}{ON_COMMIT_HINT}"
            )
        return runs

    def assert_not_enqueued(self, job: JobRef) -> None:
        """Assert that ``job`` was not enqueued."""
        name = job_name(job, "captured_jobs.assert_not_enqueued()")
        runs = self._of(name)
        if runs:
            raise AssertionError(f"{name} was enqueued {len(runs)} time(s): {runs!r}")

    def run_all(self) -> list[JobRun[Any]]:
        """Run every captured run that has not run yet, inline, in order."""
        pending = [c for c in self if c.run.backend is not _inline]
        return [c.execute() for c in pending]


_inline = InlineBackend()


class CaptureBackend(BaseBackend):
    inline: ClassVar[bool] = True

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.captured = CapturedRuns()
        #: A virtual clock in use with the capture: countdowns count from its time.
        self.clock = clock

    def now(self) -> datetime:
        return timezone.now() if self.clock is None else self.clock.now()

    def hold(self, dispatches: list[Dispatch], using: str) -> None:
        self.captured._held += dispatches

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
    """Record the runs enqueued in the block instead of running them (with a virtual clock
    too, the capture takes every run, countdowns counting from the clock's time)."""
    outer = override.get()
    backend = CaptureBackend(outer if isinstance(outer, VirtualClock) else None)
    token = override.set(backend)
    try:
        yield backend.captured
    finally:
        override.reset(token)


class VirtualClock(InlineBackend):
    """Inline mode with a clock of its own: runs with a countdown or eta wait until
    ``advance()`` moves the clock past their time.

    Its time moves with real time, plus what ``advance()`` added (from ``start`` if given,
    else from now), so that an eta computed from ``timezone.now()`` in the test is due once
    the clock has been advanced by its delay.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._started = timezone.now()
        self._ahead = (start or self._started) - self._started
        self._waiting: list[tuple[datetime, int, Dispatch]] = []
        self._order = itertools.count()
        self._held: list[Dispatch] = []

    def now(self) -> datetime:
        """The clock's time: real time, moved ahead by ``advance()`` (and to ``start``)."""
        return timezone.now() + self._ahead

    def hold(self, dispatches: list[Dispatch], using: str) -> None:
        self._held += dispatches

    def dispatch(self, dispatch: Dispatch) -> None:
        if dispatch.run_at is not None and dispatch.run_at > self.now():
            dispatch.run.moved_to(RunStatus.SCHEDULED)
            heapq.heappush(self._waiting, (dispatch.run_at, next(self._order), dispatch))
            return
        super().dispatch(dispatch)

    async def adispatch(self, dispatch: Dispatch) -> None:
        if dispatch.run_at is not None and dispatch.run_at > self.now():
            self.dispatch(dispatch)
            return
        await super().adispatch(dispatch)

    def advance(self, seconds: float = 0, **delta: float) -> list[JobRun[Any]]:
        """Move the clock forward (``advance(60)``, ``advance(hours=2)``) and run, in time
        order, the runs that became due; return their handles. Warn about the runs that
        wait for their transaction to commit: the clock cannot run them yet."""
        self._ahead += timedelta(seconds=seconds, **delta)
        waiting = _waiting_for_commit(self._held)
        if waiting:
            warnings.warn(
                f"clock.advance(): {waiting}{ON_COMMIT_HINT}", RuntimeWarning, stacklevel=2
            )
        now = self.now()
        ran = []
        while self._waiting and self._waiting[0][0] <= now:
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

    The clock starts at ``start`` (default: now) and runs with real time; ``advance()`` moves
    it ahead. A countdown counts from the clock's time. It is the jobs' clock only: it does
    not change ``timezone.now()``. Within ``capture_jobs()``, the capture keeps taking every
    run, and countdowns count from the clock's time.
    """
    clock = VirtualClock(start)
    capture = override.get()
    if isinstance(capture, CaptureBackend) and capture.clock is None:
        capture.clock = clock
        try:
            yield clock
        finally:
            capture.clock = None
        return
    token = override.set(clock)
    try:
        yield clock
    finally:
        override.reset(token)
