"""The Hatchet backend for Django's Tasks framework, inline (no engine): the contract of
Django's ImmediateBackend tests where it applies, and what is Hatchet's own."""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from django_hatchet import Priority, registry
from django_hatchet.jobs.context import JobContext
from django_hatchet.runs.ids import new_run_id, run_id_time
from django_hatchet.tasks_backend import HatchetBackend, HatchetTask, hatchet_priority, job_for
from django_hatchet.testing import capture_jobs
from tests.admin_fixtures import FAKE_TOKEN

if TYPE_CHECKING:
    from django.tasks import TaskResultStatus, default_task_backend, task, task_backends
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist, TaskResultMismatch
    from django.tasks.signals import task_enqueued, task_finished, task_started
else:
    try:
        from django.tasks import TaskResultStatus, default_task_backend, task, task_backends
        from django.tasks.exceptions import (
            InvalidTask,
            TaskResultDoesNotExist,
            TaskResultMismatch,
        )
        from django.tasks.signals import task_enqueued, task_finished, task_started
    except ImportError:
        from django_tasks import TaskResultStatus, default_task_backend, task, task_backends
        from django_tasks.exceptions import InvalidTaskError as InvalidTask
        from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
        from django_tasks.signals import task_enqueued, task_finished, task_started

BACKEND = "django_hatchet.tasks_backend.HatchetBackend"
TASKS = {"default": {"BACKEND": BACKEND}}
MODULE = "tests.testapp.django_tasks_module"


@pytest.fixture
def tasks_module() -> Iterator[types.ModuleType]:
    with override_settings(TASKS=TASKS):
        module = importlib.import_module(MODULE)
        # The suite restores the registry after each test: register the tasks again.
        for value in vars(module).values():
            if isinstance(value, HatchetTask):
                job_for(value)
        yield module


@pytest.fixture
def defined(define: Callable[..., types.ModuleType]) -> Callable[..., types.ModuleType]:
    """Define @task functions in a module of their own (``tests.defined``)."""

    def run(source: str, **backend: Any) -> types.ModuleType:
        with override_settings(TASKS={"default": {"BACKEND": BACKEND, **backend}}):
            return define("from django_hatchet.tasks_backend import *\n" + _TASK_IMPORT + source)

    return run


_TASK_IMPORT = """
try:
    from django.tasks import task
except ImportError:
    from django_tasks import task
"""


# Capabilities and mapping ------------------------------------------------------------------


def test_the_capability_flags():
    assert HatchetBackend.supports_defer
    assert HatchetBackend.supports_async_task
    assert HatchetBackend.supports_get_result
    assert HatchetBackend.supports_priority
    assert HatchetBackend.task_class is HatchetTask


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (-100, Priority.LOW),
        (-1, Priority.LOW),
        (0, Priority.MEDIUM),
        (1, Priority.HIGH),
        (100, Priority.HIGH),
    ],
)
def test_priority_mapping(priority, expected):
    assert hatchet_priority(priority) is expected


def test_enqueue_on_commit_must_be_a_bool():
    bad = {"default": {"BACKEND": BACKEND, "ENQUEUE_ON_COMMIT": "yes"}}
    with override_settings(TASKS=bad), pytest.raises(ImproperlyConfigured, match="ENQUEUE"):
        task_backends["default"]


# Registration ------------------------------------------------------------------------------


def test_a_task_is_a_registered_job_named_by_its_module_path(tasks_module):
    job = registry[f"{MODULE}.add"]
    assert job.takes_context  # The backend's wrapper receives the run's context.
    assert job.options.priority is Priority.MEDIUM
    assert job.options.queue is None
    assert registry[f"{MODULE}.urgent"].options.priority is Priority.HIGH
    assert registry[f"{MODULE}.async_add"].is_async


