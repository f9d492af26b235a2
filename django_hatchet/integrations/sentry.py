"""Sentry: a job's exception on a worker (or inline) reaches ``sentry_sdk``, in a scope of
the run's own: tagged with the job's name, the run's id and the attempt, with its arguments
(redacted by ``HATCHET_ADMIN_REDACT_KEYS``, as the admin shows them).

It acts once the project has called ``sentry_sdk.init()``. Only the failure that ends a run is
an event: an attempt that the engine retries (by the job's ``retries``, ``retry_on``, a
``Retry``) is not, as Sentry's Celery and RQ integrations report only a task's last failure.
The worker's own line for a failed attempt (``django_hatchet.worker``) is then left out of
Sentry's logging integration, as Sentry's Celery integration does with Celery's: the exception
itself is the event.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Any

from ..hooks import Call, Observer
from ..jobs.attempts import retried
from ..redaction import redact


def _client() -> Any:
    """``sentry_sdk``, if the project has imported and initialised it; else None."""
    sentry = sys.modules.get("sentry_sdk")
    if sentry is None or not sentry.get_client().is_active():
        return None
    return sentry


class Sentry(Observer):
    name = "Sentry"

    def run(self, call: Call) -> AbstractContextManager[Any] | None:
        sentry = _client()
        return None if sentry is None else self._run(sentry, call)

    @contextmanager
    def _run(self, sentry: Any, call: Call) -> Iterator[None]:
        _quiet_worker_lines()
        with sentry.isolation_scope() as scope:
            scope.set_tag("django_hatchet.job", call.job)
            scope.set_tag("django_hatchet.run_id", call.run_id)
            scope.set_tag("django_hatchet.attempt", str(call.attempt))
            try:
                yield
            except Exception as exc:
                if call.options is not None and retried(call.options, call.attempt, exc):
                    raise  # Only the failure that ends the run is an event.
                # The arguments only for an error: a run that succeeds pays nothing for them.
                scope.set_context(
                    "django_hatchet",
                    {
                        "job": call.job,
                        "run_id": call.run_id,
                        "attempt": call.attempt,
                        "arguments": arguments(call),
                    },
                )
                sentry.capture_exception(exc)
                raise


def arguments(call: Call) -> Any:
    """The run's arguments by parameter name where the job's signature says them (so that a
    secret passed by position is redacted too), redacted."""
    from ..jobs.registry import registry

    job = registry.get(call.job)
    try:
        if job is None:  # A workflow's step, say: its arguments as they were passed.
            raise TypeError
        named = job.signature.bind_partial(*call.args, **call.kwargs).arguments
    except TypeError:
        return redact({"args": list(call.args), "kwargs": call.kwargs})
    return redact(dict(named))


@cache
def _quiet_worker_lines() -> None:
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("django_hatchet.worker")
