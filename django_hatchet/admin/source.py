"""Where the admin reads runs from: the engine's REST API, or this process's inline runs.

Nothing is stored on the enqueue path: the engine's record of each run is read when a page
is shown (see docs/admin.md). In inline mode the admin can only show the runs this process
ran itself, kept in a small in-memory ring.
"""

from __future__ import annotations

from datetime import datetime

from ..jobs.registry import registry
from ..runs.history import inline_history
from ..runs.rows import EngineState, RunDetail, RunPage, RunQuery, RunRow, filter_rows, paginate


def engine_mode() -> bool:
    from ..conf import conf

    return not conf.INLINE


def list_runs(query: RunQuery) -> RunPage:
    if not engine_mode():
        return paginate(filter_rows(inline_history.rows(), query), query.page, query.per_page)
    from ..engine import admin_api

    return admin_api.list_runs(query, registry.names())


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
        for row in inline_history.rows():
            if row.id == run_id:
                return RunDetail(row)
        return None
    from ..engine import admin_api

    return admin_api.get_run(run_id)


def engine_state() -> EngineState:
    if not engine_mode():
        return EngineState(answers=False, error="No engine: jobs run inline.")
    from ..engine import admin_api

    return admin_api.engine_state()
