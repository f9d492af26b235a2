"""Finding runs: ``find_runs()``, ``runs_about()`` and ``Job.runs()``, with async twins.

The engine is asked each time (it keeps the runs; nothing is copied into the database), with
the query the admin's runs list makes (``runs.rows.RunQuery``). Each run found is a handle,
as ``.delay()`` returns, in the state the engine listed it in; ``summary`` has what the list
said (times, attempts, arguments). Inline (no engine), the runs are those this process ran,
the last ``inline_history.size`` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import models
from django.utils import timezone

from ..backends import get_backend
from ..runs.handle import JobRun, RunStatus
from ..runs.metadata import object_label
from .registry import registry

if TYPE_CHECKING:
    from ..runs.rows import RunQuery, RunRow
    from .job import Job

#: The statuses a query can ask for: the engine's.
STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
#: At most this many runs a request (the engine's own limit is higher; a page is a page).
MAX_LIMIT = 1000
#: How far back a query looks when ``since`` is not given.
DEFAULT_SINCE = timedelta(days=1)


class RunList(list[JobRun[Any]]):
    """A page of runs, newest first: a list of handles. ``has_more`` says whether older runs
    match too; ``next_page()`` (``anext_page()``) asks for them."""

    def __init__(self, runs: Iterable[JobRun[Any]], query: RunQuery, has_more: bool) -> None:
        super().__init__(runs)
        self.query = query
        self.has_more = has_more

    def next_page(self) -> RunList:
        """The next page of the same query (empty when there is none)."""
        from dataclasses import replace

        if not self.has_more:
            return RunList([], self.query, False)
        return run_query(replace(self.query, offset=self.query.start + self.query.per_page))

    async def anext_page(self) -> RunList:
        return await sync_to_async(self.next_page, thread_sensitive=False)()


def find_runs(
    job: Job[Any, Any] | str | Iterable[Job[Any, Any] | str] | None = None,
    *,
    status: str | Iterable[str] | None = None,
    since: datetime | timedelta | None = None,
    until: datetime | None = None,
    about: models.Model | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RunList:
    """The runs of ``job`` (a job, its name, or several; every registered job by default),
    newest first, created since ``since`` (a datetime, or a timedelta back from now; a day
    by default), with one of the ``status``\\es, about the model instance ``about``
    (``@about``): at most ``limit``, after skipping ``offset``."""
    return run_query(
        build_query(
            "find_runs()",
            job,
            status=status,
            since=since,
            until=until,
            about=about,
            limit=limit,
            offset=offset,
        )
    )


async def afind_runs(
    job: Job[Any, Any] | str | Iterable[Job[Any, Any] | str] | None = None,
    *,
    status: str | Iterable[str] | None = None,
    since: datetime | timedelta | None = None,
    until: datetime | None = None,
    about: models.Model | None = None,
    limit: int = 50,
    offset: int = 0,
) -> RunList:
    """``find_runs()`` for async code."""
    query = build_query(
        "afind_runs()",
        job,
        status=status,
        since=since,
        until=until,
        about=about,
        limit=limit,
        offset=offset,
    )
    return await sync_to_async(run_query, thread_sensitive=False)(query)


def runs_about(obj: models.Model, **filters: Any) -> RunList:
    """The runs about the model instance ``obj`` (of the jobs declared with ``@about``),
    newest first; ``filters`` as ``find_runs()`` takes them (``job``, ``status``...)."""
    if not isinstance(obj, models.Model):
        raise TypeError(
            f"runs_about() takes a model instance (the object the runs are about), not "
            f"{type(obj).__name__}."
        )
    return find_runs(about=obj, **filters)


async def aruns_about(obj: models.Model, **filters: Any) -> RunList:
    """``runs_about()`` for async code."""
    if not isinstance(obj, models.Model):
        raise TypeError(
            f"aruns_about() takes a model instance (the object the runs are about), not "
            f"{type(obj).__name__}."
        )
    return await afind_runs(about=obj, **filters)


# The query, checked -----------------------------------------------------------------------


def build_query(
    where: str,
    job: Any,
    *,
    status: Any,
    since: Any,
    until: Any,
    about: Any,
    limit: Any,
    offset: Any,
) -> RunQuery:
    from ..runs.rows import RunQuery

    now = timezone.now()
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"{where}: limit must be an int from 1 to {MAX_LIMIT}, not {limit!r}.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"{where}: offset must be an int, 0 or more, not {offset!r}.")
    if about is not None and not isinstance(about, models.Model):
        raise TypeError(
            f"{where}: about must be a model instance (the object the runs are about), not "
            f"{type(about).__name__}."
        )
    return RunQuery(
        since=_since(where, since, now),
        until=_aware(where, "until", until) if until is not None else None,
        jobs=_job_names(where, job),
        statuses=_statuses(where, status),
        object=object_label(about) if about is not None else "",
        per_page=limit,
        offset=offset,
        with_workers=False,
    )


def _since(where: str, since: Any, now: datetime) -> datetime:
    if since is None:
        return now - DEFAULT_SINCE
    if isinstance(since, timedelta):
        if since <= timedelta(0):
            raise ValueError(
                f"{where}: since={since!r} must be a positive timedelta (how far back)."
            )
        return now - since
    return _aware(where, "since", since)


def _aware(where: str, name: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(
            f"{where}: {name} must be a datetime{' or a timedelta' if name == 'since' else ''}, "
            f"not {type(value).__name__}."
        )
    if timezone.is_naive(value):
        raise ValueError(
            f"{where}: {name}={value!r} has no time zone. Give an aware datetime, such as "
            "timezone.now() - timedelta(hours=1)"
            + (", or a timedelta: since=timedelta(hours=1)." if name == "since" else ".")
        )
    return value


def _job_names(where: str, job: Any) -> tuple[str, ...]:
    from ..canvas.plan import ORCHESTRATOR

    if job is None:
        return ()
    one = isinstance(job, str) or not isinstance(job, Iterable) or _registered(job)
    given = [job] if one else list(job)
    names = []
    for item in given:
        if _registered(item):
            names.append(item.name)
        elif isinstance(item, str):
            if item not in registry and item != ORCHESTRATOR:
                known = ", ".join(registry.names()) or "none are registered"
                raise ValueError(
                    f"{where}: no job is registered as {item!r} (registered jobs: {known})."
                )
            names.append(item)
        else:
            raise TypeError(
                f"{where}: job must be a job, a job's name, or a list of them, not "
                f"{type(item).__name__}."
            )
    return tuple(names)


def _registered(item: Any) -> bool:
    """Is ``item`` a job of the registry (a ``Job``, without importing its module)?"""
    return registry.get(getattr(item, "name", None) or "") is item


def _statuses(where: str, status: Any) -> tuple[str, ...]:
    if status is None:
        return ()
    given = [status] if isinstance(status, str) else list(status)
    for value in given:
        if not isinstance(value, str) or str(value) not in STATUSES:
            hint = ""
            if str(value) in ("PENDING", "SCHEDULED"):
                hint = (
                    f" A {value} run is not on the engine's list yet: look it up by its id "
                    "(get_run()) or in the outbox."
                )
            elif str(value) in ("SUCCESS", "FAILURE", "STARTED", "REVOKED"):
                hint = " That is Celery's word: use COMPLETED, FAILED, RUNNING or CANCELLED."
            raise ValueError(
                f"{where}: status {value!r} is not one of {', '.join(STATUSES)}.{hint}"
            )
    return tuple(str(RunStatus(str(value))) for value in given)


# Asking -------------------------------------------------------------------------------------


def run_query(query: RunQuery) -> RunList:
    """Ask for one more run than the page holds: if it comes, there are more."""
    from dataclasses import replace

    backend = get_backend()
    asked = replace(query, per_page=query.per_page + 1)
    handles = _inline(asked) if backend.inline else _engine(asked, backend)
    return RunList(handles[: query.per_page], query, len(handles) > query.per_page)


def _engine(query: RunQuery, backend: Any) -> list[JobRun[Any]]:
    from ..canvas.plan import ORCHESTRATOR
    from ..engine import admin_api

    rows = admin_api.list_runs(query, query.jobs or (*registry.names(), ORCHESTRATOR)).rows
    found = []
    for row in rows:
        if row.job != ORCHESTRATOR and not _is_workflow(row.job):
            found.append(backend.listed(row))  # A job's run: as listed, no more requests.
            continue
        run: JobRun[Any] = JobRun(row.id, row.job, backend)  # A canvas's or a workflow's.
        run.engine_run_id = row.engine_id
        handle = typed(run)
        handle.summary = row
        found.append(handle)
    return found


def _inline(query: RunQuery) -> list[JobRun[Any]]:
    from dataclasses import replace

    from ..runs.history import inline_history
    from ..runs.rows import filter_rows

    rows = [_with_object(row) for row in inline_history.rows()]
    rows = filter_rows(rows, replace(query, search=""))
    page = rows[query.start : query.start + query.per_page]
    found = []
    for row in page:
        handle = inline_history.handle(row.id)
        if handle is not None:
            handle.summary = row
            found.append(handle)
    return found


def _with_object(row: RunRow) -> RunRow:
    """An inline row, with the object its run is about (``@about``)."""
    from dataclasses import replace

    job = registry.get(row.job)
    call = row.input if isinstance(row.input, dict) else {}
    if job is None or row.object:
        return row
    label = job.label_for(call.get("args", ()), call.get("kwargs", {}))
    return replace(row, object=label) if label else row


def typed(run: JobRun[Any]) -> JobRun[Any]:
    """The handle a run of a canvas or of a workflow has (refreshed); a job's run as it is."""
    from ..canvas.plan import ORCHESTRATOR

    if run.job_name == ORCHESTRATOR:  # A canvas: its handle has its steps'.
        from ..canvas.handle import adopt

        return adopt(run)
    if _is_workflow(run.job_name):  # Its result: every step's, by step name.
        found: JobRun[Any] = registry[run.job_name].handle_class(run.id, run.job_name, run.backend)
        found.engine_run_id = run.engine_run_id
        found.refresh()
        return found
    return run


def _is_workflow(name: str) -> bool:
    """Is ``name`` a workflow's (a job with steps on the engine; ``jobs.workflow``)?"""
    job = registry.get(name)
    return job is not None and bool(job.engine_steps)
