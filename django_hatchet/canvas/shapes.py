"""Composing signatures: ``chain``, ``group`` and ``chord``, with Celery's names and ``|``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..backends import get_backend
from ..backends.base import Dispatch
from ..backends.commit import aenqueue, enqueue
from ..calls import check_run_at
from ..encoding import argument_error, dumps, payload_size, too_large_error
from ..options import Priority, check_bool, check_priority
from ..runs.ids import new_run_id
from .handle import CanvasRun, build_handle
from .inline import CANVAS_JOB, remember
from .plan import Node
from .signature import Signature


def _parts(kind: str, tasks: tuple[Any, ...]) -> list[Signature | Canvas]:
    """``chain(a, b)``, ``chain([a, b])`` and ``chain(x for x in ...)`` alike, each part
    checked."""
    if len(tasks) == 1 and not isinstance(tasks[0], (Signature, Canvas)):
        if isinstance(tasks[0], (str, bytes, dict)) or not isinstance(tasks[0], Iterable):
            _not_a_part(kind, 0, tasks[0])
        tasks = tuple(tasks[0])
    for i, task in enumerate(tasks):
        if not isinstance(task, (Signature, Canvas)):
            _not_a_part(kind, i, task)
    if not tasks:
        raise ValueError(f"{kind}() needs at least one signature, such as {kind}(job.s(1)).")
    return list(tasks)


def _not_a_part(kind: str, i: int, task: Any) -> None:
    hint = ""
    if callable(task) and hasattr(task, "delay"):
        hint = f" Pass a signature, such as {getattr(task, 'name', 'job')}.s(...), not the job."
    raise TypeError(
        f"{kind}(): item {i} is {type(task).__name__}, not a signature or a canvas.{hint}"
    )


class Canvas:
    """What ``chain``, ``group`` and ``chord`` share: applying them, and ``|``."""

    kind = "canvas"

    def __or__(self, other: Signature | Canvas) -> Canvas:
        if not isinstance(other, (Signature, Canvas)):
            return NotImplemented
        return chain(self, other)

    def __ror__(self, other: Signature) -> Canvas:
        if not isinstance(other, Signature):
            return NotImplemented
        return chain(other, self)

    def delay(self, *args: Any) -> CanvasRun:
        """Run the canvas: ``args`` go before the arguments of its first step(s)."""
        return self.apply_async(args)

    async def adelay(self, *args: Any) -> CanvasRun:
        return await self.aapply_async(args)

    def __call__(self, *args: Any) -> CanvasRun:
        return self.apply_async(args)

    def apply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        priority: Priority | int | None = None,
        enqueue_on_commit: bool | None = None,
    ) -> CanvasRun:
        """Run the canvas (on the engine: one durable run, each step a child run of it).
        ``args`` go before the arguments of its first step(s); ``countdown``/``eta`` delay
        its start; ``priority`` is the canvas run's (each step keeps its job's)."""
        dispatch = self._dispatch(args, kwargs, countdown, eta, priority)
        enqueue(dispatch, check_bool("enqueue_on_commit", enqueue_on_commit))
        return dispatch.run  # type: ignore[return-value]

    async def aapply_async(
        self,
        args: tuple[Any, ...] | list[Any] | None = None,
        kwargs: dict[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        priority: Priority | int | None = None,
        enqueue_on_commit: bool | None = None,
    ) -> CanvasRun:
        dispatch = self._dispatch(args, kwargs, countdown, eta, priority)
        await aenqueue(dispatch, check_bool("enqueue_on_commit", enqueue_on_commit))
        return dispatch.run  # type: ignore[return-value]

    def _dispatch(
        self,
        args: Any,
        kwargs: Any,
        countdown: Any,
        eta: Any,
        priority: Any,
    ) -> Dispatch:
        where = f"{self.kind}.apply_async()"
        if kwargs:
            raise TypeError(
                f"{where}: a canvas takes no keyword arguments; give them to its signatures."
            )
        if args is None:
            args = ()
        elif not isinstance(args, (list, tuple)):
            raise TypeError(f"{where}: args must be a list or tuple, not {type(args).__name__}.")
        self.check(len(args), self.kind)
        backend = get_backend()
        signatures: dict[str, Signature] = {}
        plan = self.encode(signatures)
        run = build_handle(plan, backend, signatures)
        remember(run)
        payload = _payload(where, plan, args)
        run_at = check_run_at(where, countdown, eta, backend.now)
        return Dispatch(CANVAS_JOB, run, payload, run_at, check_priority(where, priority))

    # Each shape says how it checks its steps and encodes itself.

    def check(self, received: int, where: str) -> None:
        raise NotImplementedError

    def encode(self, signatures: dict[str, Signature]) -> Node:
        raise NotImplementedError


def _payload(where: str, plan: Node, args: tuple[Any, ...] | list[Any]) -> str:
    """The orchestrator run's input: the plan (each step's arguments were checked when its
    signature was made) and the canvas's own arguments; an error says what would not fit."""
    call = {"args": [plan, list(args), plan["id"]], "kwargs": {}}
    try:
        return dumps(call)
    except (TypeError, ValueError):
        pass
    try:
        dumps(list(args))
    except (TypeError, ValueError):
        raise argument_error(where, None, args, {}) from None
    raise too_large_error(
        where,
        "the canvas (its steps and their arguments) is",
        payload_size(call),
        "Split it into smaller canvases, or pass less to each step. ",
    )


