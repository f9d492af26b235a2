"""django_hatchet.testing and its pytest fixtures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings

from django_hatchet import RunStatus
from django_hatchet.testing import capture_jobs, virtual_clock
from tests.testapp import tasks
from tests.testapp.models import Note


def test_captured_jobs_are_recorded_not_run(captured_jobs):
    run = tasks.fail.delay("would fail")
    assert run.status is RunStatus.QUEUED
    [captured] = captured_jobs.assert_enqueued(tasks.fail, args=["would fail"])
    assert captured.run is run
    captured_jobs.assert_not_enqueued(tasks.add)


def test_arguments_are_captured_after_the_json_round_trip(captured_jobs):
    tasks.echo.apply_async(args=[(1, 2)], kwargs={"k": (3,)}, countdown=60)
    [captured] = captured_jobs.assert_enqueued(tasks.echo, args=[(1, 2)], kwargs={"k": (3,)})
    assert captured.args == [[1, 2]]
    assert captured.run.status is RunStatus.SCHEDULED
    assert captured.run_at is not None


def test_non_json_arguments_still_fail_at_enqueue(captured_jobs):
    with pytest.raises(TypeError, match="not JSON serializable"):
        tasks.add.delay({1}, 2)  # type: ignore[arg-type]
    assert captured_jobs == []


def test_assert_enqueued_explains_what_was_captured(captured_jobs):
    tasks.add.delay(1, 2)
    with pytest.raises(
        AssertionError, match=r"(?s)add was not enqueued 2 time\(s\).*add\(\*\[1, 2\]"
    ):
        captured_jobs.assert_enqueued(tasks.add, count=2)
    with pytest.raises(AssertionError, match="captureOnCommitCallbacks"):
        captured_jobs.assert_enqueued(tasks.echo)


def test_run_all_runs_the_captured_runs_inline(captured_jobs):
    first, second = tasks.add.delay(1, 2), tasks.add.delay(3, 4)
    assert captured_jobs.run_all() == [first, second]
    assert (first.get(), second.get()) == (3, 7)
    assert captured_jobs.run_all() == []  # Each runs once.


@pytest.mark.django_db
def test_in_a_test_case_runs_reach_the_capture_on_commit(django_capture_on_commit_callbacks):
    with capture_jobs() as captured:
        with django_capture_on_commit_callbacks(execute=True):
            run = tasks.write_note.delay("x")
            assert captured == []  # Waiting for the commit.
        captured.assert_enqueued(tasks.write_note, args=["x"])
        assert run.status is RunStatus.QUEUED
    assert not Note.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_run_is_never_captured():
    with capture_jobs() as captured:
        try:
            with transaction.atomic():
                tasks.write_note.delay("x")
                raise RuntimeError
        except RuntimeError:
            pass
    assert captured == []


@override_settings(HATCHET_CLIENT_TOKEN="a-token")
def test_capture_never_contacts_an_engine(captured_jobs):
    tasks.add.delay(1, 2)  # A token is set, but nothing is sent.
    captured_jobs.assert_enqueued(tasks.add, kwargs={})


def test_virtual_clock_holds_countdown_runs(job_clock):
    now = tasks.add.delay(1, 1)
    later = tasks.add.apply_async(args=[2, 2], countdown=60)
    latest = tasks.add.apply_async(args=[3, 3], eta=job_clock.now() + timedelta(hours=1))
    assert now.get() == 2
    assert later.status is RunStatus.SCHEDULED
    assert job_clock.waiting == [later, latest]
    assert job_clock.advance(30) == []
    assert job_clock.advance(seconds=31) == [later]
    assert later.get() == 4
    assert job_clock.advance(hours=1) == [latest]
    assert job_clock.waiting == []


def test_virtual_clock_is_a_context_manager():
    with virtual_clock() as clock:
        run = tasks.add.apply_async(args=[1, 2], countdown=5)
        clock.advance(5)
    assert run.get() == 3


def test_get_on_a_run_that_has_not_run_says_why(captured_jobs):
    from django_hatchet import JobNotDispatched

    run = tasks.add.delay(1, 2)
    with pytest.raises(JobNotDispatched, match=r"has not run: it is QUEUED.*run_all\(\)"):
        run.get()


# On-commit runs in a pytest-django test, and the clock's time -----------------------------


ON_COMMIT_WAYS = (
    r"(?s)self\.captureOnCommitCallbacks\(execute=True\).*"
    r"django_capture_on_commit_callbacks\(execute=True\)"
)


@pytest.mark.django_db
def test_a_run_waiting_for_the_commit_is_named_by_the_capture_with_both_ways():
    with capture_jobs() as captured:
        run = tasks.write_note.delay("x")
        with pytest.raises(AssertionError, match=ON_COMMIT_WAYS) as failure:
            captured.assert_enqueued(tasks.write_note)
    message = str(failure.value)
    assert f"tests.testapp.tasks.write_note run {run.id} waits for its transaction" in message


@pytest.mark.django_db
def test_the_clock_warns_when_it_advances_past_a_run_waiting_for_the_commit():
    with virtual_clock() as clock:
        run = tasks.add.apply_async(args=[1, 2], countdown=60)
        with pytest.warns(RuntimeWarning, match=ON_COMMIT_WAYS) as warned:
            assert clock.advance(minutes=1) == []
    assert f"tests.testapp.tasks.add run {run.id} waits for its transaction" in str(
        warned[0].message
    )
    assert run.status is RunStatus.PENDING


@pytest.mark.django_db
def test_get_on_a_run_waiting_for_the_commit_names_both_ways(job_clock):
    from django_hatchet import JobNotDispatched

    run = tasks.add.delay(1, 2)
    with pytest.raises(JobNotDispatched, match=ON_COMMIT_WAYS):
        run.get()


@pytest.mark.parametrize("order", [("captured_jobs", "job_clock"), ("job_clock", "captured_jobs")])
def test_with_both_fixtures_the_capture_takes_the_runs_on_the_clocks_time(request, order):
    fixtures = {name: request.getfixturevalue(name) for name in order}
    captured, clock = fixtures["captured_jobs"], fixtures["job_clock"]
    clock.advance(days=1)
    now = tasks.add.delay(1, 2)
    later = tasks.add.apply_async(args=[3, 4], countdown=60)
    assert [c.run for c in captured] == [now, later]
    assert (now.status, later.status) == (RunStatus.QUEUED, RunStatus.SCHEDULED)
    run_at = captured[1].run_at
    assert run_at is not None
    assert timedelta(0) <= clock.now() - (run_at - timedelta(seconds=60)) < timedelta(seconds=5)
    assert clock.advance(minutes=1) == []  # The capture holds them: run_all() runs them.
    assert captured.run_all() == [now, later]


def test_an_eta_from_timezone_now_is_due_after_advancing_by_its_delay(job_clock):
    from django.utils import timezone

    run = tasks.add.apply_async(args=[1, 2], eta=timezone.now() + timedelta(hours=1))
    assert job_clock.advance(hours=1) == [run]
    assert run.get() == 3


def test_the_clock_moves_with_real_time_from_its_start():
    from django.utils import timezone

    start = timezone.now() - timedelta(days=365)
    with virtual_clock(start) as clock:
        assert timedelta(0) <= clock.now() - start < timedelta(seconds=5)
        clock.advance(hours=2)
        assert timedelta(hours=2) <= clock.now() - start < timedelta(hours=2, seconds=5)
    with virtual_clock() as clock:
        assert clock.now() >= timezone.now() - timedelta(seconds=1)
        before = timezone.now()
        assert clock.now() >= before  # Never behind the test's own timezone.now().
