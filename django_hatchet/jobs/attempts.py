"""Whether the engine runs a failed attempt of a run again: by the job's ``retries`` and
``retry_on``, ``NonRetryable`` and ``Retry``. The worker decides by it; the Sentry integration
reads it to report only the failure that ends a run."""

from __future__ import annotations

from ..exceptions import NonRetryable, Retry
from ..options import JobOptions


def ends_the_run(options: JobOptions, error: BaseException) -> bool:
    """Whether ``error`` fails the run whatever attempts are left: a ``NonRetryable``, or an
    exception that ``retry_on`` does not name (a ``Retry`` is always retried)."""
    return isinstance(error, NonRetryable) or (
        options.retry_on is not None and not isinstance(error, (Retry, *options.retry_on))
    )


def attempts(options: JobOptions, attempt: int) -> int:
    """How many attempts the run has: the first and its retries (more where the engine
    replayed a durable run)."""
    return max(options.retries + 1, attempt)


def retried(options: JobOptions, attempt: int, error: BaseException) -> bool:
    """Whether the engine runs the run again after ``attempt`` failed with ``error``."""
    return not ends_the_run(options, error) and attempt < attempts(options, attempt)
