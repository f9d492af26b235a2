"""A job's options, declared once: what ``@job`` accepts, how each is checked, and the record
a job keeps. The decorator, ``shared_task``'s mapping and the engine's task definition all
read these declarations; none lists the options again.

Adding an option: a field of ``JobOptions`` (its value once checked), a key of
``JobArguments`` (what a caller may pass) and its check in ``CHECKS``, all below;
``tests/test_options.py`` fails when the three disagree.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .conf import UNREACHABLE_POLICIES

#: The characters of those names, as the inside of a regular expression's character class.
NAME_CHARACTERS = "a-zA-Z0-9._-"
#: The names Hatchet accepts for workflows, rate limit keys and crons.
NAME_RE = re.compile(f"^[{NAME_CHARACTERS}]+$")

#: What ``.delay()`` does when the engine cannot be reached.
Unreachable = Literal["outbox", "raise", "inline"]


class Priority(enum.IntEnum):
    """Hatchet's run priorities; higher runs first."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


#: Hatchet's concurrency strategies (see docs/jobs.md).
CONCURRENCY_STRATEGIES = (
    "GROUP_ROUND_ROBIN",
    "CANCEL_IN_PROGRESS",
    "CANCEL_NEWEST",
    "QUEUE_NEWEST",
    "DROP_NEWEST",
)


# The option records are NamedTuples, not frozen dataclasses: a web process builds them at
# start-up, and a dataclass takes a millisecond to build (docs/benchmarks.md, row 2).


class Concurrency(NamedTuple):
    """At most ``max_runs`` runs at once per value of ``key``, a CEL expression over the
    run's input (``input.args[0]``, ``input.kwargs.customer_id``); the default key makes
    the limit global. ``strategy`` says what happens to runs over the limit."""

    max_runs: int
    key: str = "'all'"
    strategy: str = "GROUP_ROUND_ROBIN"


class Idempotency(NamedTuple):
    """Runs whose ``key`` (a CEL expression over the input, e.g. ``input.kwargs.order_id``)
    matches a run enqueued less than ``ttl`` ago are not started again: ``.delay()`` returns
    the handle of the earlier run, with ``deduplicated`` set."""

    key: str
    ttl: timedelta = timedelta(hours=1)


class JobOptions(NamedTuple):
    """A job's options, validated when decorating. ``None`` means the project default."""

    retries: int = 0
    timeout: timedelta | None = None
    schedule_timeout: timedelta | None = None
    backoff_factor: float | None = None
    backoff_max_seconds: int | None = None
    priority: Priority | None = None
    enqueue_on_commit: bool | None = None
    takes_context: bool = False
    concurrency: Concurrency | None = None
    #: Units of each rate limit (keys of HATCHET_RATE_LIMITS) that one run uses.
    rate_limits: tuple[tuple[str, int], ...] = ()
    #: Only workers started with this queue (``runworker --queue``) run the job.
    queue: str | None = None
    #: Events (``django_hatchet.send_event``) that start a run of the job.
    on_events: tuple[str, ...] = ()
    idempotency: Idempotency | None = None
    #: Only these exceptions (and ``Retry``) are retried; any other fails the run at once.
    retry_on: tuple[type[BaseException], ...] | None = None
    #: When the engine cannot be reached at enqueue: "outbox", "raise" or "inline"
    #: (None: ``HATCHET_ON_UNREACHABLE``).
    on_unreachable: Unreachable | None = None
    #: At most one run at a time, across workers: an overlapping run is skipped (a
    #: PostgreSQL advisory lock; see ``django_hatchet.backends.single_flight``).
    single_flight: bool = False
    #: A durable task on the engine (an ``async def`` job): while it waits (for its child
    #: runs, a sleep, an event) it holds no worker slot, and a worker lost mid-run replays it,
    #: its completed waits answered from the engine's log (docs/workflows.md).
    durable: bool = False


class StepDeclaration(NamedTuple):
    """A step of a workflow (``django_hatchet.workflow``), as the engine's definition of the
    workflow has it: its name, the names of its parents, its options."""

    name: str
    parents: tuple[str, ...]
    options: JobOptions


