"""Run ids: django-hatchet's own, known before the engine is asked, and ordered by time."""

from __future__ import annotations

import hashlib
import os
import time
from contextvars import ContextVar, Token
from datetime import datetime, timedelta, timezone
from typing import Any

#: How far before its id's timestamp a run is looked for on the engine: the clocks of the
#: host that made the id and of the engine may differ.
CLOCK_SKEW = timedelta(minutes=5)


#: The run a worker is running here (its id and attempt) and how many ids it has taken: a run
#: enqueued from it gets an id derived from those, the same when the engine replays the run
#: (a durable job on a new worker runs its code again), so the engine matches the enqueue to
#: the child it started the first time instead of starting another.
_ENQUEUER: ContextVar[list[Any] | None] = ContextVar("django_hatchet_enqueuer", default=None)


def enqueuing_from(run_id: str, attempt: int, name: str) -> Token[list[Any] | None]:
    """Runs enqueued from here on, in this context, are children of that run's attempt (of
    the job, or workflow step, ``name``)."""
    return _ENQUEUER.set([run_id, attempt, name, 0])


def done_enqueuing(token: Token[list[Any] | None]) -> None:
    _ENQUEUER.reset(token)


def in_a_run() -> bool:
    """True inside a run on a worker: what it enqueues are its children."""
    return _ENQUEUER.get() is not None


def new_run_id() -> str:
    """A time-ordered (version 7) UUID as a string: 48 bits of milliseconds, then random.

    The time lets a lookup by id know when the run was enqueued. Inside a run on a worker the
    id is derived from the run's id, attempt and the number of ids it took before (its time,
    the run's): an attempt replayed by the engine enqueues with the same ids. (A lookup by
    such an id looks from the parent's time: the admin's search finds it for 6 days.)
    """
    parent = _ENQUEUER.get()
    if parent is not None:
        return _derived(parent)
    b = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    return _format(b)


def _derived(parent: list[Any]) -> str:
    parent[3] += 1
    run_id, attempt, name, index = parent
    digest = hashlib.sha256(f"{run_id}:{attempt}:{name}:{index}".encode()).digest()
    return _format(bytearray(bytes.fromhex(run_id.replace("-", "")[:12]) + digest[:10]))


def _format(b: bytearray) -> str:
    b[6] = b[6] & 0x0F | 0x70
    b[8] = b[8] & 0x3F | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def run_id_time(run_id: str) -> datetime:
    """When the run with this id (from ``new_run_id``) was enqueued."""
    millis = int(run_id.replace("-", "")[:12], 16)
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


def is_uuid(value: str) -> bool:
    """A UUID in its canonical text form (lowercase)."""
    hexes = value.replace("-", "")
    return len(value) == 36 and len(hexes) == 32 and all(c in "0123456789abcdef" for c in hexes)


def is_run_id(value: str) -> bool:
    """A django-hatchet run id: a version 7 UUID (the engine's own ids are version 4)."""
    return is_uuid(value) and value[14] == "7"


def checked_run_id(where: str, value: object) -> str:
    """``value`` as a run id, or a TypeError/ValueError that says what a run id is."""
    if not isinstance(value, str):
        raise TypeError(f"{where}: a run id is a str, not {type(value).__name__}.")
    run_id = value.strip().lower()
    if is_run_id(run_id):
        return run_id
    if is_uuid(run_id):
        raise ValueError(
            f"{where}: {value!r} is an id the Hatchet engine gave a run, not one that .delay() "
            "returned. Pass the run's id (run.id), a version 7 UUID such as "
            "01a24d3e-0eef-7a73-baae-013d775d18ca."
        )
    raise ValueError(
        f"{where}: {value!r} is not a run id. A run id is the id .delay() returned (run.id), "
        "a UUID such as 01a24d3e-0eef-7a73-baae-013d775d18ca."
    )
