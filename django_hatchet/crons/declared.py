"""``HATCHET_CRONS``: reading and validating the crons declared in settings.

Registering them with the engine is the worker's job (``sync``); here they are read and
checked, so that a mistake is reported by ``manage.py check`` rather than by the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from ..conf import conf, setting_error
from ..encoding import ALLOWED, argument_error, dumps, round_trip
from ..jobs.registry import JobRegistry, registry
from ..options import NAME_RE
from ..runs.metadata import SETTINGS_SOURCE
from .grammar import SCHEDULE_HINT, format_time, next_fire, schedule_error

KEYS = frozenset({"job", "schedule", "args", "kwargs", "enabled"})


@dataclass(frozen=True)
class Cron:
    """One cron: an entry of ``HATCHET_CRONS``, or a cron made in the admin."""

    name: str
    job: str
    schedule: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    #: ``"settings"`` or ``"database"`` (``django_hatchet.runs.metadata``).
    source: str = SETTINGS_SOURCE


@dataclass(frozen=True)
class Problem:
    """A mistake in ``HATCHET_CRONS``; ``id`` is the system check's id."""

    id: str
    msg: str
    hint: str
    cron: str


def cron_problems(value: object, jobs: JobRegistry = registry) -> list[Problem]:
    """Every mistake in a ``HATCHET_CRONS`` value, in the order of the entries."""
    if setting_error("HATCHET_CRONS", value):
        return []  # Reported as a setting of the wrong type (django_hatchet.E001).
    assert isinstance(value, dict)
    problems: list[Problem] = []
    for name, entry in value.items():
        problems.extend(_entry_problems(name, entry, jobs))
    return problems


def _entry_problems(name: object, entry: object, jobs: JobRegistry) -> Iterable[Problem]:
    label = repr(name)
    if not isinstance(name, str) or not NAME_RE.match(name):
        yield Problem(
            "django_hatchet.E002",
            f"HATCHET_CRONS: the cron name {label} is not valid.",
            "Name crons with letters, digits, '.', '_' and '-' only, e.g. 'nightly-report'.",
            label,
        )
    if not isinstance(entry, dict):
        yield Problem(
            "django_hatchet.E003",
            f"HATCHET_CRONS[{label}] must be a dict, not {type(entry).__name__}.",
            'Write {"job": "<job name>", "schedule": "<cron expression>"}, with optional '
            '"args", "kwargs" and "enabled".',
            label,
        )
        return
    shape = _shape_error(entry)
    if shape:
        yield Problem(
            "django_hatchet.E003",
            f"HATCHET_CRONS[{label}] {shape}.",
            'Each cron is {"job": str, "schedule": str, "args": list, "kwargs": dict, '
            '"enabled": bool}; only "job" and "schedule" are required.',
            label,
        )
        return
    if entry["job"] not in jobs:
        known = ", ".join(jobs.names()) or "none are registered"
        yield Problem(
            "django_hatchet.E004",
            f"HATCHET_CRONS[{label}] names the job {entry['job']!r}, which is not registered.",
            f"Use the name of a @job (known jobs: {known}); check that its module is "
            "autodiscovered (HATCHET_AUTODISCOVER_MODULES).",
            label,
        )
    else:
        try:
            jobs[entry["job"]].signature.bind(*entry.get("args", ()), **entry.get("kwargs", {}))
        except TypeError as exc:
            yield Problem(
                "django_hatchet.E007",
                f"HATCHET_CRONS[{label}] calls {entry['job']} with arguments it does not "
                f"accept: {exc}.",
                'Make the cron\'s "args" and "kwargs" match the job function\'s parameters.',
                label,
            )
    error = schedule_error(entry["schedule"])
    if error:
        yield Problem(
            "django_hatchet.E005",
            f"HATCHET_CRONS[{label}] has the schedule {entry['schedule']!r}, which Hatchet "
            f"would refuse: {error}.",
            SCHEDULE_HINT,
            label,
        )
    else:
        if next_fire(entry["schedule"]) is None:
            yield Problem(
                "django_hatchet.E010",
                f"HATCHET_CRONS[{label}] has the schedule {entry['schedule']!r}, which never "
                "fires (no such date comes in the next five years).",
                "Check the day of month against the month (e.g. there is no 30 February), "
                "or remove the cron.",
                label,
            )
    for key in ("args", "kwargs"):
        if key in entry:
            try:
                dumps(entry[key])
            except (TypeError, ValueError):
                bad = argument_error(f"HATCHET_CRONS[{label}]", None, [], {key: entry[key]})
                yield Problem(
                    "django_hatchet.E006",
                    str(bad),
                    f"Cron arguments must be JSON: {ALLOWED}.",
                    label,
                )


def _shape_error(entry: dict[Any, Any]) -> str | None:
    unknown = sorted(str(k) for k in entry.keys() - KEYS)
    if unknown:
        return f"has unknown keys: {', '.join(unknown)}"
    missing = [k for k in ("job", "schedule") if k not in entry]
    if missing:
        return f"is missing {' and '.join(repr(k) for k in missing)}"
    types: dict[str, tuple[type, ...]] = {
        "job": (str,),
        "schedule": (str,),
        "args": (list, tuple),
        "kwargs": (dict,),
        "enabled": (bool,),
    }
    for key, allowed in types.items():
        if key in entry and not isinstance(entry[key], allowed):
            want = " or ".join(t.__name__ for t in allowed)
            return f"has {key!r} of type {type(entry[key]).__name__}; it must be a {want}"
    return None


def load_crons(jobs: JobRegistry = registry) -> list[Cron]:
    """The crons of ``HATCHET_CRONS``; raise ImproperlyConfigured if any is wrong."""
    value = conf.CRONS
    problems = cron_problems(value, jobs)
    if problems:
        lines = "\n".join(f"- {p.msg} ({p.id}) {p.hint}" for p in problems)
        raise ImproperlyConfigured(f"HATCHET_CRONS has mistakes:\n{lines}")
    return [
        Cron(
            name=name,
            job=entry["job"],
            schedule=entry["schedule"].strip(),
            args=round_trip(list(entry.get("args", []))),
            kwargs=round_trip(entry.get("kwargs", {})),
            enabled=entry.get("enabled", True),
        )
        for name, entry in value.items()
    ]


def declared_names() -> set[str]:
    """Return the names of ``HATCHET_CRONS``, even when its entries have mistakes."""
    value = conf.CRONS
    return set(value) if isinstance(value, dict) else set()


def next_runs(crons: Iterable[Cron], after: datetime | None = None) -> dict[str, str]:
    """Cron name -> next fire time (ISO 8601, UTC) of the enabled crons that ever fire."""
    now = after if after is not None else datetime.now(timezone.utc)
    found = {c.name: next_fire(c.schedule, now) for c in crons if c.enabled}
    return {name: format_time(when) for name, when in found.items() if when is not None}
