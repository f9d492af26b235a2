"""The runs list and a run's page, read from wherever the runs are."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..conf import conf
from ..runs.metadata import CANVAS_KEY
from ..runs.rows import STATUSES, RunDetail, RunPage, RunQuery, RunRow
from .display import (
    as_json,
    call_text,
    duration,
    error_summary,
    scrub,
    short,
    short_id,
    user_traceback,
)
from .source import engine_mode, find_rows, list_runs, listed_jobs
from .source import progress as source_progress

if TYPE_CHECKING:
    from ..runs.progress import Progress

PER_PAGE = 25
#: The time ranges the runs list offers: the engine lists runs of one window at a time.
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=6, hours=23)}


def query_from(request: HttpRequest, object_label: str = "") -> tuple[RunQuery, dict[str, str]]:
    """The query in the request's GET parameters, and those parameters, cleaned."""
    get = request.GET
    job = get.get("job", "")
    status = get.get("status", "")
    window = get.get("since", "24h")
    if window not in RANGES:
        window = "24h"
    try:
        page = max(1, int(get.get("p", "1")))
    except ValueError:
        page = 1
    query = RunQuery(
        since=timezone.now() - RANGES[window],
        jobs=(job,) if job in listed_jobs() else (),
        statuses=(status,) if status in STATUSES else (),
        search=get.get("q", "").strip(),
        object=object_label,
        top_level=get.get("top") == "1",
        page=page,
        per_page=PER_PAGE,
    )
    params = {
        "job": job if query.jobs else "",
        "status": status if query.statuses else "",
        "since": window,
        "q": query.search,
        "top": "1" if query.top_level else "",
    }
    return query, params


def row_view(row: RunRow, progress: Progress | None = None) -> dict[str, Any]:
    """What a template shows of a run: every value redacted, never marked safe."""
    return {
        "row": row,
        "progress": progress_view(progress),
        # Its bar is refreshed while it runs (static/django_hatchet/live.js).
        "live": row.status == "RUNNING",
        "input": call_text(row.input),
        "output": short(row.output, 60) if row.output is not None else "",
        "error": error_summary(row.error) if row.status == "FAILED" else "",
        "duration": duration(row.duration_ms),
        "choice": f"{row.id} {row.engine_id or ''} {row.job}".strip(),
        "short_id": short_id(row.id),
        # A long dotted name may break after a dot, not inside a word.
        "job": format_html_join(
            mark_safe(".<wbr>"), "{}", ((part,) for part in row.job.split("."))
        ),
        "parent": row.parent,
        "parent_short": short_id(row.parent),
        # A canvas's step, or a run that a running job enqueued.
        "parent_kind": "step of" if row.metadata.get(CANVAS_KEY) else "enqueued by",
    }


def page_context(query: RunQuery) -> tuple[RunPage | None, str]:
    try:
        return list_runs(query), ""
    except Exception as exc:  # The engine does not answer: say so on the page.
        return None, scrub(f"{type(exc).__name__}: {exc}")


#: The runs list asks for the progress of at most this many running runs (a request each).
LIVE_LIMIT = 10


def page_rows(page: RunPage | None) -> list[dict[str, Any]]:
    """The rows of a page, each running one with its progress."""
    if page is None:
        return []
    running = [row for row in page.rows if row.status == "RUNNING"][:LIVE_LIMIT]
    try:
        reports = source_progress(running) if running else {}
    except Exception:  # The page shows the runs without their bars.
        reports = {}
    return [row_view(row, reports.get(row.id)) for row in page.rows]


def progress_view(progress: Progress | None) -> dict[str, Any] | None:
    """A progress report as the bar shows it; redacted like everything shown."""
    if progress is None:
        return None
    return {
        "done": progress.done,
        "total": progress.total,
        "percent": round(progress.percent, 1) if progress.percent is not None else None,
        "text": scrub(str(progress)),
        "updated_at": progress.updated_at.isoformat() if progress.updated_at else None,
    }


def live_state(run_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each run's status and progress, for the pages' refresh (``RunAdmin.progress_view``)."""
    rows = find_rows(run_ids)
    reports = source_progress(rows)
    return {
        row.id: {"status": row.status, "progress": progress_view(reports.get(row.id))}
        for row in rows
    }


def detail_view(detail: RunDetail) -> dict[str, Any]:
    run = detail.run
    error_type = error_message = traceback = ""
    if run.error:
        error_type, error_message, traceback = parse_error(run.error)
    own_frames, hidden = user_traceback(traceback)
    return {
        "run": run,
        "progress": progress_view(detail.progress),
        "live": not run.finished,
        "input": as_json(run.input),
        "output": as_json(run.output),
        "error_type": error_type,
        "error_message": scrub(error_message),
        "traceback": scrub(traceback),
        "user_traceback": scrub(own_frames),
        "hidden_frames": hidden,
        "duration": duration(run.duration_ms),
        "metadata": as_json(run.metadata),
        "logs": [{"line": line, "message": scrub(line.message)} for line in detail.logs],
        "attempts": [
            {"number": n, "what": what, "when": when, "message": scrub(message)}
            for n, what, when, message in detail.attempts
        ],
        "dashboard_url": dashboard_url(run),
        "graph": _graph(detail),
    }


def _graph(detail: RunDetail) -> str:
    """The SVG of the run's steps (a workflow's or a canvas's), or ""."""
    from .graph import svg_graph
    from .source import steps_of

    try:
        steps = steps_of(detail)
    except Exception:  # The engine did not answer about the steps: the rest still shows.
        return ""
    return svg_graph(steps) if steps else ""


def parse_error(text: str) -> tuple[str, str, str]:
    """(type, message, traceback) of the engine's error text, or of an inline error."""
    if engine_mode():
        from ..engine.runs import parse_error as parse

        try:
            return parse(text)
        except Exception:  # Not the SDK's format (e.g. a timeout the engine wrote).
            pass
    kind, _, rest = text.partition(": ")
    message, _, trace = rest.partition("\n")
    return kind, message, trace


def dashboard_url(run: RunRow) -> str:
    template = conf.DASHBOARD_URL
    if not template or run.engine_id is None:
        return ""
    tenant = ""
    if "{tenant_id}" in template:
        from ..engine import admin_api

        tenant = admin_api.tenant_id()
    return template.format(run_id=run.engine_id, tenant_id=tenant)
