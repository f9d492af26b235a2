"""Celery beat's periodic tasks, read from a setting and from django-celery-beat's table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .schedules import (
    CannotMap,
    Clocked,
    Interval,
    Schedule,
    Solar,
    Unknown,
    crontab_of,
    schedule_of,
)

DEFAULT_SETTING = "CELERY_BEAT_SCHEDULE"
SOURCES = ("settings", "db", "all")
DATABASE = "django-celery-beat's periodic tasks"

_SETTING_KEYS = frozenset({"task", "schedule", "args", "kwargs"})
#: PeriodicTask columns that change how Celery sends the task, and have no per-cron equivalent.
_ROW_OPTIONS = (
    "queue",
    "exchange",
    "routing_key",
    "headers",
    "priority",
    "expires",
    "expire_seconds",
    "start_time",
)
_PERIODIC_TASK: str = "django_celery_beat.PeriodicTask"  # Typed str: no lazy reference.


class BeatScheduleError(ValueError):
    """Celery beat's schedule cannot be read at all."""


@dataclass(frozen=True)
class BeatEntry:
    """One periodic task of Celery beat, from the setting or from a database row."""

    origin: str
    name: str
    task: object
    schedule: Schedule
    args: object = ()
    kwargs: object = field(default_factory=dict)
    enabled: bool = True
    #: Options that have no equivalent here, as ``key=value``.
    dropped: tuple[str, ...] = ()
    #: Why it cannot map, found while reading it.
    problem: str | None = None
    from_database: bool = False


def setting_entries(setting: str = DEFAULT_SETTING) -> list[BeatEntry] | None:
    """The periodic tasks of a ``CELERY_BEAT_SCHEDULE``-style setting; None if it is not set."""
    from django.conf import settings

    if not hasattr(settings, setting):
        return None
    value = getattr(settings, setting)
    if not isinstance(value, Mapping):
        raise BeatScheduleError(
            f"{setting} must be a dict of periodic tasks, not {type(value).__name__}."
        )
    return [_setting_entry(setting, str(name), entry) for name, entry in value.items()]


def _setting_entry(setting: str, name: str, entry: object) -> BeatEntry:
    origin = f"{setting}[{name!r}]"
    if not isinstance(entry, Mapping):
        why = f"it is a {type(entry).__name__}, not a dict"
        return BeatEntry(origin, name, None, Unknown("no schedule"), problem=why)
    options = entry.get("options", {})
    others = {k: v for k, v in entry.items() if k not in _SETTING_KEYS and k != "options"}
    if isinstance(options, Mapping):
        others.update(options)
    else:
        others["options"] = options
    args, kwargs = entry.get("args", ()), entry.get("kwargs", {})
    problem = None
    if "task" not in entry:
        problem = "it has no 'task'"
    elif not isinstance(args, (list, tuple)):
        problem = f"its args are a {type(args).__name__}, not a list or a tuple"
    elif not isinstance(kwargs, Mapping):
        problem = f"its kwargs are a {type(kwargs).__name__}, not a dict"
    return BeatEntry(
        origin,
        name,
        entry.get("task"),
        schedule_of(entry["schedule"]) if "schedule" in entry else Unknown("no schedule"),
        args,
        kwargs,
        dropped=tuple(f"{key}={value!r}" for key, value in others.items()),
        problem=problem,
    )


def database_installed() -> bool:
    """Return whether django-celery-beat is in INSTALLED_APPS."""
    from django.apps import apps

    return apps.is_installed("django_celery_beat")


def database_rows() -> list[Any]:
    """django-celery-beat's ``PeriodicTask`` rows, with their schedules, by name."""
    from django.apps import apps
    from django.db import DatabaseError

    model = apps.get_model(_PERIODIC_TASK)
    rows = model._default_manager.select_related("interval", "crontab", "solar", "clocked")
    try:
        return list(rows.order_by("name"))
    except DatabaseError as exc:
        raise BeatScheduleError(
            f"Could not read {DATABASE}: {exc} (has manage.py migrate run?)"
        ) from exc


def database_entries() -> list[BeatEntry]:
    """django-celery-beat's periodic tasks."""
    return [row_entry(row) for row in database_rows()]


