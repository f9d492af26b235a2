"""Applying ``HATCHET_CRONS`` to the engine: create, update and delete our crons only.

``plan_crons()`` compares the crons of the settings with the ones on the engine and writes
nothing; ``apply()`` carries the plan out; ``sync_crons()`` does both, at every worker start
and in ``manage.py hatchet_crons --apply``.

A cron is ours when its additional metadata carries ``OWNER_KEY`` (the cron's name in
``HATCHET_CRONS``) and ``NAMESPACE_KEY`` (the client's namespace); crons created any other
way are never touched. The cron's name on the engine is its name with a digest of what the
engine's ticker keeps in memory (input, metadata, priority): the ticker knows a cron by
(workflow version, expression, name) and keeps firing the input it first saw under that
key, so replacing a cron under the same name and expression would go on running the old
arguments until the engine restarts. A new digest is a new key.

Everything here can run in several processes at once (workers starting together): a create
that finds the cron already made, and a delete or update of a cron already gone, count as
done.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .conf import conf
from .crons import Cron, schedule_error
from .jobs.registry import registry

#: Additional metadata of the crons this app owns (and of the runs they start).
OWNER_KEY = "django_hatchet_cron"
NAMESPACE_KEY = "django_hatchet_namespace"

PAGE_SIZE = 500  # The engine lists 50 crons a page unless told otherwise.
ALREADY_EXISTS = "already exists"
WORKFLOW_NOT_FOUND = "workflow not found"


# Next fire times --------------------------------------------------------------------------

# The engine's cron parser (robfig/cron v3, with optional seconds) spells descriptors so.
DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
BOUNDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
YEARS_AHEAD = 5  # As the engine's parser: a schedule with no time in 5 years never fires.


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
        _parse_field(part, low, high) for part, (low, high) in zip(parts, BOUNDS, strict=True)
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
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_runs(crons: Iterable[Cron], after: datetime | None = None) -> dict[str, str]:
    """Cron name -> next fire time (ISO 8601, UTC) of the enabled crons that ever fire."""
    now = after if after is not None else datetime.now(timezone.utc)
    found = {c.name: next_fire(c.schedule, now) for c in crons if c.enabled}
    return {name: format_time(when) for name, when in found.items() if when is not None}


# The plan ---------------------------------------------------------------------------------


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class EngineCron:
    """A cron on the engine that this app owns."""

    id: str
    name: str  # Its name in HATCHET_CRONS (the owner tag).
    engine_name: str
    job: str
    schedule: str
    args: list[Any]
    kwargs: dict[str, Any]
    enabled: bool
    priority: int | None


@dataclass(frozen=True)
class CronChange:
    """What applying the plan does to one cron: ``create`` a cron on the engine, ``delete``
    these ids, then set ``enabled`` on the kept ones (id, enabled)."""

    name: str
    action: Action
    cron: Cron | None
    current: tuple[EngineCron, ...] = ()
    create: bool = False
    delete: tuple[str, ...] = ()
    enable: tuple[tuple[str, bool], ...] = ()

    @property
    def writes(self) -> int:
        disable_new = self.create and self.cron is not None and not self.cron.enabled
        return int(self.create) + int(disable_new) + len(self.delete) + len(self.enable)

    def describe(self) -> str:
        """One line for people: what changes, and how."""
        cron = self.cron
        if cron is None:
            return f"delete {self.name} ({_summary(self.current[0])})"
        if self.action is Action.CREATE:
            state = "" if cron.enabled else ", disabled"
            return f"create {self.name} ({_summary(cron)}{state})"
        if self.action is Action.UNCHANGED:
            return f"unchanged {self.name}"
        before = self.current[0]
        differences = [
            f"{what} {old!r} -> {new!r}"
            for what, old, new in (
                ("job", before.job, cron.job),
                ("schedule", before.schedule, cron.schedule),
                ("args", before.args, cron.args),
                ("kwargs", before.kwargs, cron.kwargs),
                ("enabled", before.enabled, cron.enabled),
                ("priority", before.priority, cron_priority(cron)),
            )
            if old != new
        ]
        if len(self.current) > 1:
            differences.append(f"{len(self.current) - 1} extra copies removed")
        return f"update {self.name}: " + ("; ".join(differences) or "recreated")


@dataclass
class CronPlan:
    """The changes that make the engine's crons those of the settings."""

    changes: list[CronChange] = field(default_factory=list)
    next_runs: dict[str, str] = field(default_factory=dict)
    namespace: str = ""

    @property
    def writes(self) -> int:
        return sum(change.writes for change in self.changes)

    def pending(self) -> list[CronChange]:
        return [c for c in self.changes if c.action is not Action.UNCHANGED]


