"""Single-flight jobs (``@job(single_flight=True)``): at most one run at a time.

A run takes a PostgreSQL advisory lock named after its job, on the database connection of
the thread that runs it, before it calls the job's function, and releases it after. A run
that finds the lock taken does not call the function: it completes at once, recorded as
skipped (``JobRun.skipped`` and the run's output on the engine say why). The lock is the
database's, so it holds across workers, hosts and inline runs; it goes away with its
connection, so a killed worker never leaves it behind.

On an engine it needs PostgreSQL (check ``django_hatchet.E020``); inline on another
database, a lock of the process stands in. On the engine side, Hatchet's
concurrency strategies are the alternative: ``Concurrency(max_runs=1,
strategy="CANCEL_NEWEST")`` cancels a run enqueued while one runs, ``CANCEL_IN_PROGRESS``
cancels the running one instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

_local_locks: dict[str, threading.Lock] = {}

#: Why a run was skipped.
SKIPPED = "single_flight: another run of {job} held its lock"


def lock_key(job_name: str) -> int:
    """The advisory lock's key: a signed 64-bit number from the job's name."""
    digest = hashlib.sha256(f"django_hatchet.single_flight:{job_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def single_flight(job_name: str, using: str = DEFAULT_DB_ALIAS) -> Iterator[bool]:
    """Hold the job's lock for the block: yield True if this run holds it, False if another
    run does (then do not run the job)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        # Inline mode on another database (check E020 refuses it with an engine): the runs
        # that can overlap are this process's own, so a lock of the process stands in.
        lock = _local_locks.setdefault(job_name, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    key = lock_key(job_name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                pass  # The connection is gone, and the lock with it.
