"""The events sent in this process while jobs run inline (``send_event``), which an inline
durable job's ``context.wait_for_event()`` receives."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from typing import Any, NamedTuple

#: How many events the process keeps (the oldest go first).
KEPT = 1000


class SentEvent(NamedTuple):
    sent_at: datetime
    key: str
    payload: dict[str, Any]


_sent: deque[SentEvent] = deque(maxlen=KEPT)


def record(key: str, payload: dict[str, Any]) -> None:
    """Keep an event sent inline."""
    _sent.append(SentEvent(datetime.now(timezone.utc), key, payload))


def latest_sent(keys: tuple[str, ...], since: datetime) -> SentEvent | None:
    """The latest event with one of ``keys`` sent at ``since`` or later (as the engine
    answers a wait that finds such events already sent)."""
    for event in list(_sent)[::-1]:  # A copy: another thread may send meanwhile.
        if event.sent_at < since:
            return None
        if event.key in keys:
            return event
    return None
