from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django.test import override_settings

from django_hatchet.worker import Worker, select_jobs
from tests.testapp import tasks


def test_select_all_jobs_by_default():
    assert tasks.add in select_jobs()
    assert tasks.on_special_queue in select_jobs()


def test_select_by_pattern_and_exclude():
    names = [j.name for j in select_jobs(["tests.testapp.tasks.a*"], ["*.async_add"])]
    assert names == ["tests.testapp.tasks.add"]


def test_select_by_queue():
    assert select_jobs(queues=["special"]) == [tasks.on_special_queue]
    with pytest.raises(CommandError, match="No job is on the queue"):
        select_jobs(queues=["nope"])


def test_a_pattern_that_matches_nothing_is_an_error():
    with pytest.raises(CommandError, match=r"No job matches 'orders\.\*'. Registered jobs: "):
        select_jobs(["orders.*"])


@override_settings(
    HATCHET_WORKER_NAME="web-1", HATCHET_WORKER_SLOTS=4, HATCHET_WORKER_LABELS={"zone": "a"}
)
def test_banner():
    worker = Worker(jobs=[tasks.add, tasks.echo], labels={"gpu": 1})
    banner = worker.banner(
        "127.0.0.1:7077 (engine v0.105.0)", {"nightly-sum": "2026-11-23T03:00:00Z"}
    )
    lines = banner.splitlines()
    assert (
        lines[0]
        == "django-hatchet worker 'web-1' on the Hatchet engine at 127.0.0.1:7077 (engine v0.105.0)"
    )
    assert lines[1] == (
        "slots: 4; labels: {'zone': 'a', 'gpu': 1}; drain timeout: 60 s; outbox relay: on"
    )
    assert ["tests.echo", "2", "0:00:30", "1", "day,", "0:00:00"] in [
        line.split() for line in lines
    ]
    assert (
        "nightly-sum  settings  tests.testapp.tasks.add  0 3 * * *       2026-11-23T03:00:00Z"
        in banner
    )


def test_worker_keeps_only_the_crons_of_its_jobs():
    assert [c.name for c in Worker(jobs=[tasks.add]).crons] == ["nightly-sum"]
    assert Worker(jobs=[tasks.echo]).crons == []