def test_using_makes_copies_without_registering_again(tasks_module):
    job = registry[f"{MODULE}.add"]
    copy = tasks_module.add.using(priority=10)
    assert isinstance(copy, HatchetTask)
    assert registry[f"{MODULE}.add"] is job
    assert copy.enqueue(1, 2).return_value == 3


def test_a_task_is_registered_again_after_the_registry_forgets_it(tasks_module):
    registry.unregister(f"{MODULE}.add")
    assert tasks_module.add.enqueue(1, 1).return_value == 2
    assert f"{MODULE}.add" in registry


def test_a_queue_maps_to_the_jobs_queue(defined):
    module = defined(
        "@task(queue_name='reports')\ndef report():\n    return 1\n", QUEUES=["default", "reports"]
    )
    assert registry["tests.defined.report"].options.queue == "reports"
    any_queue = {"default": {"BACKEND": BACKEND, "QUEUES": []}}
    with override_settings(TASKS=any_queue), pytest.raises(InvalidTask) as caught:
        module.report.using(queue_name="default")
    assert str(caught.value) == (
        "tests.defined.report is on queue 'reports', and using(queue_name='default') cannot "
        "send one call to another queue: HatchetBackend's queues are those of the workers "
        "(runworker --queue), which choose their tasks when they start. Give the queue to the "
        "decorator, @task(queue_name='default'), or define a task for that queue: a "
        "module-level function under @task(queue_name='default') that calls "
        "report.call(...). See 'Queues' in docs/django-tasks.md."
    )
    with override_settings(TASKS=any_queue):  # The same queue: nothing moves.
        assert module.report.using(queue_name="reports").queue_name == "reports"


def test_a_name_taken_by_a_job_is_invalid(defined):
    source = """
from django_hatchet import job

@job(name="tests.defined.taken")
def other():
    pass

@task
def taken():
    pass
"""
    with pytest.raises(InvalidTask, match="Duplicate job name"):
        defined(source)


# Django's contract (ImmediateBackend's tests, where they apply) --------------------------------


def test_enqueue_runs_and_returns_a_successful_result(tasks_module):
    before = timezone.now()
    result = tasks_module.add.enqueue(2, 3)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.is_finished
    assert result.return_value == 5
    assert result.task is tasks_module.add
    assert result.backend == "default"
    assert result.args == [2, 3]
    assert result.kwargs == {}
    assert before <= result.enqueued_at <= result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    assert len(result.worker_ids) == 1
    assert result.attempts == 1
    assert result.errors == []
    assert run_id_time(result.id) >= before - timedelta(seconds=1)


def test_arguments_are_normalized_to_json(tasks_module):
    result = tasks_module.echo.enqueue((1, 2), x={"y": (None,)})
    assert result.args == [[1, 2]]
    assert result.kwargs == {"x": {"y": [None]}}
    assert result.return_value == {"args": [[1, 2]], "kwargs": {"x": {"y": [None]}}}


def test_arguments_that_are_not_json_are_refused(tasks_module):
    with pytest.raises(TypeError):
        tasks_module.echo.enqueue(object())


def test_a_failure_is_recorded_in_errors(tasks_module):
    result = tasks_module.fail.enqueue("it broke")
    assert result.status == TaskResultStatus.FAILED
    [error] = result.errors
    assert error.exception_class_path == f"{MODULE}.TaskBroke"
    assert error.exception_class is tasks_module.TaskBroke
    assert "it broke" in error.traceback
    assert result.finished_at is not None
    with pytest.raises(ValueError, match="Task failed"):
        _ = result.return_value


def test_a_builtin_exception_has_its_builtins_path(tasks_module):
    [error] = tasks_module.fail_builtin.enqueue().errors
    assert error.exception_class_path == "builtins.ValueError"


def test_a_return_value_that_is_not_json_fails_the_task(tasks_module):
    result = tasks_module.bad_return.enqueue()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.TypeError"


