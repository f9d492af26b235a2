"""The canvas on a real engine: one durable run per canvas, each step a child run of it."""

from __future__ import annotations

import time
from typing import Any

import pytest

import django_hatchet
from django_hatchet import CanvasRun, JobCancelled, JobFailed, RunStatus, chain, chord, group
from django_hatchet.canvas.plan import ORCHESTRATOR
from django_hatchet.engine.runs import find_run
from django_hatchet.runs.ids import CLOCK_SKEW, run_id_time
from tests.engine import from_another_process, rest_run
from tests.testapp import tasks

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings", "worker")]


def never_started(run: django_hatchet.JobRun[Any]) -> bool:
    """True when the engine has no run with this id."""
    return find_run(run.id, run_id_time(run.id) - CLOCK_SKEW) is None


def test_a_chain_passes_each_result_to_the_next_step():
    canvas = (tasks.add.s(1, 2) | tasks.add.s(3) | tasks.add.s(4)).delay()
    assert isinstance(canvas, CanvasRun)
    assert canvas.job_name == ORCHESTRATOR
    assert canvas.get(timeout=60) == 10
    assert canvas.status is RunStatus.COMPLETED
    assert [step.get(timeout=10) for step in canvas.children] == [3, 6, 10]
    assert all(step.status is RunStatus.COMPLETED for step in canvas.children)


def test_each_step_is_a_child_run_of_the_canvas_run():
    canvas = chain(tasks.add.s(1, 1), tasks.add.s(1)).delay()
    canvas.get(timeout=60)
    for step in canvas.children:
        step.refresh()
        assert step.engine_run_id is not None
        details = rest_run(step.engine_run_id)
        assert details.tasks[0].parent_task_external_id == canvas.engine_run_id
        assert (details.run.additional_metadata or {})["django_hatchet_canvas"] == canvas.id


def test_a_group_returns_its_members_results_in_order():
    canvas = group(tasks.add.s(i, i) for i in range(10)).delay()
    assert canvas.get(timeout=60) == [2 * i for i in range(10)]
    assert [member.get(timeout=10) for member in canvas.results] == [2 * i for i in range(10)]


def test_a_chord_gives_the_group_results_to_its_callback():
    canvas = chord((tasks.add.s(i, 1) for i in range(10)), tasks.echo.s("total")).delay()
    assert canvas.get(timeout=60) == {"args": [list(range(1, 11)), "total"], "kwargs": {}}


def test_a_nested_canvas():
    canvas = chain(
        tasks.add.s(1, 1),
        group(tasks.add.s(10), chain(tasks.add.s(20), tasks.add.s(100))),
        tasks.echo.s(),
    ).delay()
    assert canvas.get(timeout=90) == {"args": [[12, 122]], "kwargs": {}}
    _first, inner_group, last = canvas.children
    assert isinstance(inner_group, CanvasRun)
    assert inner_group.get(timeout=10) == [12, 122]
    inner_chain = inner_group.children[1]
    assert isinstance(inner_chain, CanvasRun)
    assert inner_chain.children[1].get(timeout=10) == 122
    assert last.get(timeout=10) == {"args": [[12, 122]], "kwargs": {}}


def test_a_failed_step_stops_the_chain_and_fails_it_with_that_steps_error():
    canvas = (tasks.add.s(1, 1) | tasks.fail.si("step two broke") | tasks.add.s(1)).delay()
    with pytest.raises(JobFailed) as info:
        canvas.get(timeout=60)
    error = info.value
    broken = canvas.children[1]
    assert (error.exc_type, error.exc_message) == ("JobBroke", "step two broke")
    assert (error.job_name, error.run_id) == ("tests.testapp.tasks.fail", broken.id)
    assert canvas.status is RunStatus.FAILED
    assert broken.status is RunStatus.FAILED
    assert canvas.children[0].status is RunStatus.COMPLETED
    assert never_started(canvas.children[2])
    # Its handle does not wait for a run that will never exist.
    assert canvas.children[2].status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled, match=f"did not run: .*{broken.id} failed"):
        canvas.children[2].get(timeout=5)


