"""Inline mode: no token, so ``.delay()`` runs the job in this process."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, transaction
from django.test import override_settings

from django_hatchet import JobCancelled, JobNotDispatched, Priority, RunStatus
from tests.testapp import tasks
from tests.testapp.models import Note


def test_delay_runs_the_job_and_get_returns_its_result():
    run = tasks.add.delay(2, 3)
    assert isinstance(run.id, str)
    assert len(run.id) == 36
    assert run.status is RunStatus.COMPLETED
    assert run.get() == 5
    assert run.get(timeout=1) == 5


def test_arguments_and_result_make_a_json_round_trip():
    run = tasks.echo.delay((1, 2), {"k": (3,)}, flag=True)
    assert run.get() == {"args": [[1, 2], {"k": [3]}], "kwargs": {"flag": True}}


def test_each_run_has_its_own_id():
    assert tasks.add.delay(1, 1).id != tasks.add.delay(1, 1).id


def test_wrong_arguments_raise_type_error_at_enqueue():
    with pytest.raises(
        TypeError, match=r"tests.testapp.tasks.add\(\): missing a required argument: 'b'"
    ):
        tasks.add.delay(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'c'"):
        tasks.add.delay(1, 2, c=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="too many positional arguments"):
        tasks.add.delay(1, 2, 3)  # type: ignore[call-arg]


def test_failing_job_is_raised_by_get_and_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="django_hatchet"):
        run = tasks.fail.delay("boom")
    assert run.status is RunStatus.FAILED
    assert isinstance(run.error, tasks.JobBroke)
    with pytest.raises(tasks.JobBroke, match="boom"):
        run.get()
    [record] = caplog.records
    assert record.getMessage() == f"Job tests.testapp.tasks.fail (inline run {run.id}) failed"
    assert record.exc_info is not None
    assert record.exc_info[0] is tasks.JobBroke


@override_settings(HATCHET_INLINE_PROPAGATE_EXCEPTIONS=True)
def test_propagate_setting_raises_at_delay():
    with pytest.raises(tasks.JobBroke, match="boom"):
        tasks.fail.delay("boom")


def test_non_json_return_value_fails_the_run():
    run = tasks.bad_return.delay()
    assert run.status is RunStatus.FAILED
    with pytest.raises(TypeError, match=r"bad_return returned a value of type object"):
        run.get()


def test_async_job_runs_through_delay_from_sync_code():
    assert tasks.async_add.delay(4, 5).get() == 9


async def test_adelay_of_an_async_job():
    run = await tasks.async_add.adelay(4, 5)
    assert run.status is RunStatus.COMPLETED
    assert await run.aget() == 9
    assert await run.arefresh() is RunStatus.COMPLETED


async def test_adelay_of_a_sync_job():
    run = await tasks.add.adelay(1, 2)
    assert await run.aget() == 3


async def test_aapply_async_and_failure():
    run = await tasks.fail.aapply_async(args=["async boom"])
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match="async boom"):
        await run.aget()


def test_apply_async_passes_args_and_kwargs():
    run = tasks.echo.apply_async(args=[1], kwargs={"x": 2})
    assert run.get() == {"args": [1], "kwargs": {"x": 2}}
    assert tasks.add.apply_async(kwargs={"a": 1, "b": 2}).get() == 3


def test_apply_async_accepts_countdown_eta_and_priority_and_runs_now():
    # Inline mode has no scheduler: the run happens at once (see docs/inline-mode.md).
    assert tasks.add.apply_async(args=[1, 2], countdown=30).get() == 3
    eta = datetime.now(timezone.utc) + timedelta(hours=1)
    assert tasks.add.apply_async(args=[1, 2], eta=eta, priority=Priority.HIGH).get() == 3
    assert tasks.add.apply_async(args=[1, 2], priority=1).get() == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"args": 5},
            TypeError,
            r"args must be a list or tuple, not int. For one argument, write args=\(value,\)",
        ),
        ({"args": "ab"}, TypeError, "args must be a list or tuple, not str"),
        ({"kwargs": [1]}, TypeError, "kwargs must be a dict, not list"),
        ({"countdown": "10"}, TypeError, "countdown must be a number of seconds, not str"),
        ({"countdown": -1}, ValueError, "countdown must be 0 or more"),
        (
            {"countdown": 1, "eta": datetime.now(timezone.utc)},
            TypeError,
            "pass countdown or eta, not both",
        ),
        ({"eta": "2030-01-01"}, TypeError, "eta must be a datetime, not str"),
        ({"eta": datetime(2030, 1, 1)}, ValueError, "eta must be timezone-aware"),
        ({"priority": 7}, ValueError, r"priority must be 1 \(LOW\), 2 \(MEDIUM\) or 3 \(HIGH\)"),
        ({"enqueue_on_commit": "yes"}, TypeError, "enqueue_on_commit must be True, False or None"),
    ],
)
def test_bad_apply_async_input_is_refused(kwargs, error, message):
    kwargs.setdefault("args", [1, 2])
    with pytest.raises(error, match=message) as info:
        tasks.add.apply_async(**kwargs)
    assert "enqueue_on_commit" in message or str(info.value).startswith("tests.testapp.tasks.add")


# On commit ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_job_enqueued_in_atomic_runs_when_the_transaction_commits():
    with transaction.atomic():
        run = tasks.write_note.delay("after commit")
        assert run.status is RunStatus.PENDING
        assert not Note.objects.filter(text="after commit").exists()
        with pytest.raises(JobNotDispatched, match="waits for the transaction"):
            run.get()
    assert run.status is RunStatus.COMPLETED
    assert Note.objects.get(pk=run.get()).text == "after commit"


@pytest.mark.django_db(transaction=True)
def test_job_enqueued_in_nested_atomic_waits_for_the_outermost_commit():
    with transaction.atomic():
        with transaction.atomic():
            run = tasks.add.delay(1, 2)
        assert run.status is RunStatus.PENDING
    assert run.get() == 3


@pytest.mark.django_db(transaction=True)
def test_job_is_never_run_if_the_transaction_rolls_back():
    runs = []
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        runs.append(tasks.write_note.delay("rolled back"))
        raise RuntimeError
    [run] = runs
    assert run.status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled, match="transaction that rolled back"):
        run.get()
    assert not Note.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_job_in_a_rolled_back_savepoint_is_never_run():
    with transaction.atomic():
        try:
            with transaction.atomic():
                dropped = tasks.write_note.delay("savepoint")
                raise RuntimeError
        except RuntimeError:
            pass
        kept = tasks.write_note.delay("outer")
    assert dropped.status is RunStatus.CANCELLED
    assert kept.status is RunStatus.COMPLETED
    assert list(Note.objects.values_list("text", flat=True)) == ["outer"]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_false_per_call_runs_at_once():
    with transaction.atomic():
        run = tasks.add.apply_async(args=[1, 2], enqueue_on_commit=False)
        assert run.status is RunStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
@override_settings(HATCHET_ENQUEUE_ON_COMMIT=False)
def test_enqueue_on_commit_setting_off_runs_at_once_and_per_call_can_turn_it_on():
    with transaction.atomic():
        assert tasks.add.delay(1, 2).status is RunStatus.COMPLETED
        run = tasks.add.apply_async(args=[1, 2], enqueue_on_commit=True)
        assert run.status is RunStatus.PENDING
    assert run.status is RunStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_per_job(define):
    module = define(
        "from django_hatchet import job\n@job(enqueue_on_commit=False)\ndef now():\n    return 1\n"
    )
    with transaction.atomic():
        assert module.now.delay().status is RunStatus.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_failure_on_commit_is_kept_on_the_handle():
    with transaction.atomic():
        run = tasks.fail.delay("late")
    assert run.status is RunStatus.FAILED
    with pytest.raises(tasks.JobBroke, match="late"):
        run.get()


@pytest.mark.django_db(transaction=True)
async def test_adelay_outside_a_transaction_runs_at_once():
    run = await tasks.write_note.adelay("async")
    assert await Note.objects.filter(pk=await run.aget()).aexists()
    # The job ran in asgiref's thread, which keeps its own connection: close it, so that the
    # test database can be dropped.
    await sync_to_async(connections.close_all)()


# In a TestCase, which never commits -------------------------------------------------------


@pytest.mark.django_db
def test_in_a_test_case_jobs_wait_for_a_commit_that_never_comes():
    run = tasks.add.delay(1, 2)
    assert run.status is RunStatus.PENDING
    with pytest.raises(JobNotDispatched, match=r"captureOnCommitCallbacks\(execute=True\)"):
        run.get()


@pytest.mark.django_db
def test_in_a_test_case_capture_on_commit_callbacks_runs_them(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = tasks.write_note.delay("captured")
    assert len(callbacks) == 1
    assert run.get() == Note.objects.get(text="captured").pk


@pytest.mark.django_db
@override_settings(HATCHET_ENQUEUE_ON_COMMIT=False)
def test_in_a_test_case_the_setting_runs_jobs_at_once():
    assert tasks.add.delay(1, 2).get() == 3


@pytest.mark.django_db(transaction=True)
def test_a_job_that_enqueues_a_job():
    run = tasks.echo.delay(tasks.add.delay(1, 2).get())
    assert run.get() == {"args": [3], "kwargs": {}}


# Signals, cancel, bulk, events ------------------------------------------------------------


def test_signals_are_sent_around_an_inline_run():
    from django_hatchet.signals import job_enqueued, job_finished, job_started

    seen = []

    def record(signal_name):
        def receiver(sender, **kwargs):
            seen.append((signal_name, sender.name, kwargs.get("status")))

        return receiver

    receivers = [record("enqueued"), record("started"), record("finished")]
    for signal, receiver in zip((job_enqueued, job_started, job_finished), receivers, strict=True):
        signal.connect(receiver)
    try:
        tasks.add.delay(1, 2)
        tasks.fail.delay("x")
    finally:
        for signal, receiver in zip(
            (job_enqueued, job_started, job_finished), receivers, strict=True
        ):
            signal.disconnect(receiver)
    add, fail = "tests.testapp.tasks.add", "tests.testapp.tasks.fail"
    assert seen == [
        ("enqueued", add, None),
        ("started", add, None),
        ("finished", add, RunStatus.COMPLETED),
        ("enqueued", fail, None),
        ("started", fail, None),
        ("finished", fail, RunStatus.FAILED),
    ]


@pytest.mark.django_db(transaction=True)
def test_cancel_a_run_that_waits_for_its_commit():
    with transaction.atomic():
        run = tasks.write_note.delay("cancelled")
        run.cancel()
    assert run.status is RunStatus.CANCELLED
    with pytest.raises(JobCancelled, match="cancelled before its transaction committed"):
        run.get()
    assert not Note.objects.exists()


def test_delay_many_inline():
    runs = tasks.add.delay_many([(1, 2), [3, 4], {"a": 5, "b": 6}])
    assert [run.get() for run in runs] == [3, 7, 11]
    assert tasks.add.delay_many([]) == []
    with pytest.raises(TypeError, match=r"delay_many\(\): item 0 is int"):
        tasks.add.delay_many([1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="missing a required argument: 'b'"):
        tasks.add.delay_many([(1,)])


@pytest.mark.django_db(transaction=True)
def test_delay_many_in_a_transaction_waits_for_the_commit():
    with transaction.atomic():
        runs = tasks.write_note.delay_many([("a",), ("b",)])
        assert {run.status for run in runs} == {RunStatus.PENDING}
    assert sorted(Note.objects.values_list("text", flat=True)) == ["a", "b"]


@pytest.mark.django_db(transaction=True)
def test_send_event_runs_the_listening_jobs_inline():
    from django_hatchet import send_event

    send_event("tests:note", {"text": "evented"})
    assert Note.objects.filter(text="evented").exists()
    with pytest.raises(TypeError, match="value of type set"):
        send_event("tests:note", {"text": {1}})


def test_get_run_by_id_needs_an_engine():
    from django_hatchet import JobError, get_run

    with pytest.raises(JobError, match="inline runs live only in the handle"):
        get_run(tasks.add.delay(1, 2).id)
