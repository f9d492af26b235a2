"""Celery beat's periodic tasks, translated into ``HATCHET_CRONS`` entries.

They are read from a setting (``CELERY_BEAT_SCHEDULE``) and from django-celery-beat's
``PeriodicTask`` rows. Neither Celery nor django-celery-beat is imported: their schedules are
read by the attributes they carry, so this works without them.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import encoding
from .crons.grammar import FIELDS as CRON_FIELDS
from .crons.grammar import schedule_error
from .job_registry import JobRegistry, registry

DEFAULT_SETTING = "CELERY_BEAT_SCHEDULE"
SOURCES = ("settings", "db", "all")
#: A step such as '5-55/10' becomes a comma list; longer lists are left to a person.
MAX_LISTED = 24
#: What the snippet puts as the schedule of a periodic task that cannot map.
TODO = "TODO"
WALL_CLOCK = "Hatchet crons are wall-clock schedules, not intervals"
DATABASE = "django-celery-beat's periodic tasks"

_WEEKDAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_MONTHS = {
    name: i
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_UTC = frozenset(
    {"utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "greenwich", "universal", "zulu", "z"}
    | {f"etc/{name}" for name in ("utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "greenwich")}
    | {"etc/universal", "etc/zulu"}
)
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
_NOT_NAME = re.compile(r"[^a-zA-Z0-9._-]+")


class BeatScheduleError(ValueError):
    """Celery beat's schedule cannot be read at all."""


class CannotMap(Exception):
    """A periodic task has no ``HATCHET_CRONS`` equivalent; the message says why."""


# Schedules, as read from Celery's objects or django-celery-beat's rows -----------------------


@dataclass(frozen=True)
class Crontab:
    """A crontab, by its fields as Celery was given them; ``timezone`` None is Celery's own."""

    minute: object = "*"
    hour: object = "*"
    day_of_month: object = "*"
    month_of_year: object = "*"
    day_of_week: object = "*"
    timezone: str | None = None

    def describe(self) -> str:
        given = [
            f"{spec.name}={getattr(self, spec.name)!r}"
            for spec in _FIELDS
            if getattr(self, spec.name) != "*"
        ]
        return f"crontab({', '.join(given)})"


@dataclass(frozen=True)
class Interval:
    """Every ``every``, counted from the previous run."""

    every: timedelta

    def describe(self) -> str:
        return f"every {_period(self.every)}"


@dataclass(frozen=True)
class Solar:
    """At a solar event (sunrise, dusk...) seen from a place."""

    event: object
    latitude: object
    longitude: object

    def describe(self) -> str:
        return f"solar({self.event!r}, {self.latitude}, {self.longitude})"


@dataclass(frozen=True)
class Clocked:
    """Once, at ``time``."""

    time: object

    def describe(self) -> str:
        return f"clocked, once at {self.time}"


@dataclass(frozen=True)
class Unknown:
    """A schedule this module does not know."""

    what: str

    def describe(self) -> str:
        return self.what


Schedule = Crontab | Interval | Solar | Clocked | Unknown


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]


#: Celery's crontab arguments, in the order of a 5-field cron expression's fields, with the
#: bounds of the cron grammar.
_FIELDS = tuple(
    _Field(name, low, high, names)
    for (name, names), (_, low, high) in zip(
        (
            ("minute", {}),
            ("hour", {}),
            ("day_of_month", {}),
            ("month_of_year", _MONTHS),
            ("day_of_week", _WEEKDAYS),
        ),
        CRON_FIELDS[1:],  # No seconds.
        strict=True,
    )
)


def schedule_of(value: object) -> Schedule:
    """Read a schedule of ``CELERY_BEAT_SCHEDULE``: a Celery schedule, timedelta or seconds."""
    if isinstance(value, bool):
        return Unknown(f"{value!r}, which is not a schedule")
    if isinstance(value, (int, float)):
        try:
            return Interval(timedelta(seconds=value))
        except (OverflowError, ValueError):
            return Unknown(f"every {value!r} seconds")
    if isinstance(value, timedelta):
        return Interval(value)
    attributes = getattr(value, "__dict__", {})
    if all(f"_orig_{spec.name}" in attributes for spec in _FIELDS):  # celery.schedules.crontab
        zone = attributes.get("tz")  # Set by django-celery-beat's TzAwareCrontab.
        return _crontab(lambda name: attributes[f"_orig_{name}"], zone)
    if isinstance(attributes.get("run_every"), timedelta):  # celery.schedules.schedule
        return Interval(attributes["run_every"])
    if all(name in attributes for name in ("event", "lat", "lon")):  # celery.schedules.solar
        return Solar(attributes["event"], attributes["lat"], attributes["lon"])
    if "clocked_time" in attributes:  # django_celery_beat.clockedschedule.clocked
        return Clocked(attributes["clocked_time"])
    return Unknown(f"a schedule of type {type(value).__name__}")


