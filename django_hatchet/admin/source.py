"""Where the admin reads runs from: the engine's REST API, or this process's inline runs.

Nothing is stored on the enqueue path: the engine's record of each run is read when a page
is shown (see docs/admin.md). In inline mode the admin can only show the runs this process
ran itself, kept in a small in-memory ring.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..jobs.registry import registry
from ..runs.history import inline_history
from ..runs.rows import (
    EngineState,
    RunDetail,
    RunPage,
    RunQuery,
    RunRow,
    StepNode,
    filter_rows,
    paginate,
)

if TYPE_CHECKING:
    from ..runs.progress import Progress


def engine_mode() -> bool:
    from ..conf import conf

    return not conf.INLINE


def listed_jobs() -> list[str]:
    """The jobs whose runs the runs list shows: every registered job, and the canvases'."""
    from ..canvas.plan import ORCHESTRATOR

    return [*registry.names(), ORCHESTRATOR]


def list_runs(query: RunQuery) -> RunPage:
    if not engine_mode():
        return paginate(filter_rows(inline_history.rows(), query), query.page, query.per_page)
    from ..engine import admin_api

    return admin_api.list_runs(query, listed_jobs())


def recent_runs(since: datetime, limit: int = 1000) -> tuple[list[RunRow], bool]:
    """The runs of the registered jobs since ``since``, newest first, without payloads;
    and whether there were more than ``limit``."""
    if not engine_mode():
        rows = [r for r in inline_history.rows() if r.created_at and r.created_at >= since]
        return rows, False
    from ..engine import admin_api

    return admin_api.recent_runs(since, limit, registry.names())


def get_run(run_id: str) -> RunDetail | None:
    if not engine_mode():
        from ..runs.progress import inline_progress

        for row in inline_history.rows():
            if row.id == run_id:
                return RunDetail(row, progress=inline_progress.get(run_id))
        return None
    from ..engine import admin_api

    return admin_api.get_run(run_id)


def progress(rows: list[RunRow]) -> dict[str, Progress | None]:
    """The latest progress report of each of these runs (asks the engine for each)."""
    if not engine_mode():
        from ..runs.progress import inline_progress

        return {row.id: inline_progress.get(row.id) for row in rows}
    from ..engine import admin_api

    return admin_api.progress(rows)


def find_rows(run_ids: list[str]) -> list[RunRow]:
    """The runs with these ids, as the list shows them (those found)."""
    if not engine_mode():
        wanted = set(run_ids)
        return [row for row in inline_history.rows() if row.id in wanted]
    from ..engine import admin_api

    return [row for row in map(admin_api.find, run_ids) if row is not None]


def engine_state() -> EngineState:
    if not engine_mode():
        return EngineState(answers=False, error="No engine: jobs run inline.")
    from ..engine import admin_api

    return admin_api.engine_state()


def steps_of(detail: RunDetail) -> list[StepNode]:
    """The steps of a workflow's or a canvas's run, for its graph (none for a job's run)."""
    if detail.steps:  # A workflow's run on the engine: the engine's shape of it.
        return detail.steps
    from ..canvas.plan import ORCHESTRATOR

    run = detail.run
    if run.job == ORCHESTRATOR:
        return _canvas_steps(run)
    if not engine_mode():
        return _inline_workflow_steps(run)
    return []


def _canvas_steps(run: RunRow) -> list[StepNode]:
    from .graph import canvas_ids, canvas_steps

    if engine_mode():
        call = run.input if isinstance(run.input, dict) else {}
        plan = (call.get("args") or [None])[0]
        if not isinstance(plan, dict):
            return []
        from ..engine import admin_api
        from ..runs.ids import CLOCK_SKEW, run_id_time

        since = run_id_time(run.id) - CLOCK_SKEW
        rows = admin_api.step_runs(canvas_ids(plan), since)
    else:
        from ..canvas.handle import CanvasRun, all_runs

        handle = inline_history.handle(run.id)
        if not isinstance(handle, CanvasRun):
            return []
        plan = handle.node
        # The steps it ran, with their times; the others as their handles say (CANCELLED).
        ran = {row.id: row for row in inline_history.rows()}
        rows = [
            ran.get(step.id) or RunRow(step.id, None, step.job_name, str(step.known_status), None)
            for step in all_runs(handle).values()
        ]
    return canvas_steps(plan, {row.id: row for row in rows})


def _inline_workflow_steps(run: RunRow) -> list[StepNode]:
    """An inline workflow's steps: those in its result completed; inline keeps no more."""
    from ..jobs.workflow import Workflow

    workflow = registry.get(run.job)
    if not isinstance(workflow, Workflow) or not workflow.steps:
        return []
    done = run.output if isinstance(run.output, dict) else {}
    return [
        StepNode(
            key=step.step_name,
            label=step.step_name,
            status="COMPLETED" if step.step_name in done else "",
            parents=step.parents,
        )
        for step in workflow.ordered_steps()
    ]
