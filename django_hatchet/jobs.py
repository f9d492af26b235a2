"""``@job``: turn a function into a job that can be enqueued."""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime, timedelta
from typing import (
    Any,
    Concatenate,
    Generic,
    Literal,
    NamedTuple,
    ParamSpec,
    Protocol,
    TypeVar,
    overload,
)

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from . import encoding
from .backends import Dispatch, get_backend
from .conf import UNREACHABLE_POLICIES, conf
from .context import JobContext
from .job_registry import registry
from .options import NAME_RE
from .runs import JobRun, RunStatus
from .runs.ids import new_run_id

P = ParamSpec("P")
#: What ``.delay()`` does when the engine cannot be reached.
Unreachable = Literal["outbox", "raise", "inline"]
R = TypeVar("R")


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
    #: PostgreSQL advisory lock; see ``django_hatchet.single_flight``).
    single_flight: bool = False


def describe_function(func: Callable[..., Any]) -> str:
    """``module.qualname (file:line)``, to name a function in an error."""
    where = f"{func.__module__}.{func.__qualname__}"
    code = getattr(func, "__code__", None)
    return f"{where} ({code.co_filename}:{code.co_firstlineno})" if code else where


class Job(Generic[P, R]):
    """A function registered as a job. Call it to run it here; ``delay()`` to enqueue it."""

    is_async = False
    # A template that reads {{ job.name }} must not run the job.
    do_not_call_in_templates = True
    # Set by functools.update_wrapper, from the function.
    __name__: str
    __qualname__: str
    __wrapped__: Callable[P, Any]

    def __init__(self, func: Callable[P, Any], name: str, options: JobOptions) -> None:
        self.func = func
        self.name = name
        self.options = options
        signature = inspect.signature(func)
        if options.takes_context:
            # The context is passed by whoever runs the job, not by the caller.
            signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        #: The parameters a caller passes (without the context of a ``takes_context`` job).
        self.signature = signature
        # When a call passes exactly these many positional arguments and no keywords, it
        # binds without asking the signature (a fast path for the common delay(a, b)).
        self._plain_arity = _plain_arity(self.signature)
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def takes_context(self) -> bool:
        return self.options.takes_context

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the function now, in this process, like calling it undecorated."""
        if self.takes_context:
            func: Any = self.func
            return func(JobContext(self, new_run_id()), *args, **kwargs)  # type: ignore[no-any-return]
        return self.func(*args, **kwargs)  # type: ignore[no-any-return]

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> JobRun[R]:
        """Enqueue a run with these arguments; return its handle at once."""
        return self._enqueue(self._dispatch(args, kwargs), None)

    async def adelay(self, *args: P.args, **kwargs: P.kwargs) -> JobRun[R]:
        return await self._aenqueue(self._dispatch(args, kwargs), None)

    def apply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        priority: Priority | int | None = None,
        enqueue_on_commit: bool | None = None,
    ) -> JobRun[R]:
        """Enqueue a run with options; Celery's signature."""
        dispatch = self._dispatch(*self._check_call(args, kwargs, countdown, eta, priority))
        return self._enqueue(dispatch, _check_bool("enqueue_on_commit", enqueue_on_commit))

    async def aapply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        priority: Priority | int | None = None,
        enqueue_on_commit: bool | None = None,
    ) -> JobRun[R]:
        dispatch = self._dispatch(*self._check_call(args, kwargs, countdown, eta, priority))
        return await self._aenqueue(dispatch, _check_bool("enqueue_on_commit", enqueue_on_commit))

    def delay_many(
        self, calls: Iterable[tuple[Any, ...] | list[Any] | dict[str, Any]]
    ) -> list[JobRun[R]]:
        """Enqueue one run per item: a tuple or list of positional arguments, or a dict of
        keyword arguments. On an engine, one round trip per 1,000 runs."""
        dispatches = []
        for i, call in enumerate(calls):
            if isinstance(call, (tuple, list)):
                dispatches.append(self._dispatch(call, {}))
            elif isinstance(call, dict):
                dispatches.append(self._dispatch((), call))
            else:
                raise TypeError(
                    f"{self.name}.delay_many(): item {i} is {type(call).__name__}; each item must "
                    "be a tuple of positional arguments, such as (order_id,), or a dict of "
                    "keyword arguments."
                )
        if not dispatches:
            return []
        backend = dispatches[0].run._backend
        pending = [d for d in dispatches if not self._defer_to_commit(d, None)]
        if pending:
            backend.dispatch_many(pending)
        return [d.run for d in dispatches]

    # Internals ----------------------------------------------------------------------------

    def _check_call(
        self,
        args: Any,
        kwargs: Any,
        countdown: Any,
        eta: Any,
        priority: Any,
    ) -> tuple[tuple[Any, ...] | list[Any], dict[str, Any], datetime | None, Priority | None]:
        if args is None:
            args = ()
        elif not isinstance(args, (list, tuple)):
            raise TypeError(
                f"{self.name}.apply_async(): args must be a list or tuple, not "
                f"{type(args).__name__}. For one argument, write args=(value,)."
            )
        if kwargs is None:
            kwargs = {}
        elif not isinstance(kwargs, dict):
            raise TypeError(
                f"{self.name}.apply_async(): kwargs must be a dict, not {type(kwargs).__name__}."
            )
        run_at = None
        if countdown is not None and eta is not None:
            raise TypeError(f"{self.name}.apply_async(): pass countdown or eta, not both.")
        if countdown is not None:
            if isinstance(countdown, bool) or not isinstance(countdown, (int, float)):
                raise TypeError(
                    f"{self.name}.apply_async(): countdown must be a number of seconds, not "
                    f"{type(countdown).__name__}."
                )
            if countdown < 0:
                raise ValueError(
                    f"{self.name}.apply_async(): countdown must be 0 or more, not {countdown}."
                )
            run_at = get_backend().now() + timedelta(seconds=countdown)
        elif eta is not None:
            if not isinstance(eta, datetime):
                raise TypeError(
                    f"{self.name}.apply_async(): eta must be a datetime, not {type(eta).__name__}."
                )
            if timezone.is_naive(eta):
                raise ValueError(
                    f"{self.name}.apply_async(): eta must be timezone-aware, so that it means "
                    "the same instant everywhere; use django.utils.timezone.now() + timedelta(...)."
                )
            run_at = eta
        return args, kwargs, run_at, _check_priority(f"{self.name}.apply_async()", priority)

    def _dispatch(
        self,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        run_at: datetime | None = None,
        priority: Priority | None = None,
    ) -> Dispatch:
        if kwargs or len(args) != self._plain_arity:
            try:
                self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{self.name}(): {exc}") from None
        try:
            payload = encoding.dumps({"args": args, "kwargs": kwargs})
        except (TypeError, ValueError):
            raise encoding.argument_error(self.name, self.signature, args, kwargs) from None
        backend = get_backend()
        run: JobRun[R] = JobRun(new_run_id(), self.name, backend)
        return Dispatch(self, run, payload, run_at, priority or self.options.priority)

    def _defer_to_commit(self, dispatch: Dispatch, on_commit: bool | None) -> bool:
        """Register the dispatch to run when the transaction commits, if there is one."""
        if on_commit is None:
            on_commit = self.options.enqueue_on_commit
            if on_commit is None:
                on_commit = conf.ENQUEUE_ON_COMMIT
        if not on_commit:
            return False
        connection = connections[DEFAULT_DB_ALIAS]
        if not connection.in_atomic_block:
            return False
        run, backend = dispatch.run, dispatch.run._backend
        backend.hold(dispatch, DEFAULT_DB_ALIAS)  # The engine's outbox, in this transaction.

        def dispatch_on_commit() -> None:
            run._on_commit = None
            if run._status is RunStatus.PENDING:  # Not cancelled meanwhile.
                run._status = RunStatus.QUEUED
                backend.dispatch(dispatch)
            elif dispatch.held is not None:
                backend.forget(dispatch)

        run._status = RunStatus.PENDING
        run._on_commit = (connection, dispatch_on_commit)
        connection.on_commit(dispatch_on_commit)
        return True

    def _enqueue(self, dispatch: Dispatch, on_commit: bool | None) -> JobRun[R]:
        if not self._defer_to_commit(dispatch, on_commit):
            dispatch.run._backend.dispatch(dispatch)
        return dispatch.run

    async def _aenqueue(self, dispatch: Dispatch, on_commit: bool | None) -> JobRun[R]:
        if not self._defer_to_commit(dispatch, on_commit):
            await dispatch.run._backend.adispatch(dispatch)
        return dispatch.run


