"""Celery beat's schedules as cron expressions, in the grammar Hatchet's crons accept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from ...crons.grammar import FIELDS, schedule_error
from .schedules import CRONTAB_FIELDS, CannotMap, Crontab, describe_period

#: A step such as '5-55/10' becomes a comma list; longer lists are left to a person.
MAX_LISTED = 24
WALL_CLOCK = "Hatchet crons are wall-clock schedules, not intervals"

_WEEKDAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_MONTHS = {
    name: i
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]


#: Celery's crontab arguments, in the order of a cron expression's fields, with the bounds of
#: Hatchet's cron fields (Celery's are the same) and the names Celery reads.
_FIELDS = tuple(
    _Field(name, low, high, names)
    for name, (_, low, high), names in zip(
        CRONTAB_FIELDS, FIELDS[1:], ({}, {}, {}, _MONTHS, _WEEKDAYS), strict=True
    )
)


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
        raise CannotMap(
            f"{WALL_CLOCK}, and {describe_period(every)} is not a whole number of seconds"
        )
    seconds = micro // 1_000_000
    for size, unit, one_unit, above, count_above, template in _UNITS:
        if seconds < size * count_above:
            if seconds % size:
                raise CannotMap(
                    f"{WALL_CLOCK}: {describe_period(every)} is more than {one_unit} but not a "
                    f"whole number of {unit}s"
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
    why = f"{WALL_CLOCK}: {describe_period(every)} is neither a day nor a week, nor divides a day"
    if seconds % 86400 == 0:
        why += f". '0 0 */{seconds // 86400} * *' would start again on the 1st of each month"
    raise CannotMap(why)