def test_signals_are_sent_in_order_with_the_result(tasks_module):
    seen: list[tuple[str, Any, str]] = []

    def receiver(name: str) -> Callable[..., None]:
        def receive(sender: Any, task_result: Any, **kwargs: Any) -> None:
            seen.append((name, sender, task_result.status))
            seen_results.append(task_result)

        return receive

    seen_results: list[Any] = []
    receivers = {
        s: receiver(n)
        for s, n in [
            (task_enqueued, "enqueued"),
            (task_started, "started"),
            (task_finished, "finished"),
        ]
    }
    for signal, handler in receivers.items():
        signal.connect(handler)
    try:
        result = tasks_module.add.enqueue(1, 2)
    finally:
        for signal, handler in receivers.items():
            signal.disconnect(handler)
    assert seen == [
        ("enqueued", HatchetBackend, TaskResultStatus.READY),
        ("started", HatchetBackend, TaskResultStatus.RUNNING),
        ("finished", HatchetBackend, TaskResultStatus.SUCCESSFUL),
    ]
    assert all(r is result for r in seen_results)


def test_takes_context(tasks_module):
    result = tasks_module.with_context.enqueue(7)
    assert result.return_value == {"attempt": 1, "id": result.id, "x": 7}


def test_an_async_task(tasks_module):
    assert tasks_module.async_add.enqueue(20, 22).return_value == 42


async def test_aenqueue_and_aget_result(tasks_module):
    result = await tasks_module.async_add.aenqueue(1, 2)
    assert result.return_value == 3
    assert await tasks_module.async_add.aget_result(result.id) is result
    await result.arefresh()
    assert result.status == TaskResultStatus.SUCCESSFUL


def test_get_result_in_the_process_that_enqueued(tasks_module):
    result = tasks_module.add.enqueue(1, 2)
    assert tasks_module.add.get_result(result.id) is result
    assert default_task_backend.get_result(result.id) is result
    result.refresh()
    assert result.return_value == 3
    with pytest.raises(TaskResultMismatch):
        tasks_module.echo.get_result(result.id)


def test_get_result_of_an_unknown_id(tasks_module):
    with pytest.raises(TaskResultDoesNotExist, match="tasks run inline"):
        tasks_module.add.get_result(new_run_id())


def test_a_function_not_at_module_level_is_invalid(tasks_module):
    def local() -> None:
        pass

    with override_settings(TASKS=TASKS), pytest.raises(InvalidTask, match="module level"):
        task(local)


@pytest.mark.parametrize("priority", [-101, 101, 1.5])
def test_a_priority_out_of_range_is_invalid(tasks_module, priority):
    with pytest.raises(InvalidTask, match="priority"):
        tasks_module.add.using(priority=priority)


def test_a_naive_run_after_is_invalid(tasks_module):
    with pytest.raises(InvalidTask, match="aware"):
        tasks_module.add.using(run_after=datetime(2030, 1, 1))


def test_a_queue_the_backend_does_not_have_is_invalid(tasks_module):
    with pytest.raises(InvalidTask, match="Queue 'other'"):
        tasks_module.add.using(queue_name="other")


def test_takes_context_needs_a_context_parameter(defined):
    with pytest.raises(InvalidTask, match="context"):
        defined("@task(takes_context=True)\ndef f(x):\n    pass\n")


# What reaches the engine: priority, run_after, commit ---------------------------------------


def test_priority_and_run_after_reach_the_run(tasks_module):
    when = timezone.now() + timedelta(hours=1)
    with capture_jobs() as captured:
        result = tasks_module.add.using(priority=-5, run_after=when).enqueue(1, 2)
        tasks_module.urgent.enqueue()
    first, second = captured
    assert first.job is registry[f"{MODULE}.add"]
    assert (first.args, first.run_at, first.priority) == ([1, 2], when, Priority.LOW)
    assert second.priority is Priority.HIGH
    assert result.status == TaskResultStatus.READY
    assert tasks_module.add.get_result(result.id) is result
    captured.run_all()  # Runs the captured run inline: the same result is filled in.
    assert result.return_value == 3


