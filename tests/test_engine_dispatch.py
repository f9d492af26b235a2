"""Dispatch, results and the engine-owned options, on a real Hatchet engine and worker."""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

import django_hatchet
from django_hatchet import JobCancelled, JobFailed, JobTimeout, RunStatus
from tests.engine import from_another_process, settle
from tests.testapp import tasks

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings", "worker")]


def test_delay_runs_on_a_worker_and_get_returns_the_result():
    assert django_hatchet.jobs_enabled()
    run = tasks.add.delay(2, 3)
    assert run.known_status is RunStatus.PENDING  # Recorded; the dispatcher sends it.
    assert run.get(timeout=30) == 5
    assert run.status is RunStatus.COMPLETED
    assert run.engine_run_id  # The engine's id, next to ours.
    assert run.id != run.engine_run_id


def test_arguments_map_to_args_and_kwargs():
    run = tasks.echo.apply_async(args=[(1, 2)], kwargs={"x": {"y": None}})
    assert run.get(timeout=30) == {"args": [[1, 2]], "kwargs": {"x": {"y": None}}}


def test_async_job():
    assert tasks.async_add.delay(20, 22).get(timeout=30) == 42


async def test_adelay_and_aget():
    run = await tasks.add.adelay(1, 1)
    assert await run.aget(timeout=30) == 2


def test_failure_raises_job_failed_with_the_original_error():
    run = tasks.fail.delay("it broke")
    with pytest.raises(JobFailed) as info:
        run.get(timeout=30)
    error = info.value
    assert error.exc_type == "JobBroke"
    assert error.exc_message == "it broke"
    assert "raise JobBroke(message)" in error.traceback
    assert error.run_id == run.id
    assert run.status is RunStatus.FAILED


def test_a_return_value_that_is_not_json_fails_the_run():
    with pytest.raises(JobFailed, match="bad_return returned a value of type object"):
        tasks.bad_return.delay().get(timeout=30)


def test_countdown_makes_a_scheduled_run():
    run = tasks.add.apply_async(args=[3, 4], countdown=2)
    settle()
    assert run.status is RunStatus.SCHEDULED
    assert run.get(timeout=60) == 7


def test_eta_makes_a_scheduled_run():
    eta = datetime.now(timezone.utc) + timedelta(seconds=2)
    run = tasks.add.apply_async(args=[1, 1], eta=eta)
    assert run.get(timeout=60) == 2


def test_cancel_a_scheduled_run_before_it_fires():
    run = tasks.add.apply_async(args=[1, 1], countdown=120)
    run.cancel()
    assert run.status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled):
        run.get(timeout=5)


def test_cancel_a_running_run():
    run = tasks.sleeper.delay(60)
    deadline = time.monotonic() + 30
    while run.status is not RunStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
    run.cancel()
    with pytest.raises(JobCancelled):
        run.get(timeout=30)
    assert run.status is RunStatus.CANCELLED


def test_get_with_a_timeout_raises_job_timeout():
    run = tasks.sleeper.delay(5)
    with pytest.raises(JobTimeout, match=r"did not finish within 0\.5 s"):
        run.get(timeout=0.5)
    assert run.get(timeout=30) == 5


def test_the_result_is_read_from_another_process(hatchet_engine, namespace):
    run = tasks.add.delay(40, 2)
    seen = from_another_process(
        hatchet_engine, namespace, run.id, "[run.job_name, run.get(timeout=30), str(run.status)]"
    )
    assert seen == ["tests.testapp.tasks.add", 42, "COMPLETED"]


def test_retries_until_success_with_the_attempt_number():
    result = tasks.flaky.delay(succeed_on=3).get(timeout=60)
    assert result["attempt"] == 3


def test_retries_run_out():
    with pytest.raises(JobFailed, match="attempt 4"):
        tasks.flaky.delay(succeed_on=10).get(timeout=60)


def test_non_retryable_fails_at_once():
    with pytest.raises(JobFailed, match="bad input, attempt 1") as info:
        tasks.refuses.delay().get(timeout=60)
    assert "NonRetryable" in info.value.exc_message