def row_entry(row: Any) -> BeatEntry:
    """A ``PeriodicTask`` row (or any object with its attributes) as a periodic task."""
    name = str(row.name)
    schedule = _row_schedule(row)
    problem = None
    args = kwargs = None
    try:
        args = _json_column(row, "args", list, "[]")
        kwargs = _json_column(row, "kwargs", dict, "{}")
    except CannotMap as exc:
        problem = str(exc)
    if getattr(row, "one_off", False) and not isinstance(schedule, Clocked) and not problem:
        problem = (
            "it is a one-off task (one_off): Celery runs it once, then disables it; "
            "use job.apply_async(eta=...) instead"
        )
    dropped = []
    for column in _ROW_OPTIONS:
        value = getattr(row, column, None)
        if value not in (None, "", "{}", {}):
            dropped.append(f"{column}={value!r}")
    return BeatEntry(
        f"PeriodicTask {name!r}",
        name,
        row.task,
        schedule,
        args if args is not None else (),
        kwargs if kwargs is not None else {},
        enabled=bool(getattr(row, "enabled", True)),
        dropped=tuple(dropped),
        problem=problem,
        from_database=True,
    )


def _row_schedule(row: Any) -> Schedule:
    # In the order of PeriodicTask.scheduler.
    interval = getattr(row, "interval", None)
    if interval is not None:
        period, every = str(interval.period), interval.every
        try:
            return Interval(timedelta(**{period: every}))
        except TypeError:
            return Unknown(f"every {every} {period}")
    crontab = getattr(row, "crontab", None)
    if crontab is not None:
        zone = getattr(crontab, "timezone", None)
        return crontab_of(lambda name: getattr(crontab, name), zone)
    solar = getattr(row, "solar", None)
    if solar is not None:
        return Solar(solar.event, solar.latitude, solar.longitude)
    clocked = getattr(row, "clocked", None)
    if clocked is not None:
        return Clocked(clocked.clocked_time)
    return Unknown("no schedule")


def _json_column(row: Any, column: str, kind: type, empty: str) -> Any:
    text = getattr(row, column, None) or empty
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise CannotMap(f"its {column} are not valid JSON ({exc}): {text!r}") from None
    if not isinstance(value, kind):
        raise CannotMap(f"its {column} are a JSON {type(value).__name__}, not a {kind.__name__}")
    return value


@dataclass(frozen=True)
class Reading:
    """What was read, and from where."""

    entries: list[BeatEntry]
    sources: list[str]
    #: Sources that ``all`` found nothing in, and why.
    missing: list[str]


def read(source: str = "all", setting: str = DEFAULT_SETTING) -> Reading:
    """Read the periodic tasks of ``source``: 'settings', 'db' or 'all' that are available."""
    if source not in SOURCES:
        raise BeatScheduleError(f"Unknown source {source!r}: use one of {', '.join(SOURCES)}.")
    entries: list[BeatEntry] = []
    sources: list[str] = []
    missing: list[str] = []
    if source in ("settings", "all"):
        found = setting_entries(setting)
        if found is None:
            missing.append(f"the {setting} setting is not set")
        else:
            entries += found
            sources.append(setting)
    if source in ("db", "all"):
        if database_installed():
            entries += database_entries()
            sources.append(DATABASE)
        else:
            missing.append("django_celery_beat is not in INSTALLED_APPS")
    if not sources or (missing and source != "all"):
        raise BeatScheduleError(f"Nothing to read: {' and '.join(missing)}.")
    return Reading(entries, sources, missing)


def celery_timezone(setting: str = DEFAULT_SETTING) -> tuple[str, str]:
    """Celery's timezone, and the setting it comes from: ``<prefix>TIMEZONE``, then TIME_ZONE."""
    from django.conf import settings

    suffix = "BEAT_SCHEDULE"
    if setting.upper().endswith(suffix):
        prefix = setting[: -len(suffix)]
        name = prefix + ("timezone" if setting.endswith(suffix.lower()) else "TIMEZONE")
    else:
        name = "CELERY_TIMEZONE"
    for candidate in (name, "TIME_ZONE"):  # Celery falls back on Django's TIME_ZONE.
        zone = getattr(settings, candidate, None)
        if zone:
            return str(zone), candidate
    return "UTC", name
