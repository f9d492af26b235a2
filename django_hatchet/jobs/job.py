"""A job: a function that can be called here, or enqueued to run inline or on an engine."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from ..backends import get_backend
from ..backends.base import Dispatch
from ..backends.commit import aenqueue, enqueue, enqueue_many
from ..calls import check_arguments, check_run_at
from ..encoding import argument_error, dumps
from ..exceptions import ArgumentsRefused
from ..options import (
    JobOptions,
    Priority,
    Steps,
    check_bool,
    check_priority,
)
from ..runs.handle import JobRun
from ..runs.ids import new_run_id

if TYPE_CHECKING:
    from django.db import models

    from ..canvas.signature import Signature
    from .context import JobContext
    from .query import RunList

P = ParamSpec("P")
R = TypeVar("R")


def describe_function(func: Callable[..., Any]) -> str:
    """``module.qualname (file:line)``, to name a function in an error."""
    where = f"{func.__module__}.{func.__qualname__}"
    code = getattr(func, "__code__", None)
    return f"{where} ({code.co_filename}:{code.co_firstlineno})" if code else where


class _Annotation(str):
    """An annotation kept as text (``from __future__ import annotations``), shown unquoted."""

    def __repr__(self) -> str:
        return str(self)


def signature_text(signature: inspect.Signature) -> str:
    """``(order_id: int) -> dict[str, Any]``: a signature as the code reads, without the quotes
    Python puts around annotations kept as strings."""

    def plain(annotation: Any) -> Any:
        return _Annotation(annotation) if isinstance(annotation, str) else annotation

    parameters = [p.replace(annotation=plain(p.annotation)) for p in signature.parameters.values()]
    return str(
        signature.replace(
            parameters=parameters, return_annotation=plain(signature.return_annotation)
        )
    )


class Job(Generic[P, R]):
    """A function registered as a job. Call it to run it here; ``delay()`` to enqueue it."""

    is_async = False
    #: Inline, a failed run logs its exception (the canvas orchestrator, whose failure is a
    #: step's, already logged, does not).
    logs_failures = True
    #: The class of the handles its runs return (``shared_task``'s: Celery's ``AsyncResult``).
    handle_class: type[JobRun[Any]] = JobRun
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
        #: The model its runs are about, and the parameter with the primary key (``@about``):
        #: (lowercased model label, parameter), or None.
        self.about: tuple[str, str] | None = None
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def engine_steps(self) -> Steps:
        """The steps of its definition on the engine (a workflow's; a job has none)."""
        return ()

    @property
    def takes_context(self) -> bool:
        return self.options.takes_context

    def new_context(self, run_id: str) -> JobContext:
        """The context an inline run (or a direct call) of a ``takes_context`` job receives."""
        # Imported here: a web process whose jobs take no context does not load it.
        from .context import JobContext

        return JobContext(self, run_id)

    def object_label(self, payload: str) -> str | None:
        """The model instance a run with this payload is about (``@about``), if any."""
        if self.about is None:
            return None
        from ..encoding import loads

        call = loads(payload)
        return self.label_for(call["args"], call["kwargs"])

    def label_for(self, args: Any, kwargs: dict[str, Any]) -> str | None:
        """``app_label.model:pk`` of the instance a run with these arguments is about."""
        if self.about is None:
            return None
        label, argument = self.about
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            return None
        value = bound.arguments.get(argument, inspect.Parameter.empty)
        if value is inspect.Parameter.empty or value is None:
            return None
        return f"{label}:{value}"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the function now, in this process, like calling it undecorated."""
        if self.takes_context:
            func: Any = self.func
            return func(self.new_context(new_run_id()), *args, **kwargs)  # type: ignore[no-any-return]
        return self.func(*args, **kwargs)  # type: ignore[no-any-return]

    def s(self, *args: Any, **kwargs: Any) -> Signature:
        """A signature of this job with these arguments, for a canvas: as a step, it
        receives the previous step's result before them (Celery's ``add.s(2)``)."""
        from ..canvas.signature import Signature

        return Signature(self, args, kwargs)

    def si(self, *args: Any, **kwargs: Any) -> Signature:
        """An immutable signature: as a step, it receives only these arguments."""
        from ..canvas.signature import Signature

        return Signature(self, args, kwargs, immutable=True)

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
        return self._enqueue(dispatch, check_bool("enqueue_on_commit", enqueue_on_commit))

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
        return await self._aenqueue(dispatch, check_bool("enqueue_on_commit", enqueue_on_commit))

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
        enqueue_many(dispatches)
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
        args, kwargs = check_arguments(f"{self.name}.apply_async()", args, kwargs)
        run_at = check_run_at(f"{self.name}.apply_async()", countdown, eta, get_backend().now)
        return args, kwargs, run_at, check_priority(f"{self.name}.apply_async()", priority)

    def _dispatch(
        self,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        run_at: datetime | None = None,
        priority: Priority | None = None,
    ) -> Dispatch:
        if kwargs or len(args) != self._plain_arity:
            self.validate_arguments(args, kwargs)
        try:
            payload = dumps({"args": args, "kwargs": kwargs})
        except (TypeError, ValueError):
            raise argument_error(self.name, self.signature, args, kwargs) from None
        backend = get_backend()
        run: JobRun[R] = self.handle_class(new_run_id(), self.name, backend)
        return Dispatch(self, run, payload, run_at, priority or self.options.priority)

    def runs(
        self,
        *,
        status: str | Iterable[str] | None = None,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        about: models.Model | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> RunList:
        """This job's runs, newest first, as handles: ``find_runs()`` for this job."""
        from .query import build_query, run_query

        filters = dict(status=status, since=since, until=until, about=about)
        where = f"{self.name}.runs()"
        return run_query(build_query(where, self, **filters, limit=limit, offset=offset))

    async def aruns(
        self,
        *,
        status: str | Iterable[str] | None = None,
        since: datetime | timedelta | None = None,
        until: datetime | None = None,
        about: models.Model | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> RunList:
        """``runs()`` for async code."""
        from asgiref.sync import sync_to_async

        from .query import build_query, run_query

        filters = dict(status=status, since=since, until=until, about=about)
        where = f"{self.name}.aruns()"
        query = build_query(where, self, **filters, limit=limit, offset=offset)
        return await sync_to_async(run_query, thread_sensitive=False)(query)

    def validate_arguments(self, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any]) -> None:
        """Raise ``ArgumentsRefused`` (a TypeError naming the job; a workflow's, the step) if
        a run cannot take these arguments."""
        try:
            self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ArgumentsRefused(self.name, str(exc), signature_text(self.signature)) from None

    def _enqueue(self, dispatch: Dispatch, on_commit: bool | None) -> JobRun[R]:
        enqueue(dispatch, on_commit)
        return dispatch.run

    async def _aenqueue(self, dispatch: Dispatch, on_commit: bool | None) -> JobRun[R]:
        await aenqueue(dispatch, on_commit)
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
            return func(self.new_context(new_run_id()), *args, **kwargs)  # type: ignore[no-any-return]
        return self.func(*args, **kwargs)  # type: ignore[no-any-return]
