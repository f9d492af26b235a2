"""Durable jobs inline: context.sleep(), context.wait_for_event() and wait_for_first(), and
what send_event() gives them; tests/test_durable_engine.py runs them on a real engine."""

from __future__ import annotations

import time

import pytest

from django_hatchet import JobError, RunStatus, send_event
from django_hatchet.testing import capture_jobs
from tests.testapp import tasks


def test_an_inline_durable_sleep_returns_at_once():
    run = tasks.wait_for_approval.delay(1, timeout=0, nap=3600)
    assert run.get() == {"order": 1, "outcome": "timed out"}


def test_a_wait_with_a_timeout_and_no_event_times_out_at_once_inline():
    assert tasks.wait_for_approval.delay(2, timeout=3600).get() == {
        "order": 2,
        "outcome": "timed out",
    }


def test_an_event_sent_after_the_run_was_enqueued_wakes_its_wait():
    with capture_jobs() as captured:
        run = tasks.wait_for_approval.delay(3)
    send_event("rejected:3", {"by": "ops"})
    captured.run_all()
    assert run.get() == {"order": 3, "outcome": "rejected", "by": "ops"}


def test_of_several_events_sent_before_the_wait_it_receives_the_latest():
    with capture_jobs() as captured:
        run = tasks.wait_for_approval.delay(33)
    send_event("rejected:33", {"by": "ops"})
    send_event("approved:33", {"by": "boss"})
    captured.run_all()
    assert run.get() == {"order": 33, "outcome": "approved", "by": "boss"}


def test_an_event_sent_before_the_run_was_enqueued_is_not_received():
    send_event("approved:4", {"by": "too early"})
    time.sleep(0.002)  # Run ids and events compare to the millisecond.
    assert tasks.wait_for_approval.delay(4, timeout=1).get() == {"order": 4, "outcome": "timed out"}


def test_a_later_wait_receives_only_events_sent_after_the_previous_wait_ended(define):
    module = define(
        """
        from django_hatchet import job

        @job(durable=True, takes_context=True)
        async def twice(context, key: str) -> list:
            first = await context.wait_for_event(key, timeout=5)
            second = await context.wait_for_event(key, timeout=5)
            return [first, second]
        """
    )
    with capture_jobs() as captured:
        run = module.twice.delay("tick")
    send_event("tick", {"n": 1})
    captured.run_all()
    assert run.get() == [{"n": 1}, None]


def test_the_payload_makes_the_json_round_trip():
    with capture_jobs() as captured:
        run = tasks.wait_for_one_event.delay("shipped:5")
    send_event("shipped:5", {"carrier": "ups", "weights": (1, 2)})
    captured.run_all()
    assert run.get() == {"carrier": "ups", "weights": [1, 2]}


def test_a_wait_with_no_timeout_and_no_event_fails_saying_why(define):
    module = define(
        """
        from django_hatchet import job

        @job(durable=True, takes_context=True)
        async def forever(context) -> dict:
            return await context.wait_for_event("never")
        """
    )
    run = module.forever.delay()
    assert run.status is RunStatus.FAILED
    with pytest.raises(JobError, match=r"waits for 'never' with no timeout.*inline, a wait cannot"):
        run.get()


def test_a_job_that_is_not_durable_cannot_wait_saying_what_to_change():
    run = tasks.not_durable_sleeps.delay()
    with pytest.raises(
        TypeError, match=r"context.sleep\(\) needs a durable job: declare .*durable"
    ):
        run.get()


BAD_WAITS = """
from datetime import timedelta
from django_hatchet import job

CALLS = {
    "str duration": lambda c: c.sleep("10"),
    "negative duration": lambda c: c.sleep(-1),
    "str timeout": lambda c: c.wait_for_event("k", timeout="1"),
    "empty key": lambda c: c.wait_for_event("", timeout=1),
    "no key": lambda c: c.wait_for_first(timeout=1),
    "negative timeout": lambda c: c.wait_for_event("k", timeout=timedelta(seconds=-1)),
}

@job(durable=True, takes_context=True)
async def bad(context, case: str) -> None:
    await CALLS[case](context)
"""


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("str duration", TypeError, r"sleep\(\): duration must be a timedelta or a number"),
        ("negative duration", ValueError, r"duration must be 0 or more, not -1"),
        ("str timeout", TypeError, r"wait_for_event\(\): timeout must be a timedelta"),
        ("empty key", TypeError, r"each key must be a non-empty str"),
        ("no key", TypeError, r"wait_for_first\(\): each key must be a non-empty str"),
        ("negative timeout", ValueError, r"timeout must be 0 or more, not -1.0"),
    ],
)
async def test_bad_durations_and_keys_are_refused_saying_what_to_pass(define, case, error, message):
    module = define(BAD_WAITS, "tests.bad_waits")
    run = await module.bad.adelay(case)
    with pytest.raises(error, match=message):
        await run.aget()


FOLLOW_UP = """
from datetime import timedelta

from django_hatchet import JobContext, job

REMINDED = []

@job
def remind(order_id: int) -> None:
    REMINDED.append(order_id)

@job(durable=True, takes_context=True, timeout=timedelta(days=8))
async def follow_up(context: JobContext, order_id: int) -> str:
    await context.sleep(timedelta(days=1))
    received = await context.wait_for_first(
        f"order:{order_id}:paid", f"order:{order_id}:cancelled", timeout=timedelta(days=7)
    )
    if received is None:
        await remind.adelay(order_id)
        return "reminded"
    key, payload = received
    return key.rsplit(":", 1)[1]
"""


def test_the_durable_examples_of_docs_workflows_md(define):
    shop = define(FOLLOW_UP, "tests.follow_up")
    with capture_jobs() as captured:
        run = shop.follow_up.delay(7)
    send_event("order:7:paid", {"amount": 10})
    captured.run_all()
    assert run.get() == "paid"
    assert shop.follow_up.delay(8).get() == "reminded"
    assert shop.REMINDED == [8]
