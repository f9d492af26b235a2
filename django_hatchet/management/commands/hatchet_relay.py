from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...backends.outbox import missing_table
from ...worker import inline_message
from ...worker.relay import Relay


class Command(BaseCommand):
    help = (
        "Send the runs waiting in the outbox to the Hatchet engine (runworker does it too). "
        "Safe to run several at once: each run is sent once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="One pass, then exit (for a cron or a deploy)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            help="Seconds between passes (default: HATCHET_OUTBOX_RELAY_INTERVAL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        message = inline_message()
        if message is not None:
            raise CommandError(message)
        problem = missing_table()
        if problem is not None:
            raise CommandError(problem)
        relay = Relay()
        if options["once"]:
            report = relay.run_once()
            self.stdout.write(
                f"Sent {report.sent} run(s); {report.found} were on the engine already; "
                f"{report.failed} failed; {report.skipped} were taken by another relay."
            )
            if report.unreachable:
                raise CommandError(
                    f"The Hatchet engine cannot be reached ({report.unreachable}); the runs "
                    "left stay in the outbox."
                )
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Sending the outbox's runs to the Hatchet engine (Ctrl-C to stop).")
        relay.run_forever(stop, options["interval"])
