"""Durable jobs on a real engine: context.sleep(), and waits woken by send_event()."""

from __future__ import annotations

import time

import pytest

from django_hatchet import RunStatus, send_event
from tests.testapp import tasks
from tests.testapp.models import Note

pytestmark = [
    pytest.mark.engine,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("engine_settings", "worker"),
]


def test_a_durable_sleep_sleeps_then_goes_on():
    started = time.monotonic()
    run = tasks.durable_nap.delay("nap-3", 3)
    assert run.get(timeout=60) == "nap-3"
    assert time.monotonic() - started >= 3
    texts = sorted(Note.objects.filter(text__endswith=":nap-3").values_list("text", flat=True))
    assert texts == ["done:nap-3", "start:nap-3"]


def test_a_wait_is_woken_by_send_event_with_its_payload():
    run = tasks.wait_for_one_event.delay("shipped:41")
    _wait_until_running(run)
    send_event("shipped:41", {"carrier": "ups"})
    assert run.get(timeout=60) == {"carrier": "ups"}


def test_an_event_sent_as_soon_as_the_run_is_enqueued_is_not_lost():
    """The run may not have reached its wait yet: the event still counts, as inline."""
    run = tasks.wait_for_approval.delay(42, timeout=120)
    send_event("approved:42", {"by": "boss"})
    assert run.get(timeout=60) == {"order": 42, "outcome": "approved", "by": "boss"}


def test_wait_for_first_returns_the_key_that_came():
    run = tasks.wait_for_approval.delay(43, timeout=120)
    _wait_until_running(run)
    send_event("rejected:43", {"by": "ops"})
    assert run.get(timeout=60) == {"order": 43, "outcome": "rejected", "by": "ops"}


def test_a_wait_times_out():
    started = time.monotonic()
    run = tasks.wait_for_approval.delay(44, timeout=2)
    assert run.get(timeout=60) == {"order": 44, "outcome": "timed out"}
    assert time.monotonic() - started >= 2


def test_an_event_for_another_key_does_not_wake_it():
    run = tasks.wait_for_approval.delay(45, timeout=4)
    _wait_until_running(run)
    send_event("approved:46", {"by": "someone else"})
    assert run.get(timeout=60) == {"order": 45, "outcome": "timed out"}


def _wait_until_running(run, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while run.status is not RunStatus.RUNNING:
        assert time.monotonic() < deadline, f"{run!r} did not start"
        time.sleep(0.1)
    time.sleep(1)  # Reaching its wait.
