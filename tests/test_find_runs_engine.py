"""The run query API (issue 14, item 2) against runs on the real engine: by job, status, time
and object, paged, as handles in the state the engine listed them in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_hatchet import JobFailed, RunStatus, WorkflowRun, find_runs, runs_about
from tests.test_cron_sync import wait_for
from tests.testapp import tasks, workflows
from tests.testapp.models import Note

pytestmark = [
    pytest.mark.engine,
    pytest.mark.django_db(transaction=True),  # The worker reads the notes.
    pytest.mark.usefixtures("engine_settings", "worker", "dispatch_at_once"),
]


def listed(expected: int, settled: bool = False, **filters: Any) -> list[Any]:
    """The engine lists a run a moment after it answers the enqueue, and its list shows a
    run's end a moment after ``get()`` saw it: wait for them all (``settled``: all ended)."""

    def found() -> list[Any] | None:
        runs = find_runs(**filters)
        if len(runs) != expected:
            return None
        if settled and any(r.known_status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs):
            return None
        return runs

    return wait_for(found, 30, f"{expected} runs for {filters}")


def test_the_runs_of_a_job_newest_first_as_handles() -> None:
    since = timezone.now()  # Runs of the tests before are older.
    made = [tasks.add.delay(i, 1) for i in range(3)]
    failed = tasks.fail.delay("listed")
    for run in made:
        run.get(timeout=60)
    with pytest.raises(JobFailed):
        failed.get(timeout=60)

    found = listed(3, settled=True, job=tasks.add, since=since)
    # Newest first; the engine may stamp runs it wrote in one batch with one time, so the
    # order of those is its own.
    assert {r.id for r in found} == {r.id for r in made}
    times = [r.summary.created_at for r in found]
    assert times == sorted(times, reverse=True)
    assert [r.known_status for r in found] == [RunStatus.COMPLETED] * 3  # As listed.
    by_id = {r.id: r for r in found}
    assert [by_id[r.id].get() for r in made] == [1, 2, 3]
    assert by_id[made[-1].id].engine_run_id == made[-1].engine_run_id
    summary = by_id[made[-1].id].summary
    assert summary is not None
    assert summary.input == {"args": [2, 1], "kwargs": {}}
    assert summary.started_at is not None
    assert summary.finished_at is not None

    [broken] = listed(1, job="tests.testapp.tasks.fail", since=since, status="FAILED")
    assert broken.id == failed.id
    with pytest.raises(JobFailed) as info:
        broken.get()
    assert (info.value.exc_type, info.value.exc_message) == ("JobBroke", "listed")
    assert tasks.fail.runs(since=since, status="COMPLETED") == []
    assert find_runs(tasks.add, since=timezone.now() + timedelta(minutes=1)) == []


def test_pages_of_the_engines_runs() -> None:
    since = timezone.now()  # Runs of the tests before are older.
    made = [tasks.echo.delay(i) for i in range(5)]
    for run in made:
        run.get(timeout=60)
    everything = [r.id for r in listed(5, job="tests.echo", since=since)]
    assert set(everything) == {r.id for r in made}
    page = tasks.echo.runs(since=since, limit=2)
    seen = [r.id for r in page]
    while page.has_more:
        page = page.next_page()
        seen += [r.id for r in page]
    assert seen == everything  # The pages, in the engine's order, each run once.
    assert [r.id for r in tasks.echo.runs(since=since, limit=2, offset=3)] == everything[3:]


def test_runs_about_an_object_on_the_engine() -> None:
    since = timezone.now()  # Runs of the tests before are older.
    note, other = Note.objects.create(text="hi"), Note.objects.create(text="bye")
    about_it = tasks.shout_note.delay(note.pk)
    tasks.shout_note.delay(other.pk)
    assert about_it.get(timeout=60) == "HI"
    wait_for(lambda: len(find_runs(tasks.shout_note, since=since)) == 2, 30, "both runs")
    [found] = runs_about(note, since=since)
    assert (found.id, found.get()) == (about_it.id, "HI")


def test_a_workflows_runs_are_workflow_handles() -> None:
    since = timezone.now()  # Runs of the tests before are older.
    run = workflows.orders.delay(4)
    expected = run.get(timeout=60)
    [found] = listed(1, job=workflows.orders, since=since)
    assert isinstance(found, WorkflowRun)
    assert (found.id, found.get()) == (run.id, expected)
