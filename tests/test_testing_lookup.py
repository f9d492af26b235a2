"""Which job a test helper's ``job`` argument names (django_hatchet.testing.lookup): a job, a
Django Tasks task, a job's name, or the function of either."""

from __future__ import annotations

import importlib
import importlib.util
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from django_hatchet import chain
from django_hatchet.testing import capture_jobs
from django_hatchet.testing.lookup import job_name
from django_hatchet.testing.worker import HatchetWorker
from tests.testapp import tasks

TASKS = {"default": {"BACKEND": "django_hatchet.tasks_backend.HatchetBackend"}}
MODULE = "tests.testapp.django_tasks_module"


@pytest.fixture
def task_module() -> Iterator[types.ModuleType]:
    """The ``@task`` functions of the test app, on the Hatchet backend."""
    from django_hatchet.tasks_backend import HatchetTask, job_for

    with override_settings(TASKS=TASKS):
        module = importlib.import_module(MODULE)
        for value in vars(module).values():
            if isinstance(value, HatchetTask):
                job_for(value)  # The suite restores the registry after each test.
        yield module


def plain(a: int) -> int:
    return a


# A job ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [tasks.add, "tests.testapp.tasks.add", tasks.add.func],
    ids=["job", "name", "function"],
)
def test_a_job_is_found_by_itself_its_name_or_its_function(captured_jobs, given):
    run = tasks.add.delay(1, 2)
    tasks.echo.delay(3)
    assert [c.run for c in captured_jobs.of(given)] == [run]
    [captured] = captured_jobs.assert_enqueued(given, args=[1, 2])
    assert captured.run is run
    with pytest.raises(AssertionError, match=r"tests\.testapp\.tasks\.add was enqueued 1 time"):
        captured_jobs.assert_not_enqueued(given)


def test_a_job_with_a_name_of_its_own_is_found_by_its_function(captured_jobs):
    tasks.echo.delay(1)
    assert len(captured_jobs.of(tasks.echo.func)) == 1
    assert len(captured_jobs.of("tests.echo")) == 1


def test_a_canvas_is_found_by_the_orchestrators_name(captured_jobs):
    chain(tasks.add.s(1, 2), tasks.add.s(3)).delay()
    assert len(captured_jobs.of("django_hatchet.canvas")) == 1


# A Django Tasks task ------------------------------------------------------------------------


def test_a_task_is_found_by_itself_its_name_or_its_function(task_module):
    with capture_jobs() as captured:
        result = task_module.add.enqueue(1, 2)
        task_module.echo.enqueue(3)
    for given in (task_module.add, f"{MODULE}.add", task_module.add.func):
        [found] = captured.of(given)
        assert found.run.id == result.id
        [asserted] = captured.assert_enqueued(given, args=[1, 2])
        assert asserted is found
        with pytest.raises(AssertionError, match=rf"{MODULE}.add was enqueued 1 time"):
            captured.assert_not_enqueued(given)


def test_a_task_of_another_backend_is_refused_saying_so():
    framework = "django.tasks" if importlib.util.find_spec("django.tasks") else "django_tasks"
    task = importlib.import_module(framework).task  # django_tasks: Django 5.2's backport.
    immediate = f"{framework}.backends.immediate.ImmediateBackend"
    with override_settings(TASKS={"default": {"BACKEND": immediate}}):
        other = task(plain)
        with pytest.raises(
            ValueError,
            match=r"captured_jobs.of\(\): no job runs the task tests.test_testing_lookup.plain: "
            r"its backend \('default'\) is ImmediateBackend",
        ):
            job_name(other, "captured_jobs.of()")


# Mistakes ---------------------------------------------------------------------------------


def test_a_name_no_job_has_is_refused_with_the_close_names(captured_jobs):
    with pytest.raises(
        ValueError,
        match=r"captured_jobs.assert_enqueued\(\): no job is registered as "
        r"'tests.testapp.tasks.ad'\. Did you mean 'tests.testapp.tasks.add'",
    ):
        captured_jobs.assert_enqueued("tests.testapp.tasks.ad")
    with pytest.raises(ValueError, match=r"'send_receipt'.*registered jobs"):
        captured_jobs.of("send_receipt")
    with pytest.raises(ValueError, match=r"Did you mean 'tests\.testapp\.tasks\.add'"):
        captured_jobs.assert_not_enqueued("add")


@pytest.mark.parametrize(
    ("given", "what"),
    [
        (42, r"int \(42\)"),
        (None, r"NoneType \(None\)"),
        (plain, "the function tests.test_testing_lookup.plain, which no job runs"),
    ],
)
def test_anything_else_is_a_type_error_naming_the_argument(captured_jobs, given, what):
    with pytest.raises(
        TypeError,
        match=r"captured_jobs.of\(\): job must be a job \(@job\), a Django task \(@task\), a "
        rf"job's name or the function of one, not {what}\.",
    ):
        captured_jobs.of(given)


# The hatchet_worker fixture's helpers --------------------------------------------------------


class _Row:
    def __init__(self, name: str) -> None:
        self.job_name = name
        self.run_id = "0190a0a0-0000-7000-8000-000000000000"
        self.engine_run_id = "e"


def test_the_worker_helpers_take_the_same(monkeypatch, task_module):
    from django_hatchet.engine import testing as sdk
    from django_hatchet.runs.handle import JobRun

    rows = [_Row("tests.testapp.tasks.add"), _Row(f"{MODULE}.add")]
    monkeypatch.setattr(sdk, "list_runs_tagged", lambda *args: rows)
    monkeypatch.setattr(JobRun, "refresh", lambda self: None)
    worker: Any = HatchetWorker.__new__(HatchetWorker)
    worker.tag, worker.started_at = "t", timezone.now()
    for given, name in [
        (tasks.add.func, "tests.testapp.tasks.add"),
        (task_module.add, f"{MODULE}.add"),
        (task_module.add.func, f"{MODULE}.add"),
    ]:
        assert [run.job_name for run in worker.runs(given)] == [name]
    with pytest.raises(ValueError, match=r"hatchet_worker.runs\(\): no job .*Did you mean"):
        worker.runs("tests.testapp.tasks.ad")
    with pytest.raises(TypeError, match=r"hatchet_worker.wait_for\(\): job must be"):
        worker.wait_for(42)
