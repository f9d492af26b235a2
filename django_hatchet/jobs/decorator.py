"""``@job``: turn a module-level function into a job that can be enqueued."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, overload

from ..options import NAME_RE, check_options
from .job import AsyncJob, Job, describe_function
from .registry import registry

P = ParamSpec("P")
R = TypeVar("R")

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..options import JobArguments
    from .context import JobContext

    # For the type checker only: building Protocol classes costs a web process's start-up.
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


# The options are typed once, by ``JobArguments`` (django_hatchet.options); only
# ``takes_context`` is spelled out here, because it changes what the decorated job accepts.
@overload
def job(func: Callable[P, Coroutine[Any, Any, R]], /) -> AsyncJob[P, R]: ...
@overload
def job(func: Callable[P, R], /) -> Job[P, R]: ...
@overload
def job(
    *, takes_context: Literal[False] = False, **options: Unpack[JobArguments]
) -> _JobDecorator: ...
@overload
def job(
    *, takes_context: Literal[True], **options: Unpack[JobArguments]
) -> _ContextJobDecorator: ...
def job(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Register a function as a job; use bare (``@job``) or with options (``@job(retries=3)``)."""

    def decorate(func: Callable[..., Any]) -> Job[Any, Any]:
        return build_job(func, options)

    if func is None:
        return decorate
    return decorate(func)


def build_job(func: Callable[..., Any], options: dict[str, Any]) -> Job[Any, Any]:
    """Check ``func`` and the options, and register the job."""
    _check_function(func)
    where = f"@job on {describe_function(func)}"
    name = options.get("name")
    if name is None:
        name = f"{func.__module__}.{func.__qualname__}"
    elif not isinstance(name, str):
        raise TypeError(f"{where}: name must be a string, not {type(name).__name__}.")
    if not NAME_RE.match(name):
        raise ValueError(
            f"{where}: the job name {name!r} is not one Hatchet accepts. Use only letters, "
            "digits, '.', '_' and '-' (e.g. 'orders.send_receipt'); set it with @job(name=...)."
        )
    checked = check_options(where, func, options)
    cls: type[Job[Any, Any]] = AsyncJob if inspect.iscoroutinefunction(func) else Job
    new_job = cls(func, name, checked)
    registry.register(new_job)
    return new_job


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
