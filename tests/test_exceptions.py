from __future__ import annotations

from django_hatchet import JobError, JobFailed, JobTimeout


def test_job_failed_carries_the_original_error():
    error = JobFailed(
        "orders.send run 1 failed: KeyError: 'x'",
        exc_type="KeyError",
        exc_message="'x'",
        traceback="Traceback (most recent call last):\n  ...\nKeyError: 'x'\n",
        run_id="1",
        job_name="orders.send",
    )
    assert isinstance(error, JobError)
    assert (error.exc_type, error.exc_message, error.run_id, error.job_name) == (
        "KeyError",
        "'x'",
        "1",
        "orders.send",
    )
    assert str(error).startswith("orders.send run 1 failed: KeyError: 'x'\n\nOriginal traceback:\n")


def test_job_timeout_is_a_timeout_error():
    assert issubclass(JobTimeout, TimeoutError)
