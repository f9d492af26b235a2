"""Celery beat's schedules, as read from Celery's objects or django-celery-beat's rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

#: Celery's crontab arguments, in the order of a cron expression's fields.
CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


class CannotMap(Exception):
    """A periodic task has no ``HATCHET_CRONS`` equivalent; the message says why."""


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
            f"{name}={getattr(self, name)!r}"
            for name in CRONTAB_FIELDS
            if getattr(self, name) != "*"
        ]
        return f"crontab({', '.join(given)})"


@dataclass(frozen=True)
class Interval:
    """Every ``every``, counted from the previous run."""

    every: timedelta

    def describe(self) -> str:
        return f"every {describe_period(self.every)}"


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
    if all(f"_orig_{name}" in attributes for name in CRONTAB_FIELDS):  # celery.schedules.crontab
        zone = attributes.get("tz")  # Set by django-celery-beat's TzAwareCrontab.
        return crontab_of(lambda name: attributes[f"_orig_{name}"], zone)
    if isinstance(attributes.get("run_every"), timedelta):  # celery.schedules.schedule
        return Interval(attributes["run_every"])
    if all(name in attributes for name in ("event", "lat", "lon")):  # celery.schedules.solar
        return Solar(attributes["event"], attributes["lat"], attributes["lon"])
    if "clocked_time" in attributes:  # django_celery_beat.clockedschedule.clocked
        return Clocked(attributes["clocked_time"])
    return Unknown(f"a schedule of type {type(value).__name__}")


def crontab_of(get: Callable[[str], object], zone: object) -> Crontab:
    """Build a Crontab from its fields, by ``get(name)``, and its timezone (None: Celery's)."""
    return Crontab(
        minute=get("minute"),
        hour=get("hour"),
        day_of_month=get("day_of_month"),
        month_of_year=get("month_of_year"),
        day_of_week=get("day_of_week"),
        timezone=None if zone is None else str(zone),
    )


def describe_period(every: timedelta) -> str:
    """Write a period in the largest unit that counts it whole: '90 minutes', '2 days'."""
    micro = every // timedelta(microseconds=1)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if micro > 0 and micro % (size * 1_000_000) == 0:
            count = micro // (size * 1_000_000)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{every.total_seconds():g} seconds"