def _plain_arity(signature: inspect.Signature) -> int:
    """The number of parameters, if all are required and positional-or-keyword; else -1."""
    params = signature.parameters.values()
    plain = all(
        p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty
        for p in params
    )
    return len(params) if plain else -1


class AsyncJob(Job[P, R]):
    """A job whose function is ``async def``; calling it returns a coroutine."""

    is_async = True

    def __call__(  # type: ignore[override]
        self, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, R]:
        if self.takes_context:
            func: Any = self.func
            return func(JobContext(self, new_run_id()), *args, **kwargs)  # type: ignore[no-any-return]
        return self.func(*args, **kwargs)  # type: ignore[no-any-return]


def _check_bool(what: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"{what} must be True, False or None, not {type(value).__name__}.")
    return value


def _check_priority(where: str, value: Any) -> Priority | None:
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


def _check_takes_context(where: str, func: Callable[..., Any], value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"{where}: takes_context must be True or False, not {type(value).__name__}."
        )
    if value:
        params = list(inspect.signature(func).parameters.values())
        if not params or params[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(
                f"{where}: with takes_context=True, the function's first parameter receives "
                "the JobContext; add one, e.g. def job(context, ...)."
            )
    return value


def _check_function(func: Any) -> None:
    if isinstance(func, Job):
        raise TypeError(f"@job: {func.name} is already a job; decorate it once.")
    if not inspect.isfunction(func):
        raise TypeError(
            f"@job decorates a function, not {type(func).__name__} ({func!r}). "
            "To set the name, write @job(name=...)."
        )
    where = describe_function(func)
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise TypeError(f"@job on {where}: a job cannot be a generator; return a JSON value.")
    if "<locals>" in func.__qualname__:
        raise TypeError(
            f"@job on {where}: jobs must be defined at module level, so that the worker can "
            "import them; this one is defined inside a function."
        )
    if "." in func.__qualname__:
        raise TypeError(
            f"@job on {where}: jobs must be module-level functions, not methods; "
            "move it out of the class."
        )


def _build_job(
    func: Callable[..., Any],
    name: str | None,
    retries: int,
    timeout: timedelta | float | None,
    schedule_timeout: timedelta | float | None,
    backoff_factor: float | None,
    backoff_max_seconds: int | None,
    priority: Priority | int | None,
    enqueue_on_commit: bool | None,
    takes_context: bool,
    concurrency: Concurrency | int | None,
    rate_limits: dict[str, int] | None,
    queue: str | None,
    on_events: list[str] | tuple[str, ...] | None,
    idempotency: Idempotency | None,
    retry_on: tuple[type[BaseException], ...] | None = None,
    on_unreachable: Unreachable | None = None,
    single_flight: bool = False,
) -> Job[Any, Any]:
    _check_function(func)
    where = f"@job on {describe_function(func)}"
    if name is None:
        name = f"{func.__module__}.{func.__qualname__}"
    elif not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string, not {type(name).__name__}.")
    if not NAME_RE.match(name):
        raise ValueError(
            f"{where}: the job name {name!r} is not one Hatchet accepts. Use only letters, "
            "digits, '.', '_' and '-' (e.g. 'orders.send_receipt'); set it with @job(name=...)."
        )
    if isinstance(retries, bool) or not isinstance(retries, int):
        raise TypeError(f"{where}: retries must be an int, not {type(retries).__name__}.")
    if retries < 0:
        raise ValueError(f"{where}: retries must be 0 or more, not {retries}.")
    if backoff_max_seconds is not None and (
        isinstance(backoff_max_seconds, bool) or not isinstance(backoff_max_seconds, int)
    ):
        raise TypeError(
            f"{where}: backoff_max_seconds must be an int, "
            f"not {type(backoff_max_seconds).__name__}."
        )
    options = JobOptions(
        retries=retries,
        timeout=_check_duration(where, "timeout", timeout),
        schedule_timeout=_check_duration(where, "schedule_timeout", schedule_timeout),
        # The engine's limits for backoff.
        backoff_factor=_check_number(where, "backoff_factor", backoff_factor, 1, 1000),
        backoff_max_seconds=_check_number(
            where, "backoff_max_seconds", backoff_max_seconds, 1, 86400
        ),
        priority=_check_priority(where, priority),
        enqueue_on_commit=_check_bool(f"{where}: enqueue_on_commit", enqueue_on_commit),
        takes_context=_check_takes_context(where, func, takes_context),
        concurrency=_check_concurrency(where, concurrency),
        rate_limits=_check_rate_limits(where, rate_limits),
        queue=_check_name(where, "queue", queue),
        on_events=tuple(_check_name(where, "on_events item", e) for e in on_events or ()),
        idempotency=_check_idempotency(where, idempotency),
        retry_on=_check_retry_on(where, retry_on),
        on_unreachable=_check_unreachable(where, on_unreachable),
        single_flight=_check_bool(f"{where}: single_flight", single_flight) or False,
    )
    cls: type[Job[Any, Any]] = AsyncJob if inspect.iscoroutinefunction(func) else Job
    new_job = cls(func, name, options)
    registry.register(new_job)
    return new_job


class _JobDecorator(Protocol):
    @overload
    def __call__(self, func: Callable[P, Coroutine[Any, Any, R]], /) -> AsyncJob[P, R]: ...
    @overload
    def __call__(self, func: Callable[P, R], /) -> Job[P, R]: ...


class _ContextJobDecorator(Protocol):
    """With ``takes_context=True``: the job's callers do not pass the context."""

    @overload
    def __call__(
        self, func: Callable[Concatenate[JobContext, P], Coroutine[Any, Any, R]], /
    ) -> AsyncJob[P, R]: ...
    @overload
    def __call__(self, func: Callable[Concatenate[JobContext, P], R], /) -> Job[P, R]: ...


@overload
def job(func: Callable[P, Coroutine[Any, Any, R]], /) -> AsyncJob[P, R]: ...
@overload
def job(func: Callable[P, R], /) -> Job[P, R]: ...
@overload
def job(
    *,
    name: str | None = None,
    retries: int = 0,
    timeout: timedelta | float | None = None,
    schedule_timeout: timedelta | float | None = None,
    backoff_factor: float | None = None,
    backoff_max_seconds: int | None = None,
    priority: Priority | int | None = None,
    enqueue_on_commit: bool | None = None,
    concurrency: Concurrency | int | None = None,
    rate_limits: dict[str, int] | None = None,
    queue: str | None = None,
    on_events: list[str] | tuple[str, ...] | None = None,
    idempotency: Idempotency | None = None,
    retry_on: tuple[type[BaseException], ...] | None = None,
    on_unreachable: Unreachable | None = None,
    single_flight: bool = False,
    takes_context: Literal[False] = False,
) -> _JobDecorator: ...
@overload
def job(
    *,
    name: str | None = None,
    retries: int = 0,
    timeout: timedelta | float | None = None,
    schedule_timeout: timedelta | float | None = None,
    backoff_factor: float | None = None,
    backoff_max_seconds: int | None = None,
    priority: Priority | int | None = None,
    enqueue_on_commit: bool | None = None,
    concurrency: Concurrency | int | None = None,
    rate_limits: dict[str, int] | None = None,
    queue: str | None = None,
    on_events: list[str] | tuple[str, ...] | None = None,
    idempotency: Idempotency | None = None,
    retry_on: tuple[type[BaseException], ...] | None = None,
    on_unreachable: Unreachable | None = None,
    single_flight: bool = False,
    takes_context: Literal[True],
) -> _ContextJobDecorator: ...
def job(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    retries: int = 0,
    timeout: timedelta | float | None = None,
    schedule_timeout: timedelta | float | None = None,
    backoff_factor: float | None = None,
    backoff_max_seconds: int | None = None,
    priority: Priority | int | None = None,
    enqueue_on_commit: bool | None = None,
    takes_context: bool = False,
    concurrency: Concurrency | int | None = None,
    rate_limits: dict[str, int] | None = None,
    queue: str | None = None,
    on_events: list[str] | tuple[str, ...] | None = None,
    idempotency: Idempotency | None = None,
    retry_on: tuple[type[BaseException], ...] | None = None,
    on_unreachable: Unreachable | None = None,
    single_flight: bool = False,
) -> Any:
    """Register a function as a job; use bare (``@job``) or with options (``@job(retries=3)``)."""

    def decorate(func: Callable[..., Any]) -> Job[Any, Any]:
        return _build_job(
            func,
            name,
            retries,
            timeout,
            schedule_timeout,
            backoff_factor,
            backoff_max_seconds,
            priority,
            enqueue_on_commit,
            takes_context,
            concurrency,
            rate_limits,
            queue,
            on_events,
            idempotency,
            retry_on,
            on_unreachable,
            single_flight,
        )

    if func is None:
        return decorate
    return decorate(func)
