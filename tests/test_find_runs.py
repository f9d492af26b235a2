# mypy: disable-error-code="arg-type"
"""The run query API (issue 14, item 2), inline: the runs this process made, as handles;
its bad input. On the real engine: test_find_runs_engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_hatchet import (
    RunList,
    RunStatus,
    afind_runs,
    aruns_about,
    find_runs,
    runs_about,
)
from tests.testapp import tasks, workflows
from tests.testapp.models import Note

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("clean_inline_history", "dispatch_at_once"),
]


def test_the_runs_of_this_process_newest_first_as_handles() -> None:
    first = tasks.add.delay(1, 2)
    failed = tasks.fail.delay("no")
    last = tasks.add.delay(3, 4)
    found = find_runs()
    assert isinstance(found, RunList)
    assert [r.id for r in found] == [last.id, failed.id, first.id]
    assert found.has_more is False
    assert found[0] is last  # The very handle, in its state.
    assert (found[0].status, found[0].get()) == (RunStatus.COMPLETED, 7)
    assert found[1].status is RunStatus.FAILED
    summary = found[2].summary
    assert summary is not None
    assert (summary.job, summary.status, summary.input) == (
        "tests.testapp.tasks.add",
        "COMPLETED",
        {"args": [1, 2], "kwargs": {}},
    )
    assert summary.created_at is not None


def test_filters_by_job_status_and_time() -> None:
    add = tasks.add.delay(1, 2)
    failed = tasks.fail.delay("no")
    echo = tasks.echo.delay(1)
    assert [r.id for r in tasks.add.runs()] == [add.id]
    assert [r.id for r in find_runs("tests.echo")] == [echo.id]
    assert [r.id for r in find_runs([tasks.add, "tests.testapp.tasks.fail"])] == [
        failed.id,
        add.id,
    ]
    assert [r.id for r in find_runs(status="FAILED")] == [failed.id]
    assert [r.id for r in find_runs(status=[RunStatus.FAILED, "COMPLETED"])] == [
        echo.id,
        failed.id,
        add.id,
    ]
    assert find_runs(since=timezone.now() + timedelta(seconds=1)) == []
    assert len(find_runs(since=timedelta(minutes=1))) == 3
    assert find_runs(until=timezone.now() - timedelta(minutes=1)) == []


def test_a_workflows_runs() -> None:
    run = workflows.orders.delay(2)
    [found] = workflows.orders.runs()
    assert found.id == run.id
    assert found.get()["price"] == run.get()["price"]


def test_pages() -> None:
    made = [tasks.add.delay(i, i) for i in range(5)]
    newest_first = [r.id for r in reversed(made)]
    page = find_runs(limit=2)
    assert ([r.id for r in page], page.has_more) == (newest_first[:2], True)
    page = page.next_page()
    assert ([r.id for r in page], page.has_more) == (newest_first[2:4], True)
    page = page.next_page()
    assert ([r.id for r in page], page.has_more) == (newest_first[4:], False)
    assert page.next_page() == []
    assert [r.id for r in find_runs(limit=3, offset=1)] == newest_first[1:4]


def test_runs_about_an_object() -> None:
    note, other = Note.objects.create(text="hi"), Note.objects.create(text="bye")
    about_it = tasks.shout_note.delay(note.pk)
    tasks.shout_note.delay(other.pk)
    tasks.add.delay(note.pk, 0)  # Not declared @about: not about the note.
    failed = tasks.shout_note.delay(note_id=note.pk, fail=True)
    assert [r.id for r in runs_about(note)] == [failed.id, about_it.id]
    assert [r.id for r in runs_about(note, status="COMPLETED")] == [about_it.id]
    assert runs_about(note)[1].get() == "HI"
    with pytest.raises(tasks.JobBroke):  # Inline: the job's own exception.
        runs_about(note)[0].get()
    assert [r.id for r in tasks.shout_note.runs(about=other)] != []


async def test_async_twins() -> None:
    run = await tasks.add.adelay(2, 2)
    assert [r.id for r in await afind_runs(tasks.add)] == [run.id]
    assert [r.id for r in await tasks.add.aruns(status="COMPLETED")] == [run.id]
    page = await afind_runs(limit=1)
    assert (await page.anext_page()) == []
    with pytest.raises(TypeError, match="aruns_about\\(\\) takes a model instance"):
        await aruns_about("orders.order:1")


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: find_runs("nope"), ValueError, "find_runs(): no job is registered as 'nope'"),
        (lambda: find_runs(42), TypeError, "job must be a job, a job's name, or a list"),
        (
            lambda: find_runs(status="SUCCESS"),
            ValueError,
            "status 'SUCCESS' is not one of QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED. "
            "That is Celery's word",
        ),
        (lambda: find_runs(status="PENDING"), ValueError, "look it up by its id (get_run())"),
        (lambda: find_runs(status="done"), ValueError, "status 'done' is not one of"),
        (lambda: find_runs(limit=0), ValueError, "limit must be an int from 1 to 1000, not 0"),
        (lambda: find_runs(limit=5000), ValueError, "limit must be an int from 1 to 1000"),
        (lambda: find_runs(offset=-1), ValueError, "offset must be an int, 0 or more"),
        (
            lambda: find_runs(since=datetime(2026, 1, 1)),
            ValueError,
            "since=datetime.datetime(2026, 1, 1, 0, 0) has no time zone",
        ),
        (
            lambda: find_runs(since="yesterday"),
            TypeError,
            "since must be a datetime or a timedelta",
        ),
        (lambda: find_runs(since=timedelta(0)), ValueError, "must be a positive timedelta"),
        (lambda: find_runs(until=1), TypeError, "until must be a datetime, not int"),
        (lambda: find_runs(about="orders.order:1"), TypeError, "about must be a model instance"),
        (lambda: runs_about(7), TypeError, "runs_about() takes a model instance"),
        (
            lambda: tasks.add.runs(status="OK"),
            ValueError,
            "tests.testapp.tasks.add.runs(): status 'OK'",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