@pytest.mark.django_db
def test_enqueue_on_commit_waits_for_the_commit(tasks_module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        result = tasks_module.add.enqueue(1, 2)
        assert result.status == TaskResultStatus.READY
        assert result.enqueued_at is None
        assert tasks_module.add.get_result(result.id) is result
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.enqueued_at is not None


@pytest.mark.django_db
def test_enqueue_on_commit_false_runs_at_once():
    with override_settings(TASKS={"default": {"BACKEND": BACKEND, "ENQUEUE_ON_COMMIT": False}}):
        module = importlib.import_module(MODULE)
        with transaction.atomic():
            assert module.add.enqueue(1, 2).return_value == 3


# The worker's side, and results read back from the engine ---------------------------------


def test_on_a_worker_a_result_is_built_for_the_run(tasks_module):
    job = registry[f"{MODULE}.with_context"]
    run_id = new_run_id()
    seen: list[Any] = []

    def receive(sender: Any, task_result: Any, **kwargs: Any) -> None:
        seen.append(task_result)

    task_finished.connect(receive)
    try:
        hatchet = types.SimpleNamespace(worker_id="worker-1")
        value = job.func(JobContext(job, run_id, 1, "engine-id", hatchet), 5)
    finally:
        task_finished.disconnect(receive)
    assert value == {"attempt": 1, "id": run_id, "x": 5}
    [result] = seen
    assert result.worker_ids == ["worker-1"]
    assert result.enqueued_at == run_id_time(run_id)
    assert result.status == TaskResultStatus.SUCCESSFUL


@pytest.fixture
def engine_mode(tasks_module, monkeypatch):
    """Engine mode, with the engine's records given by the test."""
    from django_hatchet.engine import runs as engine_tasks

    records: dict[str, Any] = {}
    monkeypatch.setattr(engine_tasks, "run_record", lambda run_id, since: records.get(run_id))
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN):
        yield records


