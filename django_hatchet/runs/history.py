"""The last runs this process ran inline, which the admin lists (``runs.rows`` builds their
rows); nothing is kept on disk."""

from __future__ import annotations

import time
from collections import deque
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handle import JobRun
    from .rows import RunRow


class LiveRun:
    """An inline run of this process, seen through its handle; a row is made when asked."""

    __slots__ = ("created", "finished", "job", "payload", "run", "started")

    def __init__(self, run: JobRun[Any], job: str, payload: str = "") -> None:
        self.run = run
        self.job = job
        #: Its arguments as the run received them (JSON), read when a row is made.
        self.payload = payload
        self.created = time.time()
        # Inline runs start as they are enqueued.
        self.started: float | None = self.created
        self.finished: float | None = None

    def row(self) -> RunRow:
        """The run's row, built when the admin (or ``find_runs()``) reads it: building the
        dataclasses of ``runs.rows`` costs a web process's start-up, noting a run does not."""
        from .rows import RunRow

        run, status = self.run, str(self.run.known_status)
        error = run.error
        duration = None
        if self.finished is not None:
            duration = int((self.finished - (self.started or self.finished)) * 1000)
        return RunRow(
            id=run.id,
            engine_id=None,
            job=self.job,
            status=status,
            created_at=_datetime(self.created),
            started_at=_datetime(self.started),
            finished_at=_datetime(self.finished),
            duration_ms=duration,
            input=_call(self.payload),
            output=run.result if status == "COMPLETED" else None,
            error=f"{type(error).__name__}: {error}" if error is not None else "",
        )


def _call(payload: str) -> Any:
    """The arguments of an inline run, from the JSON it was dispatched with."""
    if not payload:
        return None
    import json

    try:
        return json.loads(payload)
    except ValueError:
        return None


def _datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc)


class InlineHistory:
    """The last runs this process ran inline, newest first; nothing is kept on disk.

    The inline backend notes each run here (``note_started``/``note_finished``) on every
    inline ``.delay()``, so only times are noted against the run's handle; the rows are
    built when the admin asks for them. A bounded deque drops the oldest run by itself, and
    its ``append`` and ``copy`` are atomic, so noting a run takes no lock.
    """

    def __init__(self, size: int = 200) -> None:
        self._runs: deque[RunRow | LiveRun] = deque(maxlen=size)
        #: How many runs it keeps.
        self.size = size

    def record(self, row: RunRow | LiveRun) -> None:
        self._runs.append(row)

    def clear(self) -> None:
        self._runs.clear()

    def handle(self, run_id: str) -> JobRun[Any] | None:
        """The handle of an inline run of this process, if it is still kept."""
        for entry in self._runs.copy():
            if isinstance(entry, LiveRun) and entry.run.id == run_id:
                return entry.run
        return None

    def rows(self) -> list[RunRow]:
        """Newest first."""
        entries = self._runs.copy()
        entries.reverse()
        return [e.row() if isinstance(e, LiveRun) else e for e in entries]


inline_history = InlineHistory()


def note_started(run: JobRun[Any], job_name: str, payload: str = "") -> LiveRun:
    """Called by the inline backend as a run starts (on every inline ``.delay()``); it gives
    the entry back to ``note_finished``, so finishing looks nothing up."""
    entry = LiveRun(run, job_name, payload)
    inline_history._runs.append(entry)
    return entry


def note_finished(entry: LiveRun) -> None:
    entry.finished = time.time()
