"""``manage.py hatchet_relay`` and ``runworker --no-relay`` (the relay: tests/test_faults.py)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_hatchet.models import OutboxEntry
from django_hatchet.worker import Worker
from tests.test_unreachable import default_job, engine_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_once_with_the_engine_down_keeps_the_runs_and_says_why(engine_down: str) -> None:  # noqa: F811
    default_job.delay(1)
    default_job.delay(2)
    with pytest.raises(CommandError, match=r"cannot be reached \(UNAVAILABLE") as caught:
        call_command("hatchet_relay", "--once")
    assert "the runs left stay in the outbox" in str(caught.value)
    assert OutboxEntry.objects.count() == 2


@override_settings(HATCHET_CLIENT_TOKEN=None)
def test_without_an_engine_it_says_there_is_nothing_to_relay() -> None:
    with pytest.raises(CommandError, match="No Hatchet engine is configured"):
        call_command("hatchet_relay", "--once")


def test_runworker_without_the_relay_says_so_in_its_banner() -> None:
    assert "outbox relay: off (--no-relay)" in Worker(jobs=[], relay=False).banner("engine")
    assert "outbox relay: on" in Worker(jobs=[]).banner("engine")