#: The steps of a job's definition on the engine: none for a job, its steps for a workflow.
Steps = tuple[StepDeclaration, ...]


if TYPE_CHECKING:
    from typing import TypedDict

    # For the type checker only (``Unpack`` in @job's signature): building a TypedDict
    # costs a web process's start-up. tests/test_options.py reads its keys from the source.
    class JobArguments(TypedDict, total=False):
        """The keyword arguments of ``@job``: the options as a caller may write them (but
        ``takes_context``, which the decorator's overloads spell out, since it changes the type
        of the job they return)."""

        name: str | None
        retries: int
        timeout: timedelta | float | None
        schedule_timeout: timedelta | float | None
        backoff_factor: float | None
        backoff_max_seconds: int | None
        priority: Priority | int | None
        enqueue_on_commit: bool | None
        concurrency: Concurrency | int | None
        rate_limits: dict[str, int] | None
        queue: str | None
        on_events: list[str] | tuple[str, ...] | None
        idempotency: Idempotency | None
        retry_on: tuple[type[BaseException], ...] | None
        on_unreachable: Unreachable | None
        single_flight: bool
        durable: bool


def check_options(where: str, func: Callable[..., Any], given: dict[str, Any]) -> JobOptions:
    """The record of these keyword arguments (``name`` aside), each checked; or raise a
    TypeError or ValueError that names the option and says what it accepts."""
    unknown = given.keys() - CHECKS.keys() - {"name"}
    if unknown:
        # The message Python gives for a keyword argument a function does not take.
        raise TypeError(f"job() got an unexpected keyword argument {min(unknown)!r}")
    defaults = JobOptions._field_defaults
    values = {
        option: check(where, given[option]) if option in given else defaults[option]
        for option, check in CHECKS.items()
    }
    if values["takes_context"]:
        _check_context_parameter(where, func)
    if values["durable"] and not inspect.iscoroutinefunction(func):
        raise TypeError(
            f"{where}: durable=True needs an async def function: a durable job awaits "
            "(its child runs, context.sleep(), context.wait_for_event()) on the engine's log."
        )
    return JobOptions(**values)


def check_bool(what: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{what} must be True, False or None, not {type(value).__name__}.")
    return value


def check_priority(where: str, value: Any) -> Priority | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{where}: priority must be a django_hatchet.Priority or 1, 2 or 3, "
            f"not {type(value).__name__}."
        )
    try:
        return Priority(value)
    except ValueError:
        raise ValueError(
            f"{where}: priority must be 1 (LOW), 2 (MEDIUM) or 3 (HIGH), not {value}."
        ) from None


def _check_retries(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{where}: retries must be an int, not {type(value).__name__}.")
    if value < 0:
        raise ValueError(f"{where}: retries must be 0 or more, not {value}.")
    return value


def _check_duration(where: str, what: str, value: Any) -> timedelta | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta):
        raise TypeError(
            f"{where}: {what} must be a timedelta or a number of seconds, "
            f"not {type(value).__name__}."
        )
    if value <= timedelta(0):
        raise ValueError(f"{where}: {what} must be positive, not {value}.")
    return value


def _check_number(where: str, what: str, value: Any, low: float, high: float) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{where}: {what} must be a number, not {type(value).__name__}.")
    if not low <= value <= high:
        raise ValueError(f"{where}: {what} must be between {low:g} and {high:g}, not {value}.")
    return value


