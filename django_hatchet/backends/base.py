"""What a backend does: dispatch a run, and report on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import timezone

if TYPE_CHECKING:
    from ..jobs import Job, Priority
    from ..runs import JobRun


@dataclass(slots=True)
class Dispatch:
    """Everything a backend needs to start one run."""

    job: Job[Any, Any]
    run: JobRun[Any]
    #: ``{"args": [...], "kwargs": {...}}`` encoded as JSON.
    payload: str
    run_at: datetime | None = None
    priority: Priority | None = None
    #: The database alias whose outbox holds the run (written in the caller's transaction).
    held: str | None = None


class BaseBackend:
    #: True when runs execute in the calling process (no engine).
    inline: ClassVar[bool] = False

    def now(self) -> datetime:
        """The time a countdown counts from (a test's virtual clock may say otherwise)."""
        return timezone.now()

    def hold(self, dispatch: Dispatch, using: str) -> None:
        """The run waits for the transaction on ``using`` to commit: keep it durably in
        that transaction if this backend needs to (the engine's outbox does)."""

    def forget(self, dispatch: Dispatch) -> None:
        """A held run was cancelled before its transaction committed."""

    def dispatch(self, dispatch: Dispatch) -> None:
        raise NotImplementedError

    async def adispatch(self, dispatch: Dispatch) -> None:
        raise NotImplementedError

    def dispatch_many(self, dispatches: list[Dispatch]) -> None:
        for dispatch in dispatches:
            self.dispatch(dispatch)

    def cancel(self, run: JobRun[Any]) -> None:
        """Cancel a run that is queued or running."""

    async def acancel(self, run: JobRun[Any]) -> None:
        """Cancel a run that is queued or running."""

    def refresh(self, run: JobRun[Any]) -> None:
        """Update the run's status, result and error."""

    async def arefresh(self, run: JobRun[Any]) -> None:
        """Update the run's status, result and error."""

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        """Block until the run has finished, or raise JobTimeout."""

    async def await_(self, run: JobRun[Any], timeout: float | None) -> None:
        """Wait until the run has finished, or raise JobTimeout."""