def test_a_failed_member_fails_the_group_after_the_others_ran():
    canvas = group(tasks.add.s(1, 1), tasks.fail.si("member broke"), tasks.add.s(2, 2)).delay()
    with pytest.raises(JobFailed, match="member broke"):
        canvas.get(timeout=60)
    assert canvas.children[0].get(timeout=10) == 2
    assert canvas.children[2].get(timeout=10) == 4


def test_a_chords_callback_does_not_run_when_a_member_fails():
    canvas = chord([tasks.add.s(1, 1), tasks.fail.si("header broke")], tasks.echo.s()).delay()
    with pytest.raises(JobFailed, match="header broke") as info:
        canvas.get(timeout=60)
    assert info.value.job_name == "tests.testapp.tasks.fail"
    header, callback = canvas.children
    assert header.status is RunStatus.FAILED
    assert never_started(callback)


def test_a_failure_inside_a_nested_canvas_reaches_the_top_with_the_steps_error():
    canvas = chain(tasks.add.s(1, 1), group(tasks.add.s(1), tasks.fail.si("deep"))).delay()
    with pytest.raises(JobFailed) as info:
        canvas.get(timeout=60)
    assert (info.value.exc_type, info.value.exc_message) == ("JobBroke", "deep")
    inner_group = canvas.children[1]
    assert isinstance(inner_group, CanvasRun)
    assert info.value.run_id == inner_group.children[1].id


def test_cancel_stops_a_running_canvas_and_its_running_step():
    canvas = (tasks.sleeper.si(30) | tasks.add.si(1, 1)).delay()
    sleeping = canvas.children[0]
    deadline = time.monotonic() + 30
    while sleeping.status is not RunStatus.RUNNING:
        assert time.monotonic() < deadline, sleeping
        time.sleep(0.2)
    canvas.cancel()
    deadline = time.monotonic() + 30
    while not (canvas.status.is_finished and sleeping.status.is_finished):
        assert time.monotonic() < deadline, (canvas, sleeping)
        time.sleep(0.2)
    assert canvas.status is RunStatus.CANCELLED
    assert sleeping.status is RunStatus.CANCELLED
    time.sleep(2)
    assert never_started(canvas.children[1])


def test_a_canvas_is_found_by_its_id_from_another_process(
    hatchet_engine, namespace, transactional_db
):
    canvas = chord([tasks.add.s(1, 2), tasks.add.s(3, 4)], tasks.echo.s()).delay()
    kind, shape, value, ids, header = from_another_process(
        hatchet_engine,
        namespace,
        canvas.id,
        "[type(run).__name__, run.shape, run.get(timeout=60), [c.id for c in run.children], "
        "run.children[0].get(timeout=10)]",
    )
    assert kind == "CanvasRun"
    assert shape == "chord(group(tests.testapp.tasks.add, tests.testapp.tasks.add), tests.echo)"
    assert value == {"args": [[3, 7]], "kwargs": {}}
    assert ids == [c.id for c in canvas.children]
    assert header == [3, 7]


async def test_async_twins():
    canvas = await (tasks.add.s(2, 2) | tasks.add.s(2)).adelay()
    assert await canvas.aget(timeout=60) == 6


@pytest.mark.django_db(transaction=True)
def test_a_job_delayed_inside_a_running_job_is_its_child_run():
    parent = tasks.delay_child.delay(5)
    child_id = parent.get(timeout=60)
    child = django_hatchet.get_run(child_id)
    assert child.get(timeout=30) == 6
    assert child.engine_run_id is not None
    details = rest_run(child.engine_run_id)
    assert details.tasks[0].parent_task_external_id == parent.engine_run_id


@pytest.mark.django_db(transaction=True)
def test_a_retried_job_enqueues_new_child_runs_not_its_first_attempts():
    # Without a key per child, the engine matches a retry's children to the first attempt's
    # by their order, and the retry's add(2, 0) would be answered with add(1, 0)'s run.
    child_id = tasks.delay_child_then_retry.delay().get(timeout=60)
    assert django_hatchet.get_run(child_id).get(timeout=30) == 2
