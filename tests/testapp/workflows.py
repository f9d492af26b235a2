"""Workflows the test suite uses (tests/test_workflows*.py); imported by ``tasks``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django_hatchet import JobContext, workflow

#: Fan-out from one step and fan-in to one: load -> (price, reserve) -> bill.
orders = workflow("tests.orders", timeout=60)


@orders.step()
def load(order_id: int) -> dict[str, Any]:
    return {"id": order_id, "lines": [order_id, order_id + 1]}


@orders.step(parents=[load])
def price(order_id: int, load: dict[str, Any]) -> int:
    return sum(load["lines"]) * 10


@orders.step(parents=[load])
async def reserve(order_id: int, load: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": len(load["lines"])}


@orders.step(parents=["price", "reserve"], takes_context=True)
def bill(context: JobContext, order_id: int, price: int, reserve: dict[str, Any]) -> str:
    return f"order {order_id}: {price} for {reserve['reserved']} lines (run {context.run_id})"


#: A step fails: its descendant never runs; an independent step still completes.
breaks = workflow("tests.breaks")


@breaks.step()
def first(n: int) -> int:
    return n + 1


@breaks.step(parents=[first], retries=0)
def explode(n: int, first: int) -> int:
    raise ValueError(f"boom at {first}")


@breaks.step(parents=[explode])
def after(n: int, explode: int) -> int:
    return explode


@breaks.step()
def sibling(n: int, pause: float = 0.0) -> int:
    time.sleep(pause)
    return n * 2


#: A durable step waits for an event; the next step gets what it received.
approval = workflow("tests.approval")


@approval.step(durable=True, takes_context=True, timeout=timedelta(minutes=2))
async def wait(context: JobContext, key: str) -> dict[str, Any] | None:
    return await context.wait_for_event(key, timeout=timedelta(seconds=60))


@approval.step(parents=[wait])
def decide(key: str, wait: dict[str, Any] | None) -> str:
    return "approved" if wait and wait.get("ok") else "refused"


#: A long step, to cancel while it runs.
slow = workflow("tests.slow")


@slow.step()
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@slow.step(parents=[nap])
def woke(seconds: float, nap: float) -> str:
    return f"slept {nap} s"


#: Workflow-level concurrency: one run at a time, all its steps included.
one_at_a_time = workflow("tests.one_at_a_time", concurrency=1)


@one_at_a_time.step()
def hold(seconds: float) -> list[float]:
    started = time.time()
    time.sleep(seconds)
    return [started, time.time()]


@one_at_a_time.step(parents=[hold])
def release(seconds: float, hold: list[float]) -> float:
    return time.time()


#: A workflow's timeout is each step's default.
too_slow = workflow("tests.too_slow", timeout=1)


@too_slow.step()
def crawl(seconds: float) -> None:
    time.sleep(seconds)


#: Its first step fails the first time it runs for a key, then passes: a retry completes it.
flaky = workflow("tests.flaky")


@flaky.step()
def attempt(key: str) -> int:
    from .models import Note

    Note.objects.create(text=key)
    tries = Note.objects.filter(text=key).count()
    if tries == 1:
        raise ValueError(f"{key}: the first try fails")
    return tries


@flaky.step(parents=[attempt])
def after_attempt(key: str, attempt: int) -> int:
    return attempt
