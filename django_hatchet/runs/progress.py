"""How far a run has got: what a job reports with ``context.progress()``, and how it travels.

On an engine, each report is a line of the run's log in Hatchet, a small JSON object under
``MARKER``: Hatchet keeps a run's log with the run, lists it to any process over its REST API
(newest first, searched for the marker: one request for the latest report), and shows it in
its own dashboard. A stream (``put_stream``) would reach only a reader subscribed at the time,
and the engine has no call to change a run's metadata while it runs. Inline, the latest
report of each of this process's last runs is kept in memory.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

#: The key of a progress line of a run's log.
MARKER = "django_hatchet_progress"
#: How many inline runs' progress this process keeps (as many as the runs it lists).
INLINE_KEPT = 200


@dataclass(frozen=True)
class Progress:
    """A run's latest progress report: ``done`` of ``total`` (None when the job did not say),
    with a message."""

    done: float
    total: float | None = None
    message: str = ""
    #: The attempt that reported it.
    attempt: int = 1
    #: When the engine recorded it (None inline, and before it does).
    updated_at: datetime | None = None

    @property
    def percent(self) -> float | None:
        """0 to 100, or None when the total is not known."""
        if not self.total:
            return None
        return min(100.0, 100.0 * self.done / self.total)

    def __str__(self) -> str:
        counts = f"{_number(self.done)}/{_number(self.total)}" if self.total else _number(self.done)
        percent = f" ({self.percent:.0f} %)" if self.percent is not None else ""
        return f"{counts}{percent}" + (f": {self.message}" if self.message else "")


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def line(progress: Progress) -> str:
    """The log line that carries ``progress``."""
    data: dict[str, Any] = {"done": progress.done, "attempt": progress.attempt}
    if progress.total is not None:
        data["total"] = progress.total
    if progress.message:
        data["message"] = progress.message
    return json.dumps({MARKER: data}, separators=(",", ":"))


def parse(text: str, updated_at: datetime | None = None) -> Progress | None:
    """The progress a log line carries, or None for any other line."""
    if MARKER not in text:
        return None
    try:
        data = json.loads(text)[MARKER]
        return Progress(
            done=float(data["done"]),
            total=float(data["total"]) if data.get("total") is not None else None,
            message=str(data.get("message", "")),
            attempt=int(data.get("attempt", 1)),
            updated_at=updated_at,
        )
    except (ValueError, TypeError, KeyError):
        return None


class InlineProgress:
    """The latest report of this process's last inline runs, by run id."""

    def __init__(self, size: int = INLINE_KEPT) -> None:
        self._reports: OrderedDict[str, Progress] = OrderedDict()
        self._lock = Lock()
        self.size = size

    def note(self, run_id: str, progress: Progress) -> None:
        with self._lock:
            self._reports[run_id] = progress
            self._reports.move_to_end(run_id)
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)

    def get(self, run_id: str) -> Progress | None:
        with self._lock:
            return self._reports.get(run_id)

    def clear(self) -> None:
        with self._lock:
            self._reports.clear()


inline_progress = InlineProgress()
