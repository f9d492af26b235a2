"""Where integrations (``django_hatchet.integrations``: OpenTelemetry, Prometheus, Sentry)
hang on an enqueue, a run and a failed send.

The core calls ``enqueuing()``, ``running()`` and ``send_failed()`` at those points. With no
observer installed (none of those libraries present), each is one test of an empty list: an
enqueue costs nothing more. An observer's own error is logged, never raised: a broken exporter
never fails a job or an enqueue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backends.base import Dispatch
    from .options import JobOptions

logger = logging.getLogger("django_hatchet")


class Call:
    """One attempt of a run as the observers see it: its job, ids and arguments."""

    __slots__ = ("args", "attempt", "job", "kwargs", "metadata", "options", "run_id")

    def __init__(
        self,
        job: str,
        run_id: str,
        attempt: int,
        args: Sequence[Any],
        kwargs: dict[str, Any],
        metadata: dict[str, Any],
        options: JobOptions | None = None,
    ) -> None:
        self.job, self.run_id, self.attempt = job, run_id, attempt
        self.args, self.kwargs = args, kwargs
        #: The run's additional metadata (the trace context travels in it).
        self.metadata = metadata
        #: The job's options, by which the engine retries a failed attempt
        #: (``django_hatchet.jobs.attempts``); None where no attempt is retried (inline).
        self.options = options


class Observer:
    """What an integration observes. Each method may return a context manager, entered around
    the enqueue or the attempt (its ``__exit__`` sees the job's exception), or None."""

    #: Named in the log line when one of its hooks fails.
    name = "observer"

    def enqueue(self, dispatches: Sequence[Dispatch]) -> AbstractContextManager[Any] | None:
        """Runs are being enqueued (one ``delay()``, or one ``delay_many()``: one job), in the
        caller's context; the observer may add to each dispatch's ``metadata()``."""
        return None

    def run(self, call: Call) -> AbstractContextManager[Any] | None:
        """An attempt of a run is about to call the job's function, on its thread."""
        return None

    def send_failed(self, job: str, runs: int, error: BaseException) -> None:
        """Sending runs of ``job`` to the engine failed (they are retried from the outbox, or
        the policy applies)."""


#: The installed observers (``django_hatchet.integrations.install`` fills it at start-up).
OBSERVERS: list[Observer] = []

#: What the hooks return with no observer: one context manager for every enqueue and run (a
#: ``nullcontext`` can be entered again), not one made for each.
NOTHING: AbstractContextManager[Any] = nullcontext()


class _Guarded:
    """An observer's context manager whose errors are logged, not raised."""

    __slots__ = ("inner", "name")

    def __init__(self, name: str, inner: AbstractContextManager[Any]) -> None:
        self.name, self.inner = name, inner

    def __enter__(self) -> None:
        self.inner.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.inner.__exit__(kind, exc, tb)
        except Exception:
            logger.exception("The %s integration failed after a job", self.name)


class _All:
    """The observers' context managers, entered in order and left in reverse."""

    __slots__ = ("entered", "managers")

    def __init__(self, managers: list[_Guarded]) -> None:
        self.managers = managers
        self.entered: list[_Guarded] = []

    def __enter__(self) -> None:
        for manager in self.managers:
            try:
                manager.__enter__()
            except Exception:
                logger.exception("The %s integration failed before a job", manager.name)
                continue
            self.entered.append(manager)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for manager in reversed(self.entered):
            manager.__exit__(kind, exc, tb)


def _around(name: str, *args: Any) -> AbstractContextManager[Any]:
    managers = []
    for observer in OBSERVERS:
        try:
            manager = getattr(observer, name)(*args)
        except Exception:
            logger.exception("The %s integration failed", observer.name)
            continue
        if manager is not None:
            managers.append(_Guarded(observer.name, manager))
    return _All(managers) if managers else NOTHING


def enqueuing(dispatches: Sequence[Dispatch]) -> AbstractContextManager[Any]:
    """Around an enqueue: what the observers do (nothing, with none)."""
    if not OBSERVERS:
        return NOTHING
    return _around("enqueue", dispatches)


def running(
    job: str,
    run_id: str,
    attempt: int,
    args: Sequence[Any],
    kwargs: dict[str, Any],
    metadata: dict[str, Any],
    options: JobOptions | None = None,
) -> AbstractContextManager[Any]:
    """Around an attempt's call of the job's function (``options``: see ``Call.options``)."""
    if not OBSERVERS:
        return NOTHING
    return _around("run", Call(job, run_id, attempt, args, kwargs, metadata, options))


def send_failed(job: str, runs: int, error: BaseException) -> None:
    for observer in OBSERVERS:
        try:
            observer.send_failed(job, runs, error)
        except Exception:
            logger.exception("The %s integration failed", observer.name)
