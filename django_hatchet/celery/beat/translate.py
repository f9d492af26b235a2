"""Celery beat's periodic tasks as ``HATCHET_CRONS`` entries, with notes on what differs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...encoding import argument_error, dumps, round_trip
from ...jobs.registry import JobRegistry, registry
from ...options import NAME_CHARACTERS
from .expressions import crontab_expression, interval_expression
from .read import BeatEntry
from .schedules import CannotMap, Clocked, Crontab, Interval, Schedule, Solar

#: What the snippet puts as the schedule of a periodic task that cannot map.
TODO = "TODO"

_UTC = frozenset(
    {"utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "greenwich", "universal", "zulu", "z"}
    | {f"etc/{name}" for name in ("utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "greenwich")}
    | {"etc/universal", "etc/zulu"}
)
_NOT_NAME = re.compile(f"[^{NAME_CHARACTERS}]+")


@dataclass(frozen=True)
class ImportedCron:
    """A periodic task as a ``HATCHET_CRONS`` entry, or why it cannot be one."""

    name: str
    entry: BeatEntry
    #: The entry; its schedule is TODO when it cannot map.
    cron: dict[str, Any]
    notes: tuple[str, ...] = ()
    problem: str | None = None
    #: The periodic task of the setting that this row repeats; such a row is left out.
    duplicate_of: str | None = None

    @property
    def mapped(self) -> bool:
        return self.problem is None and self.duplicate_of is None


def translate(
    entries: Iterable[BeatEntry],
    timezone: tuple[str, str] = ("UTC", "CELERY_TIMEZONE"),
    jobs: JobRegistry = registry,
) -> list[ImportedCron]:
    """Each periodic task as a cron; ``timezone`` is Celery's, and the setting it comes from."""
    taken: set[str] = set()
    from_setting: dict[str, tuple[str, str]] = {}
    crons = []
    for entry in entries:
        if entry.from_database and entry.name in from_setting:
            # django-celery-beat copies the setting's periodic tasks into its table.
            origin, name = from_setting[entry.name]
            crons.append(ImportedCron(name, entry, {}, duplicate_of=origin))
            continue
        name = cron_name(entry.name, taken)
        if not entry.from_database:
            from_setting[entry.name] = (entry.origin, name)
        crons.append(_translate(name, entry, timezone, jobs))
    return crons


def cron_name(name: str, taken: set[str]) -> str:
    """A valid cron name for ``name``, not in ``taken`` (lowercase), which it is added to."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = _NOT_NAME.sub("-", ascii_name).strip("-") or "cron"
    candidate, number = base, 2
    while candidate.lower() in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate.lower())
    return candidate


def _translate(
    name: str, entry: BeatEntry, timezone: tuple[str, str], jobs: JobRegistry
) -> ImportedCron:
    notes: list[str] = []
    task = entry.task
    args = list(entry.args) if isinstance(entry.args, (list, tuple)) else []
    kwargs = dict(entry.kwargs) if isinstance(entry.kwargs, Mapping) else {}
    cron: dict[str, Any] = {"job": task if isinstance(task, str) else str(task), "schedule": TODO}
    problem = entry.problem
    try:
        if problem:
            raise CannotMap(problem)
        if not isinstance(task, str) or not task:
            raise CannotMap(f"its task {task!r} is not a task name")
        if task.startswith("celery."):
            raise CannotMap(
                f"{task} is one of Celery's own tasks; Hatchet keeps and expires its run "
                "history itself, so there is nothing to run"
            )
        try:
            dumps([args, kwargs])
        except (TypeError, ValueError):
            raise CannotMap(
                str(argument_error(task, None, [], {"args": args, "kwargs": kwargs}))
            ) from None
        args, kwargs = round_trip(args), round_trip(kwargs)
        cron["schedule"] = _schedule(entry.schedule, timezone, notes)
    except CannotMap as exc:
        problem = str(exc)
    if args:
        cron["args"] = args
    if kwargs:
        cron["kwargs"] = kwargs
    if not entry.enabled:
        cron["enabled"] = False
    if isinstance(task, str) and task and problem is None:
        notes.extend(_job_notes(task, args, kwargs, jobs))
    if entry.dropped:
        notes.append(
            f"Dropped Celery options, which have no per-cron equivalent: "
            f"{', '.join(entry.dropped)}. Set a queue or a priority on the job instead "
            "(@job(queue=..., priority=...))."
        )
    return ImportedCron(name, entry, cron, tuple(notes), problem)


def _job_notes(task: str, args: list[Any], kwargs: dict[str, Any], jobs: JobRegistry) -> list[str]:
    job = jobs.get(task)
    if job is None:
        last = task.rsplit(".", 1)[-1]
        similar = [n for n in jobs.names() if n.rsplit(".", 1)[-1] == last]
        note = (
            f"No registered job is named {task!r}: give the job that name "
            f'(@job(name="{task}")), or write the job\'s dotted path (module.function) here.'
        )
        if similar:
            note += f" Registered jobs with that function name: {', '.join(similar)}."
        return [note]
    try:
        job.signature.bind(*args, **kwargs)
    except TypeError as exc:
        return [f"{task} does not accept these args and kwargs: {exc}."]
    return []


def _schedule(schedule: Schedule, timezone: tuple[str, str], notes: list[str]) -> str:
    if isinstance(schedule, Crontab):
        expression = crontab_expression(schedule)
        zone, where = (
            (schedule.timezone, "the crontab's timezone") if schedule.timezone else timezone
        )
        if not _is_utc(zone):
            notes.append(
                f"Celery runs this crontab in {zone} time ({where}){_offsets(zone)}; Hatchet "
                "crons run in UTC: convert the schedule's times to UTC."
            )
        return expression
    if isinstance(schedule, Interval):
        expression = interval_expression(schedule.every)
        notes.append(
            f"Celery ran it {schedule.describe()} from when beat started; the cron fires "
            "on the UTC clock instead."
        )
        return expression
    if isinstance(schedule, Solar):
        raise CannotMap(
            "solar schedules have no cron equivalent: the time of a solar event changes every day"
        )
    if isinstance(schedule, Clocked):
        raise CannotMap("a clocked task is a one-off: use job.apply_async(eta=...)")
    raise CannotMap(f"{schedule.describe()} is not a schedule it knows")


def _is_utc(zone: str) -> bool:
    return zone.strip().lower() in _UTC


def _offsets(zone: str) -> str:
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    january, july = (
        _offset(datetime(2025, month, 15, 12, tzinfo=info).utcoffset()) for month in (1, 7)
    )
    if january == july:
        return f", UTC{january}"
    return (
        f", UTC{january} in January and UTC{july} in July (a UTC cron cannot follow daylight "
        "saving time)"
    )


def _offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