def _crontab(get: Callable[[str], object], zone: object) -> Crontab:
    return Crontab(
        minute=get("minute"),
        hour=get("hour"),
        day_of_month=get("day_of_month"),
        month_of_year=get("month_of_year"),
        day_of_week=get("day_of_week"),
        timezone=None if zone is None else str(zone),
    )


# Periodic tasks ------------------------------------------------------------------------------


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
        return _crontab(lambda name: getattr(crontab, name), zone)
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


# Translation ---------------------------------------------------------------------------------


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
            encoding.dumps([args, kwargs])
        except (TypeError, ValueError):
            raise CannotMap(
                str(encoding.argument_error(task, None, [], {"args": args, "kwargs": kwargs}))
            ) from None
        args, kwargs = encoding.round_trip(args), encoding.round_trip(kwargs)
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


def crontab_expression(crontab: Crontab) -> str:
    """The 5-field cron expression of a crontab; raise CannotMap if Hatchet has none."""
    parts = [_cron_field(getattr(crontab, spec.name), spec) for spec in _FIELDS]
    if parts[2] != "*" and parts[4] != "*":
        raise CannotMap(
            "it restricts both the day of month and the day of week: Celery runs it on days "
            "that match both, Hatchet (as cron does) on days that match either"
        )
    expression = " ".join(parts)
    error = schedule_error(expression)
    if error:  # Not expected: every field is checked above.
        raise CannotMap(f"Hatchet would refuse {expression!r}: {error}")
    return expression


def _cron_field(value: object, spec: _Field) -> str:
    full = set(range(spec.low, spec.high + 1))
    if isinstance(value, bool):
        raise CannotMap(f"its {spec.name} {value!r} is not a crontab field")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        items = [_cron_item(item.strip().lower(), spec) for item in value.split(",")]
        values: set[int] = set()
        for _, numbers in items:
            values |= numbers
        return "*" if values == full else ",".join(text for text, _ in items)
    if isinstance(value, Iterable):
        listed = [_number(str(n), spec) for n in value]
        return "*" if set(listed) == full else _listed(listed)
    raise CannotMap(f"its {spec.name} {value!r} is not a crontab field")