def test_execution_timeout_fails_the_run():
    with pytest.raises(JobFailed) as info:
        tasks.too_slow.delay(30).get(timeout=60)
    assert "timed out" in str(info.value).lower() or "timeout" in str(info.value).lower()


def test_concurrency_limit_is_honoured():
    runs = [tasks.exclusive.delay(1) for _ in range(3)]
    spans = sorted((r.get(timeout=60)["start"], r.get(timeout=60)["end"]) for r in runs)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end - 0.05, spans  # never two at once


def test_delay_many_in_bulk():
    runs = tasks.add.delay_many((i, i) for i in range(1000))
    assert len(runs) == 1000
    assert [run.get(timeout=120) for run in runs[::50]] == [2 * i for i in range(0, 1000, 50)]
    assert all(run.engine_run_id for run in runs)  # The dispatcher's bulk answer, on each.


def test_delay_many_refuses_bad_items():
    with pytest.raises(TypeError, match=r"item 1 is int; each item must be a tuple"):
        tasks.add.delay_many([(1, 2), 3])  # type: ignore[list-item]


def test_idempotency_returns_the_earlier_run():
    key = f"pay-{time.time_ns()}"
    first = tasks.charge_once.delay(key)
    second = tasks.charge_once.delay(key)
    assert not first.deduplicated
    assert second.deduplicated
    assert second.engine_run_id == first.engine_run_id
    assert second.id == first.id
    assert second.get(timeout=30) == key
    assert tasks.charge_once.delay(key + "-other").engine_run_id != first.engine_run_id


def test_priority_is_passed_through():
    from django_hatchet import Priority

    assert tasks.report_priority.delay().get(timeout=30) == 2  # the job's default
    run = tasks.report_priority.apply_async(priority=Priority.HIGH)
    assert run.get(timeout=30) == 3


def test_job_signals_are_sent_on_the_worker(worker):
    succeeded = tasks.add.delay(1, 2)
    retried = tasks.flaky.delay(succeed_on=2)
    succeeded.get(timeout=30)
    retried.get(timeout=60)
    lines = [json.loads(line) for line in worker.signal_log.read_text().splitlines()]
    mine = [
        (x["signal"], x["job"], x["attempt"], x["status"])
        for x in lines
        if x["run_id"] in (succeeded.id, retried.id)
    ]
    add, flaky = "tests.testapp.tasks.add", "tests.testapp.tasks.flaky"
    assert sorted(mine, key=lambda x: (x[1], x[2], x[0])) == [
        ("finished", add, 1, "COMPLETED"),
        ("started", add, 1, None),
        ("finished", flaky, 1, "FAILED"),
        ("started", flaky, 1, None),
        ("finished", flaky, 2, "COMPLETED"),
        ("started", flaky, 2, None),
    ]


def test_schedule_timeout_cancels_a_run_no_worker_takes():
    run = tasks.never_picked_up.delay()
    with pytest.raises(JobCancelled):
        run.get(timeout=60)
    assert run.status is RunStatus.CANCELLED


def test_celery_self_retry_and_autoretry_on_the_engine():
    from tests.testapp import celery_tasks

    assert celery_tasks.retries_itself.delay(succeed_on=3).get(timeout=90)["retries"] == 2
    assert celery_tasks.autoretries.delay("flaky").get(timeout=90) == 2
    with pytest.raises(JobFailed, match="not retried") as info:
        celery_tasks.autoretries.delay("fatal").get(timeout=60)
    assert "attempt" not in info.value.exc_message


def test_get_run_of_an_id_the_engine_does_not_know_says_so(db):
    from django_hatchet import RunNotFound, get_run
    from django_hatchet.runs.ids import new_run_id

    unknown = new_run_id()
    started = time.monotonic()
    with pytest.raises(RunNotFound, match=f"No run {unknown} was found: the engine has none"):
        get_run(unknown)
    assert time.monotonic() - started < 30
