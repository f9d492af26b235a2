from __future__ import annotations

import re

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


def test_the_workers_output_leaves_the_sdks_run_lines_out(monkeypatch):
    import io
    import logging

    from django_hatchet.worker import report

    sdk, ours = logging.getLogger("hatchet"), logging.getLogger("django_hatchet")
    monkeypatch.setattr(sdk, "filters", [])
    monkeypatch.setattr(ours, "handlers", [])
    monkeypatch.setattr(ours, "level", logging.NOTSET)
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    out = io.StringIO()
    report.configure(1, out)
    record = logging.LogRecord(
        "hatchet", logging.ERROR, __file__, 1, "failed step run: x/y", (), None
    )
    assert not sdk.filters[0].filter(record)
    started = logging.LogRecord(
        "hatchet", logging.INFO, __file__, 1, "'w' started, waiting for tasks...", (), None
    )
    assert sdk.filters[0].filter(started)  # Its start-up lines stay (runworker's readiness).
    report.attempt_completed("shop.send", "01a2", 1, 0.0)
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\d [\d:,]+\] INFO django_hatchet\.worker: shop\.send run 01a2 "
        r"completed in [\d.]+ m?s \(attempt 1\)\.\n",
        out.getvalue(),
    ), out.getvalue()


def test_the_workers_output_uses_the_projects_logging_when_it_has_some(monkeypatch):
    import io
    import logging

    from django_hatchet.worker import report

    ours = logging.getLogger("django_hatchet")
    projects = logging.StreamHandler(io.StringIO())
    monkeypatch.setattr(ours, "handlers", [projects])
    report.configure(1, io.StringIO())
    assert ours.handlers == [projects]  # Its own: nothing added.


def test_verbosity_3_keeps_the_sdks_lines(monkeypatch):
    import logging

    from django_hatchet.worker import report

    sdk = logging.getLogger("hatchet")
    monkeypatch.setattr(sdk, "filters", [])
    monkeypatch.setattr(logging.getLogger("django_hatchet"), "handlers", [logging.NullHandler()])
    report.configure(3)
    assert sdk.filters == []
