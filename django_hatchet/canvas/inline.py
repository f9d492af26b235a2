"""Running a canvas in this process (inline mode), step after step, with the same JSON
round trip and the same failure semantics as on the engine."""

from __future__ import annotations

import weakref
from typing import Any

from ..backends.base import Dispatch
from ..encoding import dumps
from ..runs.handle import RunStatus
from .handle import CanvasRun, all_runs
from .plan import ORCHESTRATOR, ORCHESTRATOR_OPTIONS, Failure, Node, Outcome, Step, StepFailed, walk

#: The canvas runs applied in this process and not finished, by id: an inline run finds its
#: steps' signatures and handles here.
_live: weakref.WeakValueDictionary[str, CanvasRun] = weakref.WeakValueDictionary()


def run_inline(node: Node, head: list[Any], root_id: str) -> Any:
    """Run a canvas node here: each step in turn (a group's members one after the other);
    return its result, or raise the exception of the first step that failed."""
    root = _live.get(root_id)
    if root is None:
        raise RuntimeError(
            f"Canvas run {root_id} is not known to this process: an inline canvas runs in the "
            "process that applied it, while its handle is alive."
        )
    runs = all_runs(root)
    walking = walk(node, head)
    outcomes: list[Outcome] | None = None
    while True:
        failed: StepFailed | None = None
        try:
            steps = walking.send(outcomes)  # type: ignore[arg-type]
        except StopIteration as stop:
            return stop.value
        except StepFailed as exc:
            failed = exc
        if failed is not None:
            if node["id"] == root_id:
                _not_run(runs, failed.failure)
            # The step's own exception, raised outside the handler: its cause stays its own.
            raise failed.failure.error or failed
        outcomes = [_run_step(step, root, runs, root_id) for step in steps]


def _run_step(step: Step, root: CanvasRun, runs: dict[str, Any], root_id: str) -> Outcome:
    node = step.node
    run = runs[node["id"]]
    # Steps run where the canvas runs (a captured canvas that a test runs: inline).
    if run.backend is not root.backend:
        run.hand_to(root.backend)
    if node["k"] == "job":
        signature = root.signatures[node["id"]]
        args = list(node["args"]) if node["immutable"] else [*step.head, *node["args"]]
        payload = dumps({"args": args, "kwargs": node["kwargs"]})
        job = signature.job
        root.backend.dispatch(Dispatch(job, run, payload, None, job.options.priority))
    else:
        payload = dumps({"args": [node, step.head, root_id], "kwargs": {}})
        root.backend.dispatch(Dispatch(CANVAS_JOB, run, payload))
    if run.error is not None:
        error = run.error
        job_name = node["job"] if node["k"] == "job" else ORCHESTRATOR
        return Outcome(failure=Failure(job_name, run.id, type(error).__name__, str(error), error))
    return Outcome(run.result)


def _not_run(runs: dict[str, Any], failure: Failure) -> None:
    """The steps that a failure left unstarted end CANCELLED, saying why."""
    for run in runs.values():
        if run.known_status is RunStatus.QUEUED:
            run.cancelled(f"did not run: {failure.describe()}")


class CanvasJob:
    """The orchestrator, as a backend sees a job: on an engine, runs of it are sent to the
    durable task the workers register (``worker.canvas``); inline, it is ``run_inline``."""

    def __init__(self) -> None:
        self.name = ORCHESTRATOR
        self.options = ORCHESTRATOR_OPTIONS

    is_async = False
    takes_context = False
    logs_failures = False
    engine_steps = ()
    func = staticmethod(run_inline)

    def new_context(self, run_id: str) -> Any:
        raise TypeError("The canvas orchestrator takes no context.")

    def object_label(self, payload: str) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"<CanvasJob {self.name}>"


CANVAS_JOB = CanvasJob()


def remember(run: CanvasRun) -> None:
    """Keep the handle findable by ``run_inline`` while it is alive."""
    _live[run.id] = run
