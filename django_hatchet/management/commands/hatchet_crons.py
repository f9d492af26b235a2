from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...crons import Cron, load_crons
from ...runs.metadata import DATABASE_SOURCE, SETTINGS_SOURCE
from ...worker import inline_message

if TYPE_CHECKING:
    from ...crons.sync import CronChange, CronPlan

#: Where a cron is declared, as the list says it.
SOURCES = {SETTINGS_SOURCE: "settings", DATABASE_SOURCE: "admin"}

#: How each kind of change reads in the list.
STATES = {
    "create": "missing: to create",
    "update": "differs: to update",
    "delete": "not in settings: to delete",
    "unchanged": "in sync",
}


class Command(BaseCommand):
    help = (
        "List the crons of HATCHET_CRONS and those made in the admin, and their state on the "
        "Hatchet engine; --plan shows what applying them would change, --apply applies them "
        "(as runworker does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--plan",
            "--dry-run",
            action="store_true",
            dest="plan",
            help="Show the changes that --apply would make, and change nothing.",
        )
        what.add_argument(
            "--apply",
            action="store_true",
            help="Create, update and delete the engine's crons to match HATCHET_CRONS and the "
            "crons made in the admin.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        message = inline_message()
        if message is not None:
            raise CommandError(message)
        try:
            crons = load_crons()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        from ...crons import sync
        from ...engine import client as engine

        try:
            engine.client_config()
        except ImproperlyConfigured as exc:  # A token that is not a JWT, say (never quoted).
            raise CommandError(str(exc)) from None
        try:
            plans = [sync.plan_crons(crons), self.stored_plan()]
            if options["apply"]:
                self.write_changes(plans)
                done = sum(len(plan.pending()) for plan in plans)
                if done:
                    for plan in plans:
                        sync.apply(plan)
                    self.stdout.write(f"Applied {done} change{'s' if done != 1 else ''}.")
            elif options["plan"]:
                self.write_changes(plans)
            else:
                self.write_list(plans, engine.address())
        except engine.EngineError as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def stored_plan() -> CronPlan:
        """The plan of the crons made in the admin (none before ``migrate``)."""
        from django.db import DatabaseError

        from ...crons import stored, sync

        def rows() -> tuple[list[Cron], list[str]]:
            try:
                crons, refused = stored.load_stored()
            except DatabaseError:
                return [], []
            return crons, list(refused)

        return sync.plan_crons(rows, source=DATABASE_SOURCE)

    def write_changes(self, plans: list[CronPlan]) -> None:
        pending = [(plan, change) for plan in plans for change in plan.pending()]
        if not pending:
            self.stdout.write(
                "Nothing to change: the engine's crons match HATCHET_CRONS and the crons made "
                "in the admin."
            )
        for plan, change in pending:
            self.stdout.write(f"{SOURCES[plan.source]}: {change.describe()}")

    def write_list(self, plans: list[CronPlan], address: str) -> None:
        where = f"the Hatchet engine at {address}"
        if plans[0].namespace:
            where += f", namespace {plans[0].namespace!r}"
        if not any(plan.changes for plan in plans):
            self.stdout.write(
                f"No crons in HATCHET_CRONS or made in the admin, and none of ours on {where}."
            )
            return
        rows = [self.row(change, plan) for plan in plans for change in plan.changes]
        self.stdout.write(f"Crons on {where}:")
        self.stdout.write("")
        self.stdout.write(
            table(
                ("cron", "from", "job", "schedule (UTC)", "on the engine", "next run (UTC)"),
                rows,
            )
        )
        pending = sum(len(plan.pending()) for plan in plans)
        if pending:
            self.stdout.write("")
            self.stdout.write(
                f"{pending} change{'s' if pending != 1 else ''} pending: see "
                f"{'them' if pending != 1 else 'it'} with --plan; apply with --apply "
                "(a worker applies those of the settings when it starts, and those of the "
                "admin within seconds)."
            )

    @staticmethod
    def row(change: CronChange, plan: CronPlan) -> tuple[str, ...]:
        cron = change.cron
        source = cron if cron is not None else change.current[0]
        if cron is None:
            when = "-"
        elif not cron.enabled:
            when = "paused"
        else:
            when = plan.next_runs.get(cron.name, "never")
        state = STATES[change.action.value]
        if plan.source == DATABASE_SOURCE and change.action.value == "delete":
            state = "deleted in the admin: to delete"
        return (
            change.name,
            SOURCES[plan.source],
            source.job,
            source.schedule,
            state,
            when,
        )


def table(header: Sequence[str], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(s.rstrip() for s in out)
