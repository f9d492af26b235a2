"""The cron expressions ``HATCHET_CRONS`` accepts: validating, parsing, next fire times.

One grammar, the subset of the engine's cron parser (robfig/cron v3, with optional seconds)
that this app accepts: the system checks validate schedules with it, and the sync computes
their next fire times with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

# The engine's cron parser (robfig/cron v3, with optional seconds) spells descriptors so.
DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
# (name, lowest, highest) of each field, as the engine's cron parser numbers them. The seconds
# field comes first, and only in an expression of 6 fields.
FIELDS = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
SCHEDULE_HINT = (
    "Use 5 fields (minute hour day-of-month month day-of-week), or 6 with leading seconds, "
    "each '*' or numbers with '*/', '-' and ',' (e.g. '*/15 * * * *', '0 3 * * 1-5'); "
    "or one of " + ", ".join(sorted(DESCRIPTORS)) + ". Names such as MON or JAN are not accepted."
)
YEARS_AHEAD = 5  # As the engine's parser: a schedule with no time in 5 years never fires.


# Validating -------------------------------------------------------------------------------


def schedule_error(schedule: str) -> str | None:
    """Return why the engine would refuse ``schedule``, or None if it would accept it."""
    text = schedule.strip()
    if text in DESCRIPTORS:
        return None
    parts = text.split()
    if len(parts) not in (5, 6):
        return f"it has {len(parts)} fields, not 5 or 6"
    for part, (what, low, high) in zip(parts, FIELDS[6 - len(parts) :], strict=True):
        error = _field_error(part, low, high)
        if error:
            return f"the {what} field {error}"
    return None


def _field_error(part: str, low: int, high: int) -> str | None:
    for item in part.split(","):
        if item == "*":
            continue
        where = repr(part) if item == part else f"{part!r} has {item!r}, which"
        if item.startswith("*/"):
            step = item[2:]
            if not step.isdigit() or int(step) == 0:
                return f"{where} has a step {step!r} that is not a whole number above 0"
            continue
        bounds = item.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            return f"{where} is not '*', a number, a range 'a-b' or a step '*/n'"
        numbers = [int(b) for b in bounds]
        if not all(low <= n <= high for n in numbers):
            return f"{where} is outside {low}-{high}"
        if numbers[0] > numbers[-1]:
            return f"{where} is a range that ends before it starts"
    return None


# Parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A parsed cron expression: the values each field allows, in UTC."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday.
    days_star: bool
    weekdays_star: bool

    def day_matches(self, when: datetime) -> bool:
        """robfig's rule: if day of month or day of week is '*', both must match; if both
        are restricted, either may."""
        in_month = when.day in self.days
        in_week = (when.isoweekday() % 7) in self.weekdays
        if self.days_star or self.weekdays_star:
            return in_month and in_week
        return in_month or in_week


def parse_schedule(expression: str) -> Schedule:
    """Parse a schedule in the syntax ``HATCHET_CRONS`` accepts; raise ValueError if wrong."""
    text = expression.strip()
    error = schedule_error(text)
    if error:
        raise ValueError(f"{expression!r} is not a valid schedule: {error}")
    parts = DESCRIPTORS.get(text, text).split()
    if len(parts) == 5:
        parts = ["0", *parts]
    fields = [
        _parse_field(part, low, high) for part, (_, low, high) in zip(parts, FIELDS, strict=True)
    ]
    return Schedule(
        seconds=fields[0][0],
        minutes=fields[1][0],
        hours=fields[2][0],
        days=fields[3][0],
        months=fields[4][0],
        weekdays=fields[5][0],
        days_star=fields[3][1],
        weekdays_star=fields[5][1],
    )


def _parse_field(part: str, low: int, high: int) -> tuple[frozenset[int], bool]:
    """(values, star): star as robfig sets it, for '*' with no step above 1."""
    values: set[int] = set()
    star = False
    for item in part.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            start, end = low, high
            star = star or step == 1
        elif "-" in span:
            first, last = span.split("-")
            start, end = int(first), int(last)
        else:
            start = end = int(span)
            if step_text:  # "n/step" means "n-max/step" (not accepted by our checks).
                end = high
        values.update(range(start, end + 1, step))
    return frozenset(values), star


# Next fire times --------------------------------------------------------------------------


def next_fire(expression: str, after: datetime | None = None) -> datetime | None:
    """The first time after ``after`` (default: now) that ``expression`` fires, in UTC;
    None if it never fires within five years (e.g. '0 0 30 2 *')."""
    schedule = parse_schedule(expression)
    now = after if after is not None else datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("next_fire() needs an aware datetime")
    t = now.astimezone(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    last_year = t.year + YEARS_AHEAD
    while t.year <= last_year:
        if t.month not in schedule.months:
            year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
            t = t.replace(year=year, month=month, day=1, hour=0, minute=0, second=0)
        elif not schedule.day_matches(t):
            t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
        elif t.hour not in schedule.hours:
            t = t.replace(minute=0, second=0) + timedelta(hours=1)
        elif t.minute not in schedule.minutes:
            t = t.replace(second=0) + timedelta(minutes=1)
        elif t.second not in schedule.seconds:
            t += timedelta(seconds=1)
        else:
            return t
    return None


def format_time(when: datetime) -> str:
    """Write ``when`` as ISO 8601 in UTC, to the second."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
