"""Django's Tasks framework on a real Hatchet engine: ``@task`` functions enqueued through
the framework run on ``runworker`` (started with ``tests.tasks_settings``), and their results
come back through ``get_result``."""

from __future__ import annotations

import importlib
import time
import types
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings
from django.utils import timezone

from django_hatchet.tasks_backend import HatchetTask, job_for
from tests.engine import WorkerProcess, worker_environment

if TYPE_CHECKING:
    from django.tasks import TaskResult, TaskResultStatus
    from django.tasks.exceptions import TaskResultDoesNotExist
else:
    try:
        from django.tasks import TaskResult, TaskResultStatus
        from django.tasks.exceptions import TaskResultDoesNotExist
    except ImportError:
        from django_tasks import TaskResult, TaskResultStatus
        from django_tasks.exceptions import TaskResultDoesNotExist

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings", "tasks_worker")]

TASKS = {"default": {"BACKEND": "django_hatchet.tasks_backend.HatchetBackend"}}


@pytest.fixture(scope="module")
def tasks_worker(
    hatchet_engine: dict[str, str],
    namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    """``manage.py runworker`` with the settings that point ``TASKS`` at django-hatchet."""
    log: Path = tmp_path_factory.mktemp("tasks-worker") / "worker.log"
    process = WorkerProcess(
        worker_environment(hatchet_engine, namespace),
        ["--settings=tests.tasks_settings", "--slots", "10", "--name", "tasks-worker"],
        log,
    )
    process.wait_until_ready()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def tasks_module() -> Iterator[types.ModuleType]:
    with override_settings(TASKS=TASKS):
        module = importlib.import_module("tests.testapp.django_tasks_module")
        for value in vars(module).values():
            if isinstance(value, HatchetTask):
                job_for(value)
        yield module


def finished(task: Any, result_id: str, timeout: float = 30) -> TaskResult[Any, Any]:
    deadline = time.monotonic() + timeout
    while True:
        result: TaskResult[Any, Any] = task.get_result(result_id)
        if result.is_finished or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_a_task_runs_on_the_worker_and_its_result_comes_back(tasks_module, tasks_worker):
    before = timezone.now()
    result = tasks_module.add.enqueue(2, 3)
    assert result.status == TaskResultStatus.READY
    assert result.enqueued_at is not None
    fetched = finished(tasks_module.add, result.id)
    assert fetched.status == TaskResultStatus.SUCCESSFUL, tasks_worker.output()
    assert fetched.return_value == 5
    assert fetched.task is tasks_module.add
    assert fetched.args == [2, 3]
    assert fetched.enqueued_at is not None
    assert fetched.started_at is not None
    assert fetched.finished_at is not None
    assert before - timedelta(seconds=1) <= fetched.enqueued_at <= fetched.started_at
    assert fetched.started_at <= fetched.finished_at
    assert fetched.last_attempted_at == fetched.started_at
    assert len(fetched.worker_ids) == 1
    assert fetched.attempts == 1
    result.refresh()  # The handle enqueue returned is updated in place.
    assert result.return_value == 5


def test_takes_context_on_the_worker(tasks_module):
    result = tasks_module.with_context.enqueue(7)
    fetched = finished(tasks_module.with_context, result.id)
    assert fetched.return_value == {"attempt": 1, "id": result.id, "x": 7}


def test_an_async_task_on_the_worker(tasks_module):
    result = tasks_module.async_add.enqueue(20, 22)
    assert finished(tasks_module.async_add, result.id).return_value == 42


def test_a_failing_task_has_its_error(tasks_module):
    result = tasks_module.fail.enqueue("it broke")
    fetched = finished(tasks_module.fail, result.id)
    assert fetched.status == TaskResultStatus.FAILED
    [error] = fetched.errors
    assert error.exception_class_path == "tests.testapp.django_tasks_module.TaskBroke"
    assert error.exception_class is tasks_module.TaskBroke
    assert "it broke" in error.traceback


def test_run_after_defers_the_run(tasks_module):
    run_after = timezone.now() + timedelta(seconds=4)
    result = tasks_module.add.using(run_after=run_after).enqueue(1, 1)
    assert tasks_module.add.get_result(result.id).status == TaskResultStatus.READY
    fetched = finished(tasks_module.add, result.id, timeout=40)
    assert fetched.return_value == 2
    assert fetched.started_at is not None
    assert fetched.started_at >= run_after - timedelta(seconds=1)


def test_an_unknown_id(tasks_module):
    from django_hatchet.runs.ids import new_run_id

    with pytest.raises(TaskResultDoesNotExist):
        tasks_module.add.get_result(new_run_id())
