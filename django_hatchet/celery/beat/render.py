"""The ``HATCHET_CRONS`` snippet that ``manage.py hatchet_import_celery_beat`` prints."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from typing import Any

from .read import Reading
from .translate import ImportedCron

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
