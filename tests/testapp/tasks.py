"""Jobs the test suite uses; autodiscovered as this app's ``tasks`` module."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import timedelta

from asgiref.sync import sync_to_async

from django_hatchet import Concurrency, Idempotency, JobContext, NonRetryable, about, job

from .models import Note

CALLS: list[tuple[str, object]] = []


class JobBroke(Exception):
    pass


@job
def add(a: int, b: int) -> int:
    return a + b


@job(name="tests.echo", retries=2, timeout=30)
def echo(*args: object, **kwargs: object) -> dict[str, object]:
    return {"args": args, "kwargs": kwargs}


@job
async def async_add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


@job
def fail(message: str) -> None:
    raise JobBroke(message)


@job
def write_note(text: str) -> int:
    return Note.objects.create(text=text).pk


@job
def bad_return() -> object:
    return {"when": object()}


@job(retries=3, takes_context=True)
def flaky(context: JobContext, succeed_on: int) -> dict[str, object]:
    """Fails until its attempt number reaches ``succeed_on``."""
    context.log(f"attempt {context.attempt}")
    if context.attempt < succeed_on:
        raise JobBroke(f"attempt {context.attempt}")
    return {"attempt": context.attempt, "run_id": context.run_id}


@job(retries=2, takes_context=True)
def refuses(context: JobContext) -> None:
    raise NonRetryable(f"bad input, attempt {context.attempt}")


@job(timeout=1)
async def too_slow(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@job
async def sleeper(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@job(concurrency=Concurrency(max_runs=1, key="'exclusive'"))
async def exclusive(seconds: float) -> dict[str, float]:
    start = time.time()
    await asyncio.sleep(seconds)
    return {"start": start, "end": time.time()}


@job(queue="special")
def on_special_queue() -> int:
    return os.getpid()


@job(on_events=["tests:note"])
def note_from_event(text: str) -> int:
    return Note.objects.create(text=text).pk


@job(rate_limits={"tests-per-second": 1})
def rate_limited() -> float:
    return time.time()


@job(queue="drain")
async def drain_sleeper(seconds: float) -> float:
    await asyncio.sleep(seconds)
    return seconds


@job(idempotency=Idempotency(key="input.args[0]", ttl=timedelta(minutes=5)))
def charge_once(payment_id: str) -> str:
    return payment_id


@job(takes_context=True, priority=2)
def report_priority(context: JobContext) -> int:
    """The priority the engine gave this run."""
    return int(context.hatchet.priority)


@job(queue="nobody", schedule_timeout=2)
def never_picked_up() -> None:
    """On a queue no test worker serves: it waits until its schedule timeout."""


@job
def delay_child(n: int) -> str:
    """Enqueues add(n, 1) from inside its run; returns the child's run id."""
    return add.delay(n, 1).id


@job(retries=1, takes_context=True)
def delay_child_then_retry(context: JobContext) -> str:
    """Each attempt enqueues add(attempt, 0); the first then fails. Returns the second
    attempt's child's run id."""
    child = add.delay(context.attempt, 0)
    if context.attempt == 1:
        raise RuntimeError("first attempt fails after enqueuing")
    return child.id


# For the fault-injection tests (tests/test_faults.py): only their workers serve this queue.


@job(queue="faults", retries=3)
def record(key: str, seconds: float = 0.0) -> str:
    """Notes each start and each completion, so that a test counts runs and re-runs."""
    Note.objects.create(text=f"start:{key}")
    if seconds:
        time.sleep(seconds)
    Note.objects.create(text=f"done:{key}")
    return key


@job(queue="faults")
def backend_pid() -> int:
    """The PostgreSQL backend serving this run's database connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@job(durable=True, takes_context=True, timeout=timedelta(minutes=5))
async def wait_for_approval(
    context: JobContext, order: int, timeout: float | None = 60, nap: float = 0
) -> dict[str, object]:
    """A durable job: naps, then waits for its order's approval or rejection."""
    if nap:
        await context.sleep(timedelta(seconds=nap))
    received = await context.wait_for_first(
        f"approved:{order}", f"rejected:{order}", timeout=timeout
    )
    if received is None:
        return {"order": order, "outcome": "timed out"}
    key, payload = received
    return {"order": order, "outcome": key.split(":")[0], "by": payload.get("by")}


async def _nap(context: JobContext, key: str, seconds: float) -> str:
    await sync_to_async(Note.objects.create)(text=f"start:{key}")
    await context.sleep(seconds)
    await sync_to_async(Note.objects.create)(text=f"done:{key}")
    return key


@job(durable=True, takes_context=True, timeout=timedelta(minutes=5))
async def durable_nap(context: JobContext, key: str, seconds: float) -> str:
    """Notes its start, sleeps durably, notes its end: a replay after a lost worker notes a
    second start (the code before a wait runs again) and one end."""
    return await _nap(context, key, seconds)


@job(durable=True, takes_context=True, timeout=timedelta(minutes=5), queue="faults")
async def fault_nap(context: JobContext, key: str, seconds: float, child: str = "") -> str:
    """``durable_nap`` for the fault tests' workers; with ``child``, it first enqueues a run of
    ``record(child)`` (a replay enqueues it again: the engine must match it to the first)."""
    if child:
        await record.adelay(child)
    return await _nap(context, key, seconds)


@job(durable=True, takes_context=True)
async def wait_for_one_event(context: JobContext, key: str) -> dict[str, object] | None:
    return await context.wait_for_event(key, timeout=timedelta(minutes=2))


@job(takes_context=True)
async def not_durable_sleeps(context: JobContext) -> None:
    await context.sleep(1)


@about(Note, "note_id")
@job
def shout_note(note_id: int, fail: bool = False) -> str:
    """A job about a note (``@about``): its runs are listed on the note's admin page."""
    if fail:
        raise JobBroke(f"note {note_id}")
    return Note.objects.get(pk=note_id).text.upper()


@job
def log_both_ways(text: str) -> None:
    """A line on a logger that propagates to the root, and one on one that does not."""
    logging.getLogger("tests.loud").warning("loud: %s", text)
    logging.getLogger("tests.quiet").info("quiet: %s", text)


@job(takes_context=True)
def count_up(context: JobContext, total: int | None, steps: int = 4) -> int:
    """Report each of ``steps`` steps, of ``total`` (None: a total it does not know)."""
    for done in range(1, steps + 1):
        context.progress(done, total, f"step {done}")
    return steps


@job(takes_context=True, timeout=120)
def progress_then_wait(context: JobContext, key: str, total: int = 10) -> int:
    """Report 3 of ``total``, then wait (up to 60 s) for a note with the text ``key``; then
    report each of the rest, as fast as it can (most held back: the last one arrives)."""
    context.progress(3, total, "waiting for the note")
    deadline = time.monotonic() + 60
    while not Note.objects.filter(text=key).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    for done in range(4, total + 1):
        context.progress(done, total, f"item {done}")
    return total


from . import workflows  # noqa: E402, F401  (registered with the jobs)
