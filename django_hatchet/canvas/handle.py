"""The handle of a canvas run: a ``JobRun`` of the orchestrator, with its steps' handles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..exceptions import JobFailed
from ..runs.handle import JobRun, RunStatus
from .plan import ORCHESTRATOR, Node, children, describe, is_canvas, parse_failure

if TYPE_CHECKING:
    from ..backends.base import BaseBackend


class CanvasRun(JobRun[Any]):
    """A chain, group or chord that was applied: its ``id``, ``status`` and result
    (``get()``: a chain's last step's, a group's list, a chord's callback's), and
    ``children``, the handles of its steps in order (each a ``JobRun``, or a ``CanvasRun``
    for a nested canvas). ``cancel()`` cancels the canvas and every step still going."""

    __slots__ = ("__weakref__", "children", "node", "signatures")

    def __init__(self, node: Node, backend: BaseBackend, children: list[JobRun[Any]]) -> None:
        super().__init__(node["id"], ORCHESTRATOR, backend)
        #: The canvas as its run carries it (``canvas.plan``).
        self.node = node
        #: The handles of its steps (a group's members; a chord's header and callback).
        self.children = children
        #: Inline: the signatures of its job steps, by run id (the root's only).
        self.signatures: dict[str, Any] = {}

    @property
    def shape(self) -> str:
        """``chain(orders.price, orders.bill)``."""
        return describe(self.node)

    @property
    def results(self) -> list[JobRun[Any]]:
        """Celery's ``GroupResult.results``: the handles of the steps."""
        return self.children

    def __repr__(self) -> str:
        return f"<CanvasRun {self.shape} {self.id} {self.known_status.value}>"

    def finished(
        self,
        status: RunStatus,
        result: Any = None,
        error: BaseException | None = None,
        skipped: str | None = None,
    ) -> None:
        # On the engine the canvas run fails with the message of the step that failed:
        # the handle raises that step's error, with its job name and run id.
        if isinstance(error, JobFailed) and error.job_name == ORCHESTRATOR:
            failure = parse_failure(error.exc_message)
            if failure is not None:
                error = JobFailed(
                    failure.describe(),
                    exc_type=failure.exc_type,
                    exc_message=failure.message,
                    traceback="",
                    run_id=failure.run_id,
                    job_name=failure.job,
                )
        super().finished(status, result, error, skipped)
        if status is not RunStatus.COMPLETED and not self.backend.inline:
            self._end_unstarted(error)

    def _end_unstarted(self, error: BaseException | None) -> None:
        """The steps the engine never started (those after a failed step of a chain, or all
        the steps still to come of a cancelled canvas) end CANCELLED, saying why: their
        handles would otherwise wait for runs that will never exist."""
        why = f"did not run: {error}" if error is not None else "did not run."
        for run in all_runs(self).values():
            if run is self or run.known_status.is_finished:
                continue
            run.refresh()
            if (
                run.known_status is RunStatus.QUEUED
                and run.engine_run_id is None
                and run.schedule_id is None
            ):
                run.cancelled(why)

    def cancel(self) -> None:
        """Cancel the canvas, and every step of it that is queued or running."""
        going = not self.known_status.is_finished
        super().cancel()
        if going and not self.backend.inline:
            self.backend.cancel_tree(self)

    async def acancel(self) -> None:
        going = not self.known_status.is_finished
        await super().acancel()
        if going and not self.backend.inline:
            await self.backend.acancel_tree(self)


def build_handle(
    node: Node, backend: BaseBackend, signatures: dict[str, Any] | None = None
) -> CanvasRun:
    """The handle of a canvas node and of each of its steps, recursively."""

    def handle(child: Node) -> JobRun[Any]:
        if is_canvas(child):
            return build_handle(child, backend)
        return JobRun(child["id"], child["job"], backend)

    run = CanvasRun(node, backend, [handle(child) for child in children(node)])
    if signatures is not None:
        run.signatures = signatures
    return run


def all_runs(run: CanvasRun) -> dict[str, JobRun[Any]]:
    """Every handle under ``run`` (itself included), by run id."""
    found: dict[str, JobRun[Any]] = {run.id: run}
    for child in run.children:
        if isinstance(child, CanvasRun):
            found.update(all_runs(child))
        else:
            found[child.id] = child
    return found


def adopt(run: JobRun[Any]) -> CanvasRun:
    """The canvas handle of a run of the orchestrator found by its id (``get_run``)."""
    call = run.backend.run_input(run)
    node: Node = call["args"][0]
    canvas = build_handle(node, run.backend)
    canvas.engine_run_id = run.engine_run_id
    canvas.refresh()
    return canvas
