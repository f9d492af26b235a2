"""Workflows (``django_hatchet.workflow``) on a real engine: one Hatchet DAG workflow per
workflow, a task per step, each after its parents."""

from __future__ import annotations

import time
from typing import Any

import pytest

from django_hatchet import JobFailed, JobRun, RunStatus, send_event
from django_hatchet.engine.client import get_client
from tests.engine import from_another_process, rest_run
from tests.testapp import workflows

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings", "worker")]


def task_states(run: JobRun[Any]) -> dict[str, str]:
    """Each step's task status on the engine (from the engine's gRPC record of the run)."""
    details = get_client().runs.get_details(run.engine_run_id or "")
    return {name: task.status.name for name, task in details.task_runs.items()}


def wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_each_step_is_a_task_of_one_run_on_the_engine():
    run = workflows.orders.delay(1)
    run.get(timeout=60)
    assert task_states(run) == dict.fromkeys(["bill", "load", "price", "reserve"], "COMPLETED")
    details = rest_run(run.engine_run_id or "")
    assert (details.run.additional_metadata or {})["django_hatchet_run_id"] == run.id


def test_a_failed_step_fails_the_run_with_its_error_and_its_descendants_never_run():
    run = workflows.breaks.delay(1, pause=2.0)
    with pytest.raises(JobFailed) as failed:
        run.get(timeout=60)
    assert run.status is RunStatus.FAILED
    error = failed.value
    assert error.exc_type == "ValueError"
    assert error.exc_message == "boom at 2"
    assert f"tests.breaks run {run.id} failed in step explode: ValueError: boom at 2" in str(error)
    # The independent step runs to its end; the failed step's child never starts.
    wait_for(lambda: task_states(run).get("sibling") == "COMPLETED")
    states = task_states(run)
    assert states["explode"] == "FAILED"
    assert states.get("after", "CANCELLED") == "CANCELLED"


def test_cancel_stops_a_running_workflow():
    run = workflows.slow.delay(30.0)
    wait_for(lambda: run.refresh() is RunStatus.RUNNING)
    run.cancel()
    wait_for(lambda: run.refresh() is RunStatus.CANCELLED)
    assert task_states(run)["nap"] == "CANCELLED"
    assert task_states(run).get("woke", "CANCELLED") == "CANCELLED"


def test_a_durable_step_waits_for_an_event_then_its_child_gets_it():
    run = workflows.approval.delay("approval:wf-1")
    time.sleep(2)
    send_event("approval:wf-1", {"ok": True})
    assert run.get(timeout=60) == {"wait": {"ok": True}, "decide": "approved"}


def test_a_workflow_is_found_by_its_id_from_another_process(
    hatchet_engine, namespace, transactional_db
):
    run = workflows.orders.delay(2)
    kind, name, value = from_another_process(
        hatchet_engine, namespace, run.id, "[type(run).__name__, run.job_name, run.get(timeout=60)]"
    )
    assert (kind, name) == ("WorkflowRun", "tests.orders")
    assert value["price"] == 50


async def test_async_twins():
    run = await workflows.orders.adelay(4)
    assert (await run.aget(timeout=60))["price"] == 90


def test_workflow_concurrency_holds_a_second_run_until_the_first_has_ended():
    first = workflows.one_at_a_time.delay(2.0)
    second = workflows.one_at_a_time.delay(2.0)
    a, b = first.get(timeout=60), second.get(timeout=60)
    # The whole first run (both its steps) ended before the second's first step started.
    assert b["hold"][0] >= a["release"] - 0.05, (a, b)


def test_a_workflows_timeout_is_each_steps():
    run = workflows.too_slow.delay(5.0)
    with pytest.raises(JobFailed) as failed:
        run.get(timeout=60)
    assert "in step crawl" in str(failed.value)
    assert "timeout" in str(failed.value).lower() or "timed out" in str(failed.value).lower()