def _cron_item(item: str, spec: _Field) -> tuple[str, set[int]]:
    """One comma-separated item of a field, as Hatchet writes it, and the values it stands for."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CannotMap(f"its {spec.name} {item!r} has a step that is not a number above 0")
        step = int(step_text)
    if base == "*":
        values = list(range(spec.low, spec.high + 1))[::step]
        return ("*" if step == 1 else f"*/{step}"), set(values)
    start, dash, end = base.partition("-")
    first = _number(start, spec)
    if dash:
        last = _number(end, spec)
        if first <= last:
            values = list(range(first, last + 1))
        else:  # Celery wraps around: 'fri-mon' is Friday to Monday.
            values = list(range(first, spec.high + 1)) + list(range(spec.low, last + 1))
    elif slash:  # 'a/n' counts from a to the end of the field, as cron does.
        values = list(range(first, spec.high + 1))
    else:
        values = [first]
    values = values[::step]
    text = _listed(values)
    if text.count(",") >= MAX_LISTED:
        raise CannotMap(
            f"its {spec.name} {item!r} would be a list of {text.count(',') + 1} values "
            "(Hatchet has no 'a-b/n' steps, only '*/n')"
        )
    return text, set(values)


def _number(text: str, spec: _Field) -> int:
    if text.isdigit():
        number = int(text)
    elif spec.names and len(text) >= 3 and text[:3] in spec.names:  # As Celery reads names.
        number = spec.names[text[:3]]
    else:
        kind = "a number or a name" if spec.names else "a number"
        raise CannotMap(f"its {spec.name} has {text!r}, which is not {kind}")
    if not spec.low <= number <= spec.high:
        raise CannotMap(f"its {spec.name} has {number}, which is outside {spec.low}-{spec.high}")
    return number


def _listed(values: Iterable[int]) -> str:
    """Numbers as a comma list, with runs of three or more as ranges: '0-5,10,20'."""
    runs: list[list[int]] = []
    for number in sorted(set(values)):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ",".join(
        f"{run[0]}-{run[-1]}" if len(run) > 2 else ",".join(map(str, run)) for run in runs
    )


#: (seconds in the unit, its name, with an article, the unit above, its size, a cron of every n)
_UNITS = (
    (1, "second", "a second", "a minute", 60, "{} * * * * *"),
    (60, "minute", "a minute", "an hour", 60, "{} * * * *"),
    (3600, "hour", "an hour", "a day", 24, "0 {} * * *"),
)


def interval_expression(every: timedelta) -> str:
    """A cron that fires every ``every``; raise CannotMap unless it divides a cron field."""
    micro = every // timedelta(microseconds=1)
    if micro <= 0:
        raise CannotMap(f"{WALL_CLOCK}, and {every} is not a period above 0")
    if micro % 1_000_000:
        raise CannotMap(f"{WALL_CLOCK}, and {_period(every)} is not a whole number of seconds")
    seconds = micro // 1_000_000
    for size, unit, one_unit, above, count_above, template in _UNITS:
        if seconds < size * count_above:
            if seconds % size:
                raise CannotMap(
                    f"{WALL_CLOCK}: {_period(every)} is more than {one_unit} but not a whole "
                    f"number of {unit}s"
                )
            count = seconds // size
            gap = count_above % count
            if gap:
                near = template.format(f"*/{count}")
                raise CannotMap(
                    f"{WALL_CLOCK}: {count} {unit}s do not divide {above}. '{near}' would fire "
                    f"every {count} {unit}s within each {above.split()[-1]}, then {gap} {unit}"
                    f"{'s' if gap != 1 else ''} after the last one"
                )
            return template.format("*" if count == 1 else f"*/{count}")
    if seconds == 86400:
        return "0 0 * * *"
    if seconds == 7 * 86400:
        return "0 0 * * 0"
    why = f"{WALL_CLOCK}: {_period(every)} is neither a day nor a week, nor divides a day"
    if seconds % 86400 == 0:
        why += f". '0 0 */{seconds // 86400} * *' would start again on the 1st of each month"
    raise CannotMap(why)


def _period(every: timedelta) -> str:
    micro = every // timedelta(microseconds=1)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if micro > 0 and micro % (size * 1_000_000) == 0:
            count = micro // (size * 1_000_000)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{every.total_seconds():g} seconds"


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


# The snippet ---------------------------------------------------------------------------------

_WIDTH = 99


def render(crons: Iterable[ImportedCron], sources: Iterable[str]) -> str:
    """The ``HATCHET_CRONS = {...}`` snippet: Python, with the notes as comments."""
    lines = [
        *_comment(
            f"HATCHET_CRONS from {' and '.join(sources)}, by manage.py "
            "hatchet_import_celery_beat. Hatchet crons run in UTC. Periodic tasks that "
            "cannot map are commented out, with the reason. Check the result with manage.py "
            "check.",
            "",
        ),
        "HATCHET_CRONS = {",
    ]
    for cron in crons:
        lines += _comment(f"{cron.entry.origin}: {cron.entry.schedule.describe()}")
        if cron.duplicate_of is not None:
            lines += _comment(
                f"Left out: it repeats {cron.duplicate_of}, above (django-celery-beat copies "
                "the setting into its table)."
            )
            continue
        for note in cron.notes:
            lines += _comment(f"Note: {note}")
        entry = [f"    {_flat(cron.name)}: {{"]
        entry += [
            f"        {_flat(key)}: {_literal(value, 8)}," for key, value in cron.cron.items()
        ]
        entry.append("    },")
        if cron.problem is not None:
            lines += _comment(f"Cannot map: {cron.problem}.")
            entry = ["    # " + line[4:] for line in entry]
        lines += entry
    lines.append("}")
    return "\n".join(lines) + "\n"


def _comment(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(
        text,
        width=_WIDTH,
        initial_indent=f"{indent}# ",
        subsequent_indent=f"{indent}#   ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _literal(value: Any, indent: int) -> str:
    """``value`` as a Python literal, over several lines when it is long."""
    flat = _flat(value)
    if indent + len(flat) < _WIDTH - 10 or not isinstance(value, (list, dict)) or not value:
        return flat
    inner = " " * (indent + 4)
    if isinstance(value, list):
        items = [_literal(item, indent + 4) for item in value]
        opening, closing = "[", "]"
    else:
        items = [f"{_flat(key)}: {_literal(item, indent + 4)}" for key, item in value.items()]
        opening, closing = "{", "}"
    return opening + "\n" + "".join(f"{inner}{item},\n" for item in items) + " " * indent + closing


def _flat(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_flat(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    return repr(value)  # bool, None, int, float: as Python writes them.


def summary(crons: list[ImportedCron], reading: Reading) -> list[str]:
    """What was read and what maps, for the command's stderr."""
    mapped = [c for c in crons if c.mapped]
    failed = [c for c in crons if c.problem is not None]
    repeated = [c for c in crons if c.duplicate_of is not None]
    noted = [c for c in mapped if c.notes]
    lines = [
        f"Read {_count(len(crons), 'periodic task')} from {' and '.join(reading.sources)}: "
        f"{len(mapped)} map to crons, {len(failed)} cannot (commented out)"
        + (f", {len(repeated)} left out as repeats of the setting" if repeated else "")
        + "."
    ]
    lines += [f"Not read: {why}." for why in reading.missing]
    if failed:
        lines.append("Cannot map:")
        lines += [f"- {c.entry.origin}: {c.problem}." for c in failed]
    if noted:
        lines.append(
            f"Read the notes on {_count(len(noted), 'cron')} "
            f"({', '.join(c.name for c in noted)}): times, options or job names to check."
        )
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
