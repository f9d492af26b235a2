"""Celery's ``shared_task``, mapped onto ``@job``, for code moving from Celery.

``from django_hatchet import shared_task`` in place of ``from celery import shared_task``
runs most task modules unchanged. docs/migrating-from-celery.md lists every option.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar, overload

from ..backends.base import BaseBackend
from ..jobs.decorator import job
from ..jobs.job import Job
from ..jobs.lookup import lookup_backend
from ..options import Priority
from ..runs.handle import JobRun

P = ParamSpec("P")
R = TypeVar("R")


class Refused(str):
    """Why ``shared_task`` refuses a Celery option: it would change behaviour here."""

    __slots__ = ()


#: Every Celery option ``shared_task`` knows: the ``@job`` options it sets (none: accepted so
#: that task modules run unchanged, with no effect here), or why it is refused.
#: ``job_options`` does the conversion.
OPTIONS: dict[str, tuple[str, ...] | Refused] = {
    "name": ("name",),
    "queue": ("queue",),
    # bind and autoretry_for turn retries on: Celery retries only through self.retry() or
    # autoretry_for.
    "bind": ("takes_context", "retries", "retry_on"),
    "autoretry_for": ("retries", "retry_on"),
    "max_retries": ("retries",),
    "retry_backoff": ("backoff_factor", "backoff_max_seconds"),
    "retry_backoff_max": ("backoff_max_seconds",),
    "default_retry_delay": ("backoff_factor", "backoff_max_seconds"),
    "time_limit": ("timeout",),
    "soft_time_limit": ("timeout",),
    "priority": ("priority",),
    "acks_late": (),
    "acks_on_failure_or_timeout": (),
    "reject_on_worker_lost": (),
    "ignore_result": (),
    "store_errors_even_if_ignored": (),
    "track_started": (),
    "serializer": (),
    "typing": (),
    "trail": (),
    "send_events": (),
    "throws": (),
    "expires": (),
    "rate_limit": Refused(
        "Celery's rate_limit is per worker; use @job(rate_limits={key: units}) with "
        "HATCHET_RATE_LIMITS, which is global"
    ),
    "base": Refused("custom Task classes have no equivalent; use signals or a wrapper function"),
    "retry_jitter": Refused("Hatchet's backoff has no jitter setting"),
}


def celery_priority(value: int) -> Priority:
    """Celery's 0 (lowest) to 9 (highest) on Hatchet's three priorities."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        raise ValueError(f"shared_task: priority must be 0 to 9, as in Celery, not {value!r}.")
    return Priority.LOW if value <= 3 else Priority.MEDIUM if value <= 6 else Priority.HIGH


def job_options(options: dict[str, Any]) -> dict[str, Any]:
    """``@job`` options for Celery's ``shared_task`` options."""
    options = dict(options)
    for name, to in OPTIONS.items():
        if isinstance(to, Refused) and name in options:
            raise TypeError(f"shared_task: {name}= is not supported: {to}.")
        if to == ():
            options.pop(name, None)
    bind = options.pop("bind", False)
    autoretry_for = options.pop("autoretry_for", ())
    max_retries = options.pop("max_retries", 3)
    default_retry_delay = options.pop("default_retry_delay", None)
    retry_backoff = options.pop("retry_backoff", False)
    retry_backoff_max = options.pop("retry_backoff_max", 600)
    time_limit = options.pop("time_limit", None)
    soft_time_limit = options.pop("soft_time_limit", None)
    priority = options.pop("priority", None)
    mapped: dict[str, Any] = {
        "name": options.pop("name", None),
        "queue": options.pop("queue", None),
        "takes_context": bool(bind),
    }
    if options:
        raise TypeError(
            f"shared_task got options django-hatchet does not know: {', '.join(sorted(options))}."
        )
    # Celery retries only through self.retry() (bind) or autoretry_for; other errors fail.
    if bind or autoretry_for:
        mapped["retries"] = 0 if max_retries is None else max_retries
        mapped["retry_on"] = tuple(autoretry_for)
    if retry_backoff:
        factor = 2 if retry_backoff is True else retry_backoff
        mapped["backoff_factor"] = factor
        mapped["backoff_max_seconds"] = int(retry_backoff_max)
    elif default_retry_delay is not None:
        # Hatchet has no fixed delay: a backoff starting near the delay is the closest.
        mapped["backoff_factor"] = 1
        mapped["backoff_max_seconds"] = max(1, int(default_retry_delay))
    limit = time_limit or soft_time_limit
    if limit is not None:
        mapped["timeout"] = timedelta(seconds=limit)
    if priority is not None:
        mapped["priority"] = celery_priority(priority)
    return mapped


class AsyncResult(JobRun[Any]):
    """The handle of a ``shared_task`` job's run, answering as Celery's ``AsyncResult``
    does: ``status`` is Celery's state (``"SUCCESS"``, ``"FAILURE"``, ...), like ``state``.
    ``AsyncResult(task_id)`` looks a run up by its id, as ``django_hatchet.get_run`` does."""

    __slots__ = ()

    def __init__(self, id: str, job_name: str = "", backend: BaseBackend | None = None) -> None:
        super().__init__(id, job_name, backend or lookup_backend(id))
        if backend is None:  # AsyncResult(task_id): a lookup.
            self.refresh()

    @property
    def status(self) -> str:  # type: ignore[override]  # Celery's status is its state, a str.
        return self.state


@overload
def shared_task(func: Callable[P, R], /) -> Job[P, R]: ...
@overload
def shared_task(**options: Any) -> Callable[[Callable[..., Any]], Job[Any, Any]]: ...
def shared_task(*args: Any, **options: Any) -> Any:
    """Celery's ``@shared_task`` / ``@shared_task(...)``, as a ``@job``."""
    if args and callable(args[0]) and len(args) == 1 and not options:
        func: Callable[..., Any] = args[0]
        return _celery_job(job(func))
    if args:
        raise TypeError("shared_task takes the function, or keyword options only.")
    mapped = job_options(options)

    def decorate(func: Callable[..., Any]) -> Job[Any, Any]:
        return _celery_job(job(**mapped)(func))

    return decorate


def _celery_job(made: Job[P, R]) -> Job[P, R]:
    """Its runs' handles answer as Celery's ``AsyncResult``."""
    made.handle_class = AsyncResult
    return made
