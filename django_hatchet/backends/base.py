"""What a backend does: dispatch a run, and report on it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from ..options import JobOptions, Priority, Steps
    from ..runs.handle import JobRun
    from ..runs.progress import Progress

    # For the type checker only: building a Protocol class costs a web process's start-up.
    class DispatchedJob(Protocol):
        """What a backend uses of a job (``django_hatchet.jobs.Job``)."""

        name: str
        options: JobOptions
        func: Callable[..., Any]
        logs_failures: bool

        @property
        def engine_steps(self) -> Steps: ...
        @property
        def is_async(self) -> bool: ...
        @property
        def takes_context(self) -> bool: ...
        def new_context(self, run_id: str) -> Any: ...
        def object_label(self, payload: str) -> str | None: ...


class Dispatch:
    """Everything a backend needs to start one run."""

    # A plain class, not a dataclass: building one at import costs a web process's start-up.
    __slots__ = ("_metadata", "claim_ends", "held", "job", "payload", "priority", "run", "run_at")

    def __init__(
        self,
        job: DispatchedJob,
        run: JobRun[Any],
        payload: str,
        run_at: datetime | None = None,
        priority: Priority | None = None,
        held: str | None = None,
    ) -> None:
        self.job = job
        self.run = run
        #: ``{"args": [...], "kwargs": {...}}`` encoded as JSON.
        self.payload = payload
        self.run_at = run_at
        self.priority = priority
        #: The database alias whose outbox holds the run, claimed by this process.
        self.held = held
        #: When this process's claim on the outbox entry ends (``time.monotonic()``).
        self.claim_ends = 0.0
        self._metadata: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"<Dispatch {self.job.name} {self.run.id}>"

    def metadata_so_far(self) -> dict[str, str]:
        """The metadata if it has been made (an integration adds to it at the enqueue), else
        an empty dict: made for a run inline, it would cost for nothing."""
        return self._metadata or {}

    def metadata(self) -> dict[str, str]:
        """The additional metadata the run carries on the engine (as of its first use: the
        outbox row and the send carry the same)."""
        if self._metadata is None:
            from ..runs.metadata import run_metadata

            label = self.job.object_label(self.payload)
            self._metadata = run_metadata(self.run.id, self.job.name, label)
        return self._metadata


class BaseBackend:
    #: True when runs execute in the calling process (no engine).
    inline: ClassVar[bool] = False

    def now(self) -> datetime:
        """The time a countdown counts from (a test's virtual clock may say otherwise)."""
        return timezone.now()

    def close(self) -> None:
        """The backend is replaced (the settings changed): finish what it still holds."""

    def hold(self, dispatches: list[Dispatch], using: str) -> None:
        """The runs wait for the transaction on ``using`` to commit: keep them durably in
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

    def cancel_tree(self, run: JobRun[Any]) -> None:
        """Cancel the runs a canvas run started (its own run is cancelled by ``cancel``)."""

    async def acancel_tree(self, run: JobRun[Any]) -> None:
        """Cancel the runs a canvas run started."""

    def run_input(self, run: JobRun[Any]) -> dict[str, Any]:
        """The arguments the run was started with (``{"args": [...], "kwargs": {...}}``)."""
        raise NotImplementedError

    def progress(self, run: JobRun[Any]) -> Progress | None:
        """The run's latest progress report (inline: kept in this process)."""
        from ..runs.progress import inline_progress

        return inline_progress.get(run.id)

    def refresh(self, run: JobRun[Any]) -> None:
        """Update the run's status, result and error."""

    async def arefresh(self, run: JobRun[Any]) -> None:
        """Update the run's status, result and error."""

    def wait(self, run: JobRun[Any], timeout: float | None) -> None:
        """Block until the run has finished, or raise JobTimeout."""

    async def await_(self, run: JobRun[Any], timeout: float | None) -> None:
        """Wait until the run has finished, or raise JobTimeout."""