def _check_backoff_max(where: str, value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{where}: backoff_max_seconds must be an int, not {type(value).__name__}.")
    # The engine's limits for backoff.
    return _check_number(where, "backoff_max_seconds", value, 1, 86400)  # type: ignore[no-any-return]


def _check_concurrency(where: str, value: Any) -> Concurrency | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = Concurrency(max_runs=value)
    if not isinstance(value, Concurrency):
        raise TypeError(
            f"{where}: concurrency must be a django_hatchet.Concurrency or an int (max runs), "
            f"not {type(value).__name__}."
        )
    if (
        isinstance(value.max_runs, bool)
        or not isinstance(value.max_runs, int)
        or value.max_runs < 1
    ):
        raise ValueError(f"{where}: concurrency max_runs must be an int of 1 or more.")
    if not isinstance(value.key, str) or not value.key.strip():
        raise TypeError(f"{where}: concurrency key must be a CEL expression (a string).")
    if value.strategy not in CONCURRENCY_STRATEGIES:
        raise ValueError(
            f"{where}: concurrency strategy {value.strategy!r} is not one of "
            f"{', '.join(CONCURRENCY_STRATEGIES)}."
        )
    return value


def _check_idempotency(where: str, value: Any) -> Idempotency | None:
    if value is None:
        return None
    if not isinstance(value, Idempotency):
        raise TypeError(
            f"{where}: idempotency must be a django_hatchet.Idempotency, "
            f"not {type(value).__name__}."
        )
    if not isinstance(value.key, str) or not value.key.strip():
        raise TypeError(f"{where}: idempotency key must be a CEL expression (a string).")
    ttl = _check_duration(where, "idempotency ttl", value.ttl)
    assert ttl is not None
    return Idempotency(key=value.key, ttl=ttl)


def _check_unreachable(where: str, value: Any) -> Unreachable | None:
    if value is None or value in UNREACHABLE_POLICIES:
        return value  # type: ignore[no-any-return]
    raise ValueError(
        f"{where}: on_unreachable must be one of {', '.join(map(repr, UNREACHABLE_POLICIES))}, "
        f"not {value!r}."
    )


def _check_retry_on(where: str, value: Any) -> tuple[type[BaseException], ...] | None:
    if value is None:
        return None
    if isinstance(value, type):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(v, type) and issubclass(v, BaseException) for v in value
    ):
        raise TypeError(
            f"{where}: retry_on must be an exception class or a tuple of them, not {value!r}."
        )
    return tuple(value)


def _check_rate_limits(where: str, value: Any) -> tuple[tuple[str, int], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise TypeError(
            f"{where}: rate_limits must be a dict of rate limit key to units, e.g. "
            f"{{'smtp': 1}}, not {type(value).__name__}."
        )
    for key, units in value.items():
        if not isinstance(key, str) or not NAME_RE.match(key):
            raise ValueError(
                f"{where}: rate limit key {key!r} must be letters, digits, '.', '_', '-'."
            )
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(
                f"{where}: rate limit {key!r} must use 1 or more units, not {units!r}."
            )
    return tuple(sorted(value.items()))


def _check_name(where: str, what: str, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise ValueError(
            f"{where}: {what} must be a non-empty string without spaces, not {value!r}."
        )
    return value


def _check_takes_context(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"{where}: takes_context must be True or False, not {type(value).__name__}."
        )
    return value


def _check_context_parameter(where: str, func: Callable[..., Any]) -> None:
    params = list(inspect.signature(func).parameters.values())
    if not params or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(
            f"{where}: with takes_context=True, the function's first parameter receives "
            "the JobContext; add one, e.g. def job(context, ...)."
        )


Check = Callable[[str, Any], Any]

#: How each option is checked, in the order of ``JobOptions``: (where, value) -> the value kept.
CHECKS: dict[str, Check] = {
    "retries": _check_retries,
    "timeout": lambda where, v: _check_duration(where, "timeout", v),
    "schedule_timeout": lambda where, v: _check_duration(where, "schedule_timeout", v),
    # The engine's limits for backoff.
    "backoff_factor": lambda where, v: _check_number(where, "backoff_factor", v, 1, 1000),
    "backoff_max_seconds": _check_backoff_max,
    "priority": check_priority,
    "enqueue_on_commit": lambda where, v: check_bool(f"{where}: enqueue_on_commit", v),
    "takes_context": _check_takes_context,
    "concurrency": _check_concurrency,
    "rate_limits": _check_rate_limits,
    "queue": lambda where, v: _check_name(where, "queue", v),
    "on_events": lambda where, v: tuple(_check_name(where, "on_events item", e) for e in v or ()),
    "idempotency": _check_idempotency,
    "retry_on": _check_retry_on,
    "on_unreachable": _check_unreachable,
    "single_flight": lambda where, v: check_bool(f"{where}: single_flight", v) or False,
    "durable": lambda where, v: check_bool(f"{where}: durable", v) or False,
}
