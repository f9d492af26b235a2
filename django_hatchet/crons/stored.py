"""The crons made in the admin (``django_hatchet.models.Cron``): checking a row, and applying
the rows to the engine.

The rows go through the plan of ``HATCHET_CRONS`` (``sync``) with ``source="database"``: the
engine's copy of a row carries the source in its metadata, so the settings' sync never
touches it, and this one never touches theirs. A row is applied:

- after every save or delete through the model (the admin's, the ORM's), once the
  transaction commits, by the process that saved it (the app's signal receivers call
  ``sync_after_commit``);
- by every running worker, every ``HATCHET_CRON_SYNC_INTERVAL`` (``django_hatchet.worker
  .cron_watch``): this catches a change made while the engine was down, or with
  ``QuerySet.update()``, which sends no signal.

Each row records the outcome: ``applied_at`` when the engine matched it, ``sync_error`` when
it could not be applied (the engine down, a job gone from the code).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from ..conf import conf
from ..encoding import ALLOWED, dumps, round_trip
from ..exceptions import ArgumentsRefused
from ..jobs.registry import JobRegistry, registry
from ..models import Cron as CronRow
from ..options import NAME_RE
from ..runs.metadata import DATABASE_SOURCE
from .declared import Cron, declared_names
from .grammar import SCHEDULE_HINT, next_fire, schedule_error

if TYPE_CHECKING:
    from .sync import CronPlan

logger = logging.getLogger("django_hatchet.crons")


def row_problems(
    name: str,
    job: str,
    schedule: str,
    args: object,
    kwargs: object,
    jobs: JobRegistry = registry,
) -> dict[str, str]:
    """What is wrong with a cron made in the admin, by field (empty when nothing is): the
    checks of ``HATCHET_CRONS``, worded for a form."""
    problems: dict[str, str] = {}
    if not NAME_RE.match(name):
        problems["name"] = (
            "Use letters, digits, '.', '_' and '-' only, starting with a letter or digit, "
            "e.g. nightly-report."
        )
    elif name in declared_names():
        problems["name"] = (
            f"HATCHET_CRONS has a cron named {name!r} (the settings own it): choose another name."
        )
    error = schedule_error(schedule)
    if error:
        problems["schedule"] = f"Hatchet would refuse this schedule: {error}. {SCHEDULE_HINT}"
    elif next_fire(schedule) is None:
        problems["schedule"] = (
            "This schedule never fires (no such date comes in the next five years): check the "
            "day of month against the month."
        )
    if not isinstance(args, list):
        problems["args"] = 'Write the positional arguments as a JSON list, e.g. [1, "a"].'
    if not isinstance(kwargs, dict):
        problems["kwargs"] = 'Write the keyword arguments as a JSON object, e.g. {"limit": 10}.'
    if "args" in problems or "kwargs" in problems:
        return problems
    assert isinstance(args, list)
    assert isinstance(kwargs, dict)
    try:
        dumps({"args": args, "kwargs": kwargs})
    except (TypeError, ValueError) as exc:
        problems["kwargs"] = f"The arguments must be JSON ({ALLOWED}): {exc}"
    if job not in jobs:
        known = ", ".join(jobs.names()) or "none are registered"
        problems["job"] = (
            f"No job named {job!r} is registered (known jobs: {known}). Was it removed from "
            "the code, or is its module not autodiscovered (HATCHET_AUTODISCOVER_MODULES)?"
        )
    else:
        try:
            jobs[job].validate_arguments(args, kwargs)
        except ArgumentsRefused as exc:
            where = "kwargs" if "keyword argument" in exc.reason else "args"
            problems[where] = (
                f"{job} cannot take these arguments: {exc.reason}. "
                f"Its parameters: {exc.parameters}."
            )
    return problems


def as_cron(row: CronRow) -> Cron:
    return Cron(
        name=row.name,
        job=row.job,
        schedule=row.schedule.strip(),
        args=round_trip(list(row.args)),
        kwargs=round_trip(dict(row.kwargs)),
        enabled=row.enabled,
        source=DATABASE_SOURCE,
    )


def load_stored(jobs: JobRegistry = registry) -> tuple[list[Cron], dict[str, str]]:
    """The rows that can go to the engine, as crons; and, by name, why the others cannot (a
    row whose job is gone from the code, or one saved with mistakes by the ORM). The engine
    keeps its copy of those as it is."""
    crons: list[Cron] = []
    refused: dict[str, str] = {}
    for row in CronRow.objects.all():
        problems = row_problems(row.name, row.job, row.schedule, row.args, row.kwargs, jobs)
        if problems:
            refused[row.name] = " ".join(f"{field}: {text}" for field, text in problems.items())
        else:
            crons.append(as_cron(row))
    return crons, refused


def orphans(jobs: JobRegistry = registry) -> list[CronRow]:
    """The rows whose job is not registered (removed from the code, or not discovered)."""
    return [row for row in CronRow.objects.all() if row.job not in jobs]


def sync_stored() -> CronPlan:
    """Make the engine's crons of the database those of the rows; record the outcome on
    them. Raise ``EngineError`` if the engine cannot be reached (the rows say so too)."""
    from ..engine.client import EngineError
    from . import sync

    read: dict[str, Any] = {}

    def rows() -> tuple[list[Cron], list[str]]:
        read["at"] = timezone.now()
        crons, refused = load_stored()
        read["refused"] = refused
        return crons, list(refused)

    try:
        plan = sync.plan_crons(rows, source=DATABASE_SOURCE)
        sync.apply(plan)
    except EngineError as exc:
        _record_failure(str(exc))
        raise
    _record_success(read["at"], read["refused"])
    plan.refused = read["refused"]
    return plan


def _record_success(read_at: datetime, refused: dict[str, str]) -> None:
    now = timezone.now()
    CronRow.objects.filter(updated_at__lte=read_at).exclude(name__in=refused).update(
        applied_at=now, sync_error=""
    )
    for name, reason in refused.items():
        CronRow.objects.filter(name=name).update(sync_error=reason)


def _record_failure(error: str) -> None:
    pending = [row.pk for row in CronRow.objects.all() if not row.applied]
    CronRow.objects.filter(pk__in=pending).update(sync_error=error)


def sync_quietly() -> str | None:
    """Apply the rows now; return why it failed (logged; the rows say it too), or None.
    Nothing raises: the rows are saved whatever the engine answers."""
    if conf.INLINE:
        return None
    from ..engine.client import EngineError  # Not inline: the SDK is for the engine only.

    try:
        sync_stored()
    except Exception as exc:
        if not isinstance(exc, (EngineError, DatabaseError)):  # Unforeseen: keep the trace.
            logger.exception("Applying the crons made in the admin failed")
            _record_failure(f"{type(exc).__name__}: {exc}")
        logger.warning(
            "The crons saved in the database could not be applied to the Hatchet engine: "
            "%s. A running worker applies them within %s s of the engine's return.",
            exc,
            int(conf.CRON_SYNC_INTERVAL.total_seconds()),
        )
        return str(exc)
    return None


def sync_after_commit(using: str) -> None:
    """Apply the rows once the current transaction commits (at once outside one)."""
    transaction.on_commit(sync_quietly, using=using)
