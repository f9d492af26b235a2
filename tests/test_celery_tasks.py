"""Celery compatibility: shared_task, bind/self.retry, autoretry_for, AsyncResult names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_hatchet import Priority, Retry, RunStatus, shared_task
from django_hatchet.celery.tasks import job_options
from tests.testapp import celery_tasks, tasks


def test_bare_shared_task_is_a_job():
    assert celery_tasks.plain_add.name == "tests.testapp.celery_tasks.plain_add"
    assert celery_tasks.plain_add.delay(1, 2).get() == 3
    assert celery_tasks.plain_add.options.retries == 0  # Celery retries only when asked


def test_options_map_onto_job_options():
    assert job_options(
        {
            "name": "shop.send",
            "bind": True,
            "max_retries": 5,
            "autoretry_for": (KeyError,),
            "retry_backoff": 3,
            "retry_backoff_max": 120,
            "time_limit": 60,
            "priority": 8,
            "queue": "emails",
            "acks_late": True,
            "ignore_result": True,
        }
    ) == {
        "name": "shop.send",
        "queue": "emails",
        "takes_context": True,
        "retries": 5,
        "retry_on": (KeyError,),
        "backoff_factor": 3,
        "backoff_max_seconds": 120,
        "timeout": timedelta(seconds=60),
        "priority": Priority.HIGH,
    }
    assert job_options({"default_retry_delay": 30, "bind": True})["backoff_max_seconds"] == 30


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_limit": "10/m"}, "rate_limit= is not supported: Celery's rate_limit is per worker"),
        ({"base": object}, "base= is not supported"),
        ({"countdown": 3}, "shared_task got options django-hatchet does not know: countdown"),
        ({"priority": 12}, "priority must be 0 to 9"),
    ],
)
def test_options_that_cannot_map_are_refused(options, message):
    with pytest.raises((TypeError, ValueError), match=message):
        shared_task(**options)


def test_bound_task_gets_a_celery_like_self():
    run = celery_tasks.retries_itself.delay(succeed_on=1)
    assert run.get() == {
        "id": run.id,
        "retries": 0,
        "name": "tests.testapp.celery_tasks.retries_itself",
    }


def test_self_retry_fails_the_attempt_inline():
    # Inline runs have one attempt: the retry surfaces as the run's error.
    run = celery_tasks.retries_itself.delay(succeed_on=2)
    with pytest.raises(Retry, match="Flaky: attempt 1"):
        run.get()


def test_retry_rejects_unknown_arguments():
    from django_hatchet import JobContext

    context = JobContext(tasks.add, "id")
    with pytest.raises(TypeError, match="retry\\(\\) got unexpected arguments: queue"):
        context.retry(queue="x")


def test_async_result_names():
    run = tasks.add.delay(1, 2)
    assert (run.ready(), run.successful(), run.failed(), run.state) == (
        True,
        True,
        False,
        "SUCCESS",
    )
    failed = tasks.fail.delay("x")
    assert (failed.failed(), failed.state) == (True, "FAILURE")


@pytest.mark.django_db(transaction=True)
def test_revoke_is_cancel():
    from django.db import transaction

    with transaction.atomic():
        run = tasks.add.delay(1, 2)
        assert run.state == "PENDING"
        run.revoke()
    assert run.status is RunStatus.CANCELLED
    assert run.state == "REVOKED"


def test_retry_on_must_be_exceptions(define):
    with pytest.raises(TypeError, match="retry_on must be an exception class or a tuple"):
        define("from django_hatchet import job\n@job(retry_on=('KeyError',))\ndef f():\n    pass\n")
    module = define("from django_hatchet import job\n@job(retry_on=KeyError)\ndef g():\n    pass\n")
    assert module.g.options.retry_on == (KeyError,)


def test_a_shared_task_run_answers_as_celerys_async_result():
    from django_hatchet.celery import AsyncResult

    run = celery_tasks.plain_add.delay(1, 2)
    assert isinstance(run, AsyncResult)
    assert run.task_id == run.id
    # Celery's status is its state: code comparing it with Celery's words keeps working.
    assert run.status == "SUCCESS"
    assert run.state == "SUCCESS"
    assert run.known_status is RunStatus.COMPLETED
    assert run.get() == 3
    failed = celery_tasks.plain_add.apply_async((1, None))
    assert failed.status == "FAILURE"
    assert failed.failed()


def test_a_job_run_compared_with_celerys_words_fails_loudly():
    run = tasks.add.delay(1, 2)
    assert run.task_id == run.id
    assert run.status == "COMPLETED"
    for word, status in [
        ("SUCCESS", "COMPLETED"),
        ("FAILURE", "FAILED"),
        ("STARTED", "RUNNING"),
        ("REVOKED", "CANCELLED"),
    ]:
        with pytest.raises(TypeError, match=rf"Compare run.state == '{word}'.*RunStatus.{status}"):
            assert run.status == word
        with pytest.raises(TypeError, match="never equals"):
            assert run.status != word
    assert run.status in {RunStatus.COMPLETED: 1}
    assert run.state == "SUCCESS"


def test_async_result_looks_a_run_up_by_id_and_refuses_inline_saying_why():
    from django_hatchet import JobError
    from django_hatchet.celery import AsyncResult

    with pytest.raises(JobError, match=r"jobs run inline .* inline runs live only in the handle"):
        AsyncResult("01a24c89-27f0-73eb-981d-31f91fc0b33d")
