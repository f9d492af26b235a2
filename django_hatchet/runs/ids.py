"""Run ids: django-hatchet's own, known before the engine is asked, and ordered by time."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

#: How far before its id's timestamp a run is looked for on the engine: the clocks of the
#: host that made the id and of the engine may differ.
CLOCK_SKEW = timedelta(minutes=5)


def new_run_id() -> str:
    """A time-ordered (version 7) UUID as a string: 48 bits of milliseconds, then random.

    The time lets a lookup by id know when the run was enqueued.
    """
    b = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    b[6] = b[6] & 0x0F | 0x70
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def run_id_time(run_id: str) -> datetime:
    """When the run with this id (from ``new_run_id``) was enqueued."""
    millis = int(run_id.replace("-", "")[:12], 16)
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