def _check(part: Signature | Canvas, received: int, where: str) -> None:
    part.check_call(received, where) if isinstance(part, Signature) else part.check(received, where)


def _encode(part: Signature | Canvas, signatures: dict[str, Signature]) -> Node:
    if isinstance(part, Canvas):
        return part.encode(signatures)
    run_id = new_run_id()
    signatures[run_id] = part
    node: Node = {
        "k": "job",
        "id": run_id,
        "job": part.name,
        "args": list(part.args),
        "kwargs": part.kwargs,
        "immutable": part.immutable,
    }
    if part.options.get("countdown"):
        node["countdown"] = part.options["countdown"]
    if part.options.get("priority") is not None:
        node["priority"] = int(part.options["priority"])
    return node


class chain(Canvas):
    """Steps one after the other, each receiving the previous one's result (unless made
    with ``.si()``). ``chain(a, b, c)`` is ``a | b | c``; its result is the last step's."""

    kind = "chain"

    tasks: list[Signature | Canvas]

    def __init__(self, *tasks: Any) -> None:
        steps: list[Signature | Canvas] = []
        for part in _parts("chain", tasks):
            steps.extend(part.tasks if isinstance(part, chain) else [part])
        self.tasks = steps

    def __or__(self, other: Signature | Canvas) -> Canvas:
        if not isinstance(other, (Signature, Canvas)):
            return NotImplemented
        return chain(*self.tasks, other)

    def check(self, received: int, where: str) -> None:
        for i, step in enumerate(self.tasks):
            _check(step, received if i == 0 else 1, f"{where} step {i + 1}")

    def encode(self, signatures: dict[str, Signature]) -> Node:
        steps = [_encode(step, signatures) for step in self.tasks]
        return {"k": "chain", "id": new_run_id(), "steps": steps}

    def __repr__(self) -> str:
        return " | ".join(repr(t) for t in self.tasks)


class group(Canvas):
    """Members that run at the same time; its result is the list of theirs, in order.
    ``group | callback`` is a ``chord``."""

    kind = "group"

    def __init__(self, *tasks: Any) -> None:
        self.tasks = _parts("group", tasks)

    def __or__(self, other: Signature | Canvas) -> Canvas:
        if not isinstance(other, (Signature, Canvas)):
            return NotImplemented
        return chord(self, other)

    def check(self, received: int, where: str) -> None:
        for i, member in enumerate(self.tasks):
            _check(member, received, f"{where} member {i + 1}")

    def encode(self, signatures: dict[str, Signature]) -> Node:
        members = []
        for member in self.tasks:
            node = _encode(member, signatures)
            if node.get("countdown"):
                # Members start together: one that waits first is a run of its own.
                node = {"k": "chain", "id": new_run_id(), "steps": [node]}
            members.append(node)
        return {"k": "group", "id": new_run_id(), "members": members}

    def __repr__(self) -> str:
        return f"group({', '.join(repr(t) for t in self.tasks)})"


class chord(Canvas):
    """A group (the header) whose list of results goes to a callback (the body) once every
    member has completed; the body does not run if a member fails. ``chord(header, body)``,
    ``chord(header)(body)`` or ``group(...) | body``; its result is the body's."""

    kind = "chord"

    def __init__(self, header: Any, body: Signature | Canvas | None = None) -> None:
        self.header = header if isinstance(header, group) else group(header)
        if body is not None and not isinstance(body, (Signature, Canvas)):
            _not_a_part("chord", 1, body)
        self.body = body

    def __call__(self, body: Signature | Canvas | None = None, *args: Any) -> CanvasRun:
        """``chord(header)(body)``: run it with this body."""
        if body is None:
            return self.apply_async(args)
        return chord(self.header, body).apply_async(args)

    def __or__(self, other: Signature | Canvas) -> Canvas:
        if not isinstance(other, (Signature, Canvas)):
            return NotImplemented
        if self.body is None:
            return chord(self.header, other)
        return chain(self, other)

    def _body(self, where: str) -> Signature | Canvas:
        if self.body is None:
            raise ValueError(
                f"{where}: this chord has no callback; write chord(header, callback), "
                "chord(header)(callback) or group(...) | callback."
            )
        return self.body

    def check(self, received: int, where: str) -> None:
        self.header.check(received, f"{where} header")
        _check(self._body(where), 1, f"{where} callback")

    def encode(self, signatures: dict[str, Signature]) -> Node:
        header = self.header.encode(signatures)
        body = _encode(self._body("chord"), signatures)
        return {"k": "chord", "id": new_run_id(), "header": header, "body": body}

    def __repr__(self) -> str:
        return f"chord({self.header!r}, {self.body!r})"
