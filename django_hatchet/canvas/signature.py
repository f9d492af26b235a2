"""A signature: a job with some of its arguments, to run later or as a step of a canvas
(Celery's ``add.s(2)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..calls import check_arguments, check_countdown
from ..encoding import argument_error, dumps
from ..options import check_priority

if TYPE_CHECKING:
    import inspect
    from typing import Protocol

    from ..options import JobOptions
    from ..runs.handle import JobRun
    from .shapes import Canvas, chain

    class SignedJob(Protocol):
        """What a signature uses of its job (``django_hatchet.Job``)."""

        name: str
        options: JobOptions
        signature: inspect.Signature

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
        def apply_async(self, *args: Any, **kwargs: Any) -> JobRun[Any]: ...
        async def aapply_async(self, *args: Any, **kwargs: Any) -> JobRun[Any]: ...


#: What ``.set()`` takes: the options of one run.
RUN_OPTIONS = ("countdown", "priority")


def check_run_options(where: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options of one run, checked (None stays: it clears the option); a TypeError names
    one that is not supported."""
    checked = dict(options)
    for name, value in options.items():
        if name == "queue":
            raise TypeError(
                f"{where}: queue cannot be set per run; a job's queue is @job(queue=...), and "
                "only workers started with runworker --queue run it."
            )
        if name not in RUN_OPTIONS:
            raise TypeError(
                f"{where}: unsupported option {name!r}; a signature takes {', '.join(RUN_OPTIONS)}."
            )
        if value is None:
            continue
        if name == "countdown":
            checked[name] = check_countdown(where, value)
        else:
            checked[name] = check_priority(where, value)
    return checked


def _set(options: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``options`` with ``changes`` made: a value replaces, None removes."""
    merged = {**options, **changes}
    return {name: value for name, value in merged.items() if value is not None}


class Signature:
    """A job and some of its arguments. A signature made with ``job.s()`` is partial: as a
    step of a canvas it receives the previous step's result before its own arguments;
    ``job.si()`` makes an immutable one, which receives only its own."""

    __slots__ = ("args", "immutable", "job", "kwargs", "options")

    def __init__(
        self,
        job: SignedJob,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        immutable: bool = False,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.job = job
        self.immutable = immutable
        args, kwargs = check_arguments(self._where(), args, kwargs)
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.options = _set({}, check_run_options(self._where(), options or {}))
        self._check_arguments()

    @property
    def name(self) -> str:
        """The job's name."""
        return self.job.name

    def _where(self) -> str:
        return f"{self.job.name}.{'si' if self.immutable else 's'}()"

    def _check_arguments(self) -> None:
        """Arguments that could never fit the job, or that are not JSON, fail here, when the
        signature is made (a partial one may still receive one value before them)."""
        signature = self.job.signature
        try:
            if self.immutable:
                signature.bind_partial(*self.args, **self.kwargs)
            else:
                try:
                    signature.bind_partial(*self.args, **self.kwargs)
                except TypeError:
                    signature.bind_partial(None, *self.args, **self.kwargs)
        except TypeError as exc:
            raise TypeError(f"{self._where()}: {exc}") from None
        try:
            dumps({"args": self.args, "kwargs": self.kwargs})
        except (TypeError, ValueError):
            raise argument_error(self._where(), signature, self.args, self.kwargs) from None

    def check_call(self, received: int, where: str) -> None:
        """Check that the job binds these arguments after ``received`` values from the
        previous step; ``where`` names the step in the error."""
        head = [None] * (0 if self.immutable else received)
        try:
            self.job.signature.bind(*head, *self.args, **self.kwargs)
        except TypeError as exc:
            given = (
                f" (it receives the previous step's result as its first argument; use "
                f"{self.job.name}.si(...) to ignore it)"
                if head
                else ""
            )
            raise TypeError(f"{where}, {self.job.name}(): {exc}{given}") from None

    def set(self, **options: Any) -> Signature:
        """Set options of the run (``countdown``, ``priority``; None clears one); returns
        the signature."""
        self.options = _set(self.options, check_run_options(f"{self.job.name}.set()", options))
        return self

    def clone(
        self,
        args: tuple[Any, ...] | list[Any] = (),
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> Signature:
        """A copy with more arguments, ``args`` before its own and ``kwargs`` merged in (an
        immutable signature keeps its own only, as in Celery), and ``options`` set."""
        args, kwargs = check_arguments(f"{self.job.name}.clone()", args, kwargs)
        if not self.immutable:
            args, kwargs = (*args, *self.args), {**self.kwargs, **kwargs}
        else:
            args, kwargs = self.args, self.kwargs
        return Signature(
            self.job,
            args,
            kwargs,
            immutable=self.immutable,
            options={**self.options, **options},
        )

    def delay(self, *args: Any, **kwargs: Any) -> JobRun[Any]:
        """Enqueue a run of the job with these arguments added (Celery's ``sig.delay()``)."""
        return self.apply_async(args, kwargs)

    def apply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> JobRun[Any]:
        """Enqueue a run of the job: ``args`` before the signature's own, ``kwargs`` merged,
        and ``countdown``, ``priority``, ``eta`` or ``enqueue_on_commit``."""
        sig = self._applied("apply_async", args, kwargs, options)
        return self.job.apply_async(sig.args, sig.kwargs, **sig.options, **options)

    async def aapply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        **options: Any,
    ) -> JobRun[Any]:
        sig = self._applied("aapply_async", args, kwargs, options)
        return await self.job.aapply_async(sig.args, sig.kwargs, **sig.options, **options)

    def _applied(self, method: str, args: Any, kwargs: Any, options: dict[str, Any]) -> Signature:
        """The signature a call of ``method`` runs; takes its run options out of ``options``."""
        args, kwargs = check_arguments(f"{self.job.name}.{method}()", args, kwargs)
        run_options = {k: options.pop(k) for k in RUN_OPTIONS if k in options}
        return self.clone(args, kwargs, **run_options)

    async def adelay(self, *args: Any, **kwargs: Any) -> JobRun[Any]:
        return await self.aapply_async(args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the job's function now, in this process, with the arguments added."""
        sig = self.clone(args, kwargs)
        return self.job(*sig.args, **sig.kwargs)

    def __or__(self, other: Signature | Canvas) -> chain:
        from .shapes import chain

        return chain(self, other)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Signature):
            return NotImplemented
        return (self.job, self.args, self.kwargs, self.immutable, self.options) == (
            other.job,
            other.args,
            other.kwargs,
            other.immutable,
            other.options,
        )

    __hash__ = None  # type: ignore[assignment]  # Mutable, like Celery's.

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{'%' if self.immutable else ''}{self.job.name}({', '.join(parts)})"
