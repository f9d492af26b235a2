from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...crons import Cron, load_crons
from ...worker import inline_message

if TYPE_CHECKING:
    from ...crons.sync import CronChange, CronPlan

#: How each kind of change reads in the list.
STATES = {
    "create": "missing: to create",
    "update": "differs: to update",
    "delete": "not in settings: to delete",
    "unchanged": "in sync",
}


class Command(BaseCommand):
    help = (
        "List the crons of HATCHET_CRONS and their state on the Hatchet engine; --plan shows "
        "what applying them would change, --apply applies them (as runworker does at start)."
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
            help="Create, update and delete the engine's crons to match HATCHET_CRONS.",
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
            plan = sync.plan_crons(crons)
            if options["apply"]:
                self.write_changes(plan)
                done = len(plan.pending())
                if done:
                    sync.apply(plan)
                    self.stdout.write(f"Applied {done} change{'s' if done != 1 else ''}.")
            elif options["plan"]:
                self.write_changes(plan)
            else:
                self.write_list(crons, plan, engine.address())
        except engine.EngineError as exc:
            raise CommandError(str(exc)) from None

    def write_changes(self, plan: CronPlan) -> None:
        pending = plan.pending()
        if not pending:
            self.stdout.write("Nothing to change: the engine's crons match HATCHET_CRONS.")
        for change in pending:
            self.stdout.write(change.describe())

    def write_list(self, crons: list[Cron], plan: CronPlan, address: str) -> None:
        where = f"the Hatchet engine at {address}"
        if plan.namespace:
            where += f", namespace {plan.namespace!r}"
        if not plan.changes:
            self.stdout.write(f"No crons in HATCHET_CRONS, and none of ours on {where}.")
            return
        rows = [self.row(change, plan.next_runs) for change in plan.changes]
        self.stdout.write(f"Crons of HATCHET_CRONS on {where}:")
        self.stdout.write("")
        self.stdout.write(
            table(("cron", "job", "schedule (UTC)", "on the engine", "next run (UTC)"), rows)
        )
        pending = len(plan.pending())
        if pending:
            self.stdout.write("")
            self.stdout.write(
                f"{pending} change{'s' if pending != 1 else ''} pending: see "
                f"{'them' if pending != 1 else 'it'} with --plan; apply with --apply "
                "(a worker applies them when it starts)."
            )

    @staticmethod
    def row(change: CronChange, next_runs: dict[str, str]) -> tuple[str, ...]:
        cron = change.cron
        source = cron if cron is not None else change.current[0]
        if cron is None:
            when = "-"
        elif not cron.enabled:
            when = "disabled"
        else:
            when = next_runs.get(cron.name, "never")
        return (change.name, source.job, source.schedule, STATES[change.action.value], when)


def table(header: Sequence[str], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(x) for x in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(s.rstrip() for s in out)