def test_get_result_from_the_engine(tasks_module, engine_mode):
    from django_hatchet.engine.runs import RunRecord

    run_id = new_run_id()
    started = timezone.now()
    engine_mode[run_id] = RunRecord(
        job_name=f"{MODULE}.add",
        status="COMPLETED",
        input={"args": [1, 2], "kwargs": {}},
        started_at=started,
        finished_at=started + timedelta(seconds=1),
        output=3,
        worker_ids=["w"],
    )
    result = tasks_module.add.get_result(run_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 3
    assert result.args == [1, 2]
    assert result.enqueued_at == run_id_time(run_id)
    assert (result.started_at, result.last_attempted_at) == (started, started)
    assert result.worker_ids == ["w"]
    assert result.attempts == 1


@pytest.mark.parametrize(
    ("status", "error", "expected", "path"),
    [
        ("SCHEDULED", None, TaskResultStatus.READY, None),
        ("QUEUED", None, TaskResultStatus.READY, None),
        ("RUNNING", None, TaskResultStatus.RUNNING, None),
        ("FAILED", ("tests.Boom", "trace"), TaskResultStatus.FAILED, "tests.Boom"),
        ("CANCELLED", None, TaskResultStatus.FAILED, "django_hatchet.exceptions.JobCancelled"),
    ],
)
def test_engine_statuses(tasks_module, engine_mode, status, error, expected, path):
    from django_hatchet.engine.runs import RunRecord

    run_id = new_run_id()
    engine_mode[run_id] = RunRecord(f"{MODULE}.add", status, {"args": [1, 2]}, error=error)
    result = tasks_module.add.get_result(run_id)
    assert result.status == expected
    assert [e.exception_class_path for e in result.errors] == ([path] if path else [])


def test_engine_ids_that_are_not_task_results(tasks_module, engine_mode):
    from django_hatchet.engine.runs import RunRecord

    for bad in ["nope", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"]:
        with pytest.raises(TaskResultDoesNotExist, match="not a task result id"):
            tasks_module.add.get_result(bad)
    with pytest.raises(TaskResultDoesNotExist, match="on the engine"):
        tasks_module.add.get_result(new_run_id())
    run_id = new_run_id()
    engine_mode[run_id] = RunRecord("tests.testapp.tasks.add", "QUEUED", {})  # A @job's run.
    with pytest.raises(TaskResultDoesNotExist, match="which is not a task of this process"):
        tasks_module.add.get_result(run_id)


def test_a_task_not_registered_here_is_never_imported_by_name(
    tasks_module, engine_mode, monkeypatch
):
    from django_hatchet.engine.runs import RunRecord
    from django_hatchet.tasks_backend import backend

    monkeypatch.setattr(backend, "_tasks", {})
    run_id = new_run_id()
    engine_mode[run_id] = RunRecord(f"{MODULE}.add", "QUEUED", {"args": [1, 2]})
    with pytest.raises(Exception, match="which is not a task of this process") as caught:
        tasks_module.add.get_result(run_id)
    assert type(caught.value).__name__ == "TaskResultDoesNotExist"


def test_the_error_path_comes_from_the_traceback():
    from hatchet_sdk.exceptions import TaskRunError

    from django_hatchet.engine.runs import _error

    def serialized(exc: Exception) -> str:
        try:
            raise exc
        except Exception as raised:
            return TaskRunError.from_exception(raised, None).serialize(include_metadata=True)

    tasks = importlib.import_module("tests.testapp.tasks")
    path, trace = _error(serialized(tasks.JobBroke("no")))
    assert path == "tests.testapp.tasks.JobBroke"
    assert "JobBroke: no" in trace
    assert _error(serialized(KeyError("k")))[0] == "builtins.KeyError"


def test_run_after_with_a_virtual_clock(tasks_module):
    from django_hatchet.testing import virtual_clock

    with virtual_clock() as clock:
        when = timezone.now() + timedelta(minutes=5)
        result = tasks_module.add.using(run_after=when).enqueue(1, 2)
        assert result.status == TaskResultStatus.READY
        clock.advance(minutes=6)
    assert result.return_value == 3


# exit() and Ctrl-C, as Django's ImmediateBackend treats them ------------------------------

_EXITS = """
@task
def quits():
    exit(2)


@task
async def aquits():
    raise SystemExit("bye")


@task
def interrupted():
    raise KeyboardInterrupt
"""


@pytest.fixture
def exits(defined: Callable[..., types.ModuleType]) -> Iterator[types.ModuleType]:
    with override_settings(TASKS=TASKS):
        yield defined(_EXITS)


@pytest.fixture
def finished_tasks() -> Iterator[list[Any]]:
    seen: list[Any] = []

    def receive(sender: Any, task_result: Any, **kwargs: Any) -> None:
        seen.append((task_result, task_result.status))

    task_finished.connect(receive)
    yield seen
    task_finished.disconnect(receive)


def test_exit_fails_the_task_and_sends_task_finished(exits, finished_tasks):
    result = exits.quits.enqueue()
    assert result.status == TaskResultStatus.FAILED
    assert result.finished_at is not None
    [error] = result.errors
    assert error.exception_class is SystemExit
    assert error.traceback.endswith("SystemExit: 2\n")
    assert isinstance(exits.quits.get_backend(), HatchetBackend)
    assert finished_tasks == [(result, TaskResultStatus.FAILED)]


async def test_exit_in_an_async_task_fails_it(exits, finished_tasks):
    result = await exits.aquits.aenqueue()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.SystemExit"
    assert finished_tasks == [(result, TaskResultStatus.FAILED)]


def test_keyboard_interrupt_stops_the_caller(exits, finished_tasks):
    with pytest.raises(KeyboardInterrupt):
        exits.interrupted.enqueue()
    assert finished_tasks == []
