"""The overview page: mode, engine and workers, jobs, crons, and the last 24 hours."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ..conf import conf
from ..jobs.job import Job
from ..jobs.registry import registry
from ..runs.metadata import DATABASE_SOURCE
from ..runs.rows import STATUSES, EngineState, RunRow
from .display import call_text, duration, scrub
from .source import engine_state, recent_runs
from .stats import COLOURS, buckets, job_stats, svg_chart

#: The overview counts at most this many runs of the last 24 hours.
RECENT_LIMIT = 2000


@dataclass(frozen=True)
class Mode:
    name: str  # inline, embedded, engine
    label: str
    detail: str


def token_host(token: str | None) -> str:
    """The gRPC address a Hatchet token names (its claims are not secret; the token is)."""
    if not token or token.count(".") != 2:
        return ""
    claims = token.split(".")[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    except ValueError:
        return ""
    return str(data.get("grpc_broadcast_address", "")) if isinstance(data, dict) else ""


def current_mode() -> Mode:
    if conf.INLINE:
        why = (
            "HATCHET_ALWAYS_INLINE is set"
            if conf.ALWAYS_INLINE
            else "no Hatchet token is configured"
        )
        return Mode("inline", "inline", f"Jobs run in the process that enqueues them ({why}).")
    host = conf.CLIENT_OPTIONS.get("host_port") or token_host(conf.CLIENT_TOKEN) or "?"
    if conf.TOKEN_SOURCE == "embedded":
        return Mode("embedded", f"embedded at {host}", "The engine runworker --embedded started.")
    return Mode("engine", f"engine at {host}", f"Token from the {conf.TOKEN_SOURCE}.")


def job_options(job: Job[Any, Any]) -> list[tuple[str, str]]:
    """The options of a job worth showing, as (name, value)."""
    o = job.options
    shown: list[tuple[str, str]] = [
        ("retries", str(o.retries)),
        ("timeout", _seconds(o.timeout or conf.DEFAULT_TIMEOUT)),
    ]
    if o.schedule_timeout:
        shown.append(("schedule timeout", _seconds(o.schedule_timeout)))
    if o.backoff_factor:
        shown.append(
            ("backoff", f"factor {o.backoff_factor:g}, max {o.backoff_max_seconds or '-'} s")
        )
    if o.priority:
        shown.append(("priority", o.priority.name))
    if o.concurrency:
        c = o.concurrency
        shown.append(("concurrency", f"{c.max_runs} per {c.key} ({c.strategy})"))
    if o.rate_limits:
        shown.append(("rate limits", ", ".join(f"{k} ({u})" for k, u in o.rate_limits)))
    if o.queue:
        shown.append(("queue", o.queue))
    if o.on_events:
        shown.append(("events", ", ".join(o.on_events)))
    if o.idempotency:
        shown.append(("idempotency", f"{o.idempotency.key} for {o.idempotency.ttl}"))
    if job.is_async:
        shown.append(("async", "yes"))
    return shown


def _seconds(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def cron_rows() -> tuple[dict[str, list[dict[str, Any]]], str]:
    """Crons by job (those of the settings, then those made in the admin), with their next
    fire time; and an error if HATCHET_CRONS is wrong."""
    from django.db import DatabaseError

    from ..crons import load_crons, next_fire
    from ..crons.stored import as_cron
    from ..models import Cron

    error = ""
    try:
        crons = load_crons()
    except ImproperlyConfigured as exc:
        crons, error = [], str(exc)
    try:
        rows = list(Cron.objects.all())
    except DatabaseError:  # Before migrate.
        rows = []
    stored = {row.name: row.pk for row in rows}
    crons += [as_cron(row) for row in rows]
    by_job: dict[str, list[dict[str, Any]]] = {}
    for cron in crons:
        by_job.setdefault(cron.job, []).append(
            {
                "name": cron.name,
                "schedule": cron.schedule,
                "enabled": cron.enabled,
                # A datetime: the template shows it in the admin's date format and time zone.
                "next": next_fire(cron.schedule) if cron.enabled else None,
                "call": call_text({"args": cron.args, "kwargs": cron.kwargs}),
                "url": (
                    reverse("admin:django_hatchet_cron_change", args=[stored[cron.name]])
                    if cron.source == DATABASE_SOURCE
                    else ""
                ),
            }
        )
    return by_job, error


def context() -> dict[str, Any]:
    """Everything the overview template shows."""
    mode = current_mode()
    now = timezone.now()
    state = engine_state() if mode.name != "inline" else EngineState(answers=False)
    error = ""
    rows: list[RunRow] = []
    truncated = False
    if mode.name == "inline" or state.answers:
        try:
            rows, truncated = recent_runs(now - timedelta(hours=24), RECENT_LIMIT)
        except Exception as exc:  # The engine stopped answering between the two calls.
            error = scrub(f"{type(exc).__name__}: {exc}")
    per_job = job_stats(rows, registry.names())
    crons, cron_error = cron_rows()
    jobs = [
        {
            "job": job,
            # A long dotted name may break after a dot, not inside a word.
            "name": format_html_join(
                mark_safe(".<wbr>"), "{}", ((part,) for part in job.name.split("."))
            ),
            "options": job_options(job),
            "crons": crons.get(job.name, []),
            "stats": per_job[job.name],
            "p50": duration(per_job[job.name].p50),
            "p95": duration(per_job[job.name].p95),
        }
        for job in registry
    ]
    return {
        "mode": mode,
        "state": state,
        "state_error": scrub(state.error),
        "runs_error": error,
        "jobs": jobs,
        "statuses": STATUSES,
        "colours": COLOURS,
        "cron_error": cron_error,
        "chart": svg_chart(buckets(rows, now)),
        "total": len(rows),
        "truncated": truncated,
        "recent_limit": RECENT_LIMIT,
        "outbox": outbox_waiting() if mode.name != "inline" else 0,
    }


def outbox_waiting() -> int:
    """How many runs wait in the outbox for the engine."""
    from ..models import OutboxEntry

    waiting: int = OutboxEntry.objects.count()
    return waiting
