"""Applying crons to the engine: create, update and delete our crons only.

``plan_crons()`` compares the crons of the settings with the ones on the engine and writes
nothing; ``apply()`` carries the plan out; ``sync_crons()`` does both, at every worker start
and in ``manage.py hatchet_crons --apply``. The crons made in the admin go through the same
plan, with ``source=DATABASE_SOURCE`` (``django_hatchet.crons.stored``).

A cron is ours when its additional metadata carries ``OWNER_KEY`` (the cron's name in
``HATCHET_CRONS`` or in the admin) and ``NAMESPACE_KEY`` (the client's namespace; the keys are
defined in ``django_hatchet.runs.metadata``); crons created any other way are never touched.
Each source plans only its own crons: one made in the admin carries ``SOURCE_KEY``, and the
settings never delete it, nor it theirs.

The cron's name on the engine is its name with a digest of what the engine's ticker keeps in
memory (input, metadata, priority): the ticker knows a cron by
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..jobs.registry import registry
from ..runs.metadata import (
    DATABASE_SOURCE,
    JOB_KEY,
    NAMESPACE_KEY,
    OWNER_KEY,
    SETTINGS_SOURCE,
    SOURCE_KEY,
)
from .declared import Cron, declared_names, next_runs

if TYPE_CHECKING:
    # Types only: the engine package loads the SDK, which this module does when it talks to it.
    from ..engine.crons import EngineCron, NewCron


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


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
    """The changes that make the engine's crons those of the settings (or of the database)."""

    changes: list[CronChange] = field(default_factory=list)
    next_runs: dict[str, str] = field(default_factory=dict)
    namespace: str = ""
    source: str = SETTINGS_SOURCE
    #: Crons left as they are on the engine, and why (a row of the database with mistakes).
    refused: dict[str, str] = field(default_factory=dict)

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
    """Return the additional metadata of the cron on the engine (its runs carry it too)."""
    metadata = {OWNER_KEY: cron.name, NAMESPACE_KEY: namespace, JOB_KEY: cron.job}
    if cron.source == DATABASE_SOURCE:
        metadata[SOURCE_KEY] = DATABASE_SOURCE
    return metadata


def engine_name(cron: Cron, namespace: str) -> str:
    """The cron's name on the engine: its name, and a digest of what the ticker keeps."""
    content = {
        "input": cron_input(cron),
        "metadata": cron_metadata(cron, namespace),
        "priority": cron_priority(cron),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return f"{cron.name}-{digest[:8]}"


def new_cron(cron: Cron, namespace: str) -> NewCron:
    """Return what the engine is to create for ``cron``."""
    from ..engine.crons import NewCron

    return NewCron(
        name=cron.name,
        engine_name=engine_name(cron, namespace),
        job=cron.job,
        schedule=cron.schedule,
        input=cron_input(cron),
        metadata=cron_metadata(cron, namespace),
        priority=cron_priority(cron),
        options=registry[cron.job].options,
        steps=registry[cron.job].engine_steps,
    )


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


def plan_crons(
    crons: list[Cron] | Callable[[], tuple[list[Cron], Iterable[str]]],
    source: str = SETTINGS_SOURCE,
) -> CronPlan:
    """Compare ``crons`` with this app's crons of ``source`` on the engine; write nothing.

    An owned cron on the engine that is neither in ``crons`` nor in ``HATCHET_CRONS`` is to
    be deleted. ``crons`` may be a function that returns the crons and the names to keep as
    they are: it is called after the engine's crons are listed, so that a plan made while
    another process applies a newer one deletes nothing that the newer one made.
    """
    from ..engine import crons as api

    client = api.client()
    namespace = client.namespace
    owned = api.list_owned(client, source)
    if callable(crons):
        crons, keep = crons()
    else:
        keep = declared_names()
    return CronPlan(
        changes=diff(crons, owned, namespace, keep=keep),
        next_runs=next_runs(crons),
        namespace=namespace,
        source=source,
    )


def apply(plan: CronPlan) -> None:
    """Carry the plan out: create first, then delete what the new crons replace."""
    if not plan.pending():
        return
    from ..engine import crons as api

    client = api.client()
    for change in plan.pending():
        if change.create and change.cron is not None:
            # Under the namespace the plan compared in (the client's), as diff() named it.
            new_id = api.create(client, new_cron(change.cron, plan.namespace))
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
