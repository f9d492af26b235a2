"""The durable task that runs canvases on the engine (``django_hatchet.canvas``).

It walks the canvas's plan (``canvas.plan.walk``) and starts each step as a child run:
a job's run, or a nested canvas's. The engine keeps each start and each result in the
task's durable log, so a worker lost mid-canvas is replaced by a replay that starts no
completed step again; while it waits for its steps the task holds no worker slot."""

from __future__ import annotations

from typing import Any

from ..canvas.plan import (
    ORCHESTRATOR,
    ORCHESTRATOR_OPTIONS,
    Failure,
    Node,
    Outcome,
    Step,
    StepFailed,
    is_canvas,
    parse_failure,
    step_arguments,
    walk,
)
from ..encoding import dumps
from ..engine.worker import Context, NonRetryableException
from ..engine.workflows import Child, Ended, run_children
from ..jobs.registry import registry
from ..runs.metadata import CANVAS_KEY, TRACE_KEYS, run_metadata


async def orchestrate(input: Any, ctx: Context) -> dict[str, Any]:
    """Run one canvas node; its output is ``{"result": ...}``, like a job's."""
    call = input.model_dump() if hasattr(input, "model_dump") else dict(input)
    node, head, _root = call["args"]
    walking = walk(node, head)
    outcomes: list[Outcome] | None = None
    while True:
        try:
            steps = walking.send(outcomes)  # type: ignore[arg-type]
        except StopIteration as stop:
            return {"result": stop.value}
        except StepFailed as exc:
            # The message names the step; the canvas's handle raises that step's error.
            raise NonRetryableException(str(exc)) from None
        carried = {k: v for k, v in ctx.additional_metadata.items() if k in TRACE_KEYS}
        children = [_child(step, node["id"], carried) for step in steps]
        ended = await run_children(ctx, children)
        outcomes = [_outcome(step, end) for step, end in zip(steps, ended, strict=True)]


def _child(step: Step, canvas_id: str, carried: dict[str, str]) -> Child:
    """The step's run; ``carried``: the canvas's trace context (OpenTelemetry's), which its
    steps' runs carry too."""
    node = step.node
    if is_canvas(node):
        payload = dumps({"args": [node, step.head, canvas_id], "kwargs": {}})
        return Child(
            ORCHESTRATOR,
            ORCHESTRATOR_OPTIONS,
            payload,
            _metadata(node, canvas_id, carried),
            None,
            node["id"],
        )
    job = registry.get(node["job"])
    if job is None:
        raise NonRetryableException(
            f"The canvas's step {node['job']!r} is not a job of this project: no job is "
            f"registered under that name (registered: {', '.join(registry.names())})."
        )
    args, kwargs = step_arguments(node, step.head)
    priority = node.get("priority") or job.options.priority
    return Child(
        job.name,
        job.options,
        dumps({"args": args, "kwargs": kwargs}),
        _metadata(node, canvas_id, carried),
        int(priority) if priority is not None else None,
        node["id"],
        float(node.get("countdown") or 0),
    )


def _metadata(node: Node, canvas_id: str, carried: dict[str, str]) -> dict[str, str]:
    name = node["job"] if node["k"] == "job" else ORCHESTRATOR
    return {**run_metadata(node["id"], name, None), CANVAS_KEY: canvas_id, **carried}


def _outcome(step: Step, end: Ended) -> Outcome:
    node = step.node
    job = node["job"] if node["k"] == "job" else ORCHESTRATOR
    if end.output is not None:
        if "result" not in end.output:  # A cancelled child ends with no output.
            return Outcome(failure=Failure(job, node["id"], "JobCancelled", "it was cancelled"))
        return Outcome(end.output["result"])
    message = end.message or ""
    if is_canvas(node):
        inner = parse_failure(message)  # A nested canvas failed with its step's error.
        if inner is not None:
            return Outcome(failure=inner)
    return Outcome(failure=Failure(job, node["id"], end.exc_type or "Exception", message))