def _summary(cron: Cron | EngineCron) -> str:
    arguments = [repr(a) for a in cron.args] + [f"{k}={v!r}" for k, v in cron.kwargs.items()]
    return f"{cron.job}({', '.join(arguments)}) at {cron.schedule!r}"


def cron_priority(cron: Cron) -> int:
    """The job's priority (@job(priority=...)); the engine gives a cron 1 by default."""
    job = registry.get(cron.job)
    priority = job.options.priority if job is not None else None
    return int(priority) if priority is not None else 1


def cron_input(cron: Cron) -> dict[str, Any]:
    """The run input of a cron: the job's arguments, as every run of the job gets them."""
    return {"args": cron.args, "kwargs": cron.kwargs}


def cron_metadata(cron: Cron, namespace: str) -> dict[str, str]:
    from .engine import JOB_KEY

    return {OWNER_KEY: cron.name, NAMESPACE_KEY: namespace, JOB_KEY: cron.job}


def engine_name(cron: Cron, namespace: str) -> str:
    """The cron's name on the engine: its name, and a digest of what the ticker keeps."""
    content = {
        "input": cron_input(cron),
        "metadata": cron_metadata(cron, namespace),
        "priority": cron_priority(cron),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return f"{cron.name}-{digest[:8]}"


def diff(
    crons: Iterable[Cron],
    owned: Iterable[EngineCron],
    namespace: str,
    keep: Iterable[str] = (),
) -> list[CronChange]:
    """The changes from the ``owned`` crons on the engine to ``crons``.

    An owned cron named neither in ``crons`` nor in ``keep`` is deleted; one named in ``keep``
    only is left as it is (a worker running some of the jobs applies only their crons).
    """
    wanted = list(crons)
    by_name: dict[str, list[EngineCron]] = {}
    for row in owned:
        by_name.setdefault(row.name, []).append(row)
    changes = [_change(cron, tuple(by_name.get(cron.name, ())), namespace) for cron in wanted]
    spared = {c.name for c in wanted} | set(keep)
    for name, rows in by_name.items():
        if name not in spared:
            changes.append(
                CronChange(name, Action.DELETE, None, tuple(rows), delete=tuple(r.id for r in rows))
            )
    return changes


def _change(cron: Cron, rows: tuple[EngineCron, ...], namespace: str) -> CronChange:
    name = engine_name(cron, namespace)
    kept = next(
        (
            r
            for r in rows
            if r.engine_name == name and r.job == cron.job and r.schedule == cron.schedule
        ),
        None,
    )
    delete = tuple(r.id for r in rows if r is not kept)
    enable = ((kept.id, cron.enabled),) if kept is not None and kept.enabled != cron.enabled else ()
    if not rows:
        action = Action.CREATE
    elif kept is None or delete or enable:
        action = Action.UPDATE
    else:
        action = Action.UNCHANGED
    # The kept cron first, so that describe() compares with it.
    current = (kept, *(r for r in rows if r is not kept)) if kept is not None else rows
    return CronChange(cron.name, action, cron, current, kept is None, delete, enable)


def declared_names() -> set[str]:
    value = conf.CRONS
    return set(value) if isinstance(value, dict) else set()


def plan_crons(crons: list[Cron]) -> CronPlan:
    """Compare ``crons`` with this app's crons on the engine; write nothing.

    An owned cron on the engine that is neither in ``crons`` nor in ``HATCHET_CRONS`` is to
    be deleted.
    """
    from .engine import crons as api

    client = api.client()
    namespace = client.namespace
    owned = api.list_owned(client)
    return CronPlan(
        changes=diff(crons, owned, namespace, keep=declared_names()),
        next_runs=next_runs(crons),
        namespace=namespace,
    )


def apply(plan: CronPlan) -> None:
    """Carry the plan out: create first, then delete what the new crons replace."""
    if not plan.pending():
        return
    from .engine import crons as api

    client = api.client()
    for change in plan.pending():
        if change.create and change.cron is not None:
            new_id = api.create(client, change.cron)
            if not change.cron.enabled:
                api.set_enabled(client, new_id, False)
        for cron_id, enabled in change.enable:
            api.set_enabled(client, cron_id, enabled)
        for cron_id in change.delete:
            api.delete(client, cron_id)


def sync_crons(crons: list[Cron]) -> CronPlan:
    """Make the engine's crons those of ``crons`` (see ``plan_crons``); return the plan."""
    plan = plan_crons(crons)
    apply(plan)
    return plan
