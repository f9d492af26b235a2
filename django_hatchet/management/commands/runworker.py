from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...worker import Worker, check_can_start, engine_error, inline_message, select_jobs


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return number


def metrics_address(value: str) -> tuple[str, int]:
    """``PORT`` (on every interface, for a scraper) or ``ADDRESS:PORT``."""
    address, _, port = value.rpartition(":")
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port, or ADDRESS:PORT")
    return address.strip("[]") or "0.0.0.0", int(port)


def label(value: str) -> tuple[str, str | int]:
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{value!r} is not KEY=VALUE")
    return key, int(raw) if raw.lstrip("-").isdigit() else raw


class Command(BaseCommand):
    help = "Run a Hatchet worker for the registered jobs and the crons in HATCHET_CRONS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="The worker's name (default: HATCHET_WORKER_NAME).")
        parser.add_argument(
            "--slots", type=positive_int, help="Runs at once (default: HATCHET_WORKER_SLOTS)."
        )
        parser.add_argument(
            "--jobs",
            nargs="+",
            default=[],
            metavar="PATTERN",
            help="Run only the jobs whose names match these patterns (e.g. 'orders.*').",
        )
        parser.add_argument(
            "--exclude", nargs="+", default=[], metavar="PATTERN", help="Leave these jobs out."
        )
        parser.add_argument(
            "--queue",
            nargs="+",
            default=[],
            metavar="QUEUE",
            help="Run only the jobs of these queues (@job(queue=...)), and receive their runs.",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart the worker when code changes (for development).",
        )
        parser.add_argument(
            "--embedded",
            action="store_true",
            help="Development: start a local Hatchet engine (the SDK's embedded mode) and "
            "publish its connection for processes with HATCHET_EMBEDDED = True.",
        )
        parser.add_argument(
            "--connect-attempts",
            type=positive_int,
            help="How often to try an engine that cannot be reached, with backoff "
            "(default: HATCHET_WORKER_CONNECT_ATTEMPTS).",
        )
        parser.add_argument(
            "--drain-timeout",
            type=positive_int,
            metavar="SECONDS",
            help="On SIGTERM, how long to wait for the runs in flight before stopping anyway "
            "(default: HATCHET_WORKER_DRAIN_TIMEOUT).",
        )
        parser.add_argument(
            "--no-relay",
            action="store_true",
            help="Do not send the outbox's runs from this worker (run manage.py hatchet_relay "
            "instead).",
        )
        parser.add_argument(
            "--metrics-port",
            type=metrics_address,
            metavar="[ADDRESS:]PORT",
            dest="metrics",
            help="Serve Prometheus metrics on this port (/metrics; every interface unless an "
            "address is given). A durable worker serves its own on the next port.",
        )
        parser.add_argument(
            "--label",
            type=label,
            action="append",
            default=[],
            metavar="KEY=VALUE",
            dest="labels",
            help="A worker label, added to HATCHET_WORKER_LABELS (repeatable).",
        )

    def execute(self, *args: Any, **options: Any) -> str | None:
        if options.get("reload"):
            # The worker (the child) runs the checks: their error must not end the parent,
            # which waits for the fix as after any failure of the worker.
            options["skip_checks"] = True
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reload"] and options["embedded"]:
            raise CommandError(
                "--reload and --embedded do not go together: a restart would start a new "
                "engine. Start the engine once (manage.py hatchet_engine start, or a worker "
                "with --embedded) and reload the other worker."
            )
        if options["embedded"]:
            self.start_embedded_engine()
        message = inline_message()
        if message is not None:
            self.stdout.write(self.style.WARNING(message))
            return
        if options["reload"]:
            from ...worker.reloader import reload_worker

            code = reload_worker(lambda text: self.stdout.write(self.style.NOTICE(text)))
            if code:
                raise CommandError(f"The worker exited with status {code}.", returncode=code)
            return
        check_can_start()
        # As runserver does: a worker on an unmigrated database (no outbox table) says so.
        self.check_migrations()
        from ...engine.client import EngineError

        labels = dict(options["labels"])
        if options["queue"]:
            from ...engine.definitions import QUEUE_LABEL

            if len(options["queue"]) > 1:
                raise CommandError("A worker serves one queue; start one worker per queue.")
            labels[QUEUE_LABEL] = options["queue"][0]
        worker = Worker(
            name=options["name"],
            slots=options["slots"],
            labels=labels,
            jobs=select_jobs(options["jobs"], options["exclude"], options["queue"]),
            stdout=self.stdout,
            connect_attempts=options["connect_attempts"],
            relay=not options["no_relay"],
            drain_timeout=options["drain_timeout"],
            verbosity=options["verbosity"],
            metrics=options["metrics"],
        )
        try:
            worker.run()
        except EngineError as exc:
            raise engine_error(str(exc)) from None

    def start_embedded_engine(self) -> None:
        """Start an engine in this process and make this process (and the web process, with
        HATCHET_EMBEDDED = True) use it."""
        import atexit
        import os

        from ...conf import conf
        from ...embedded import publish, withdraw
        from ...engine.client import EngineError
        from ...engine.worker import start_embedded

        if conf.CLIENT_TOKEN is not None and conf.TOKEN_SOURCE != "embedded":
            raise CommandError(
                f"--embedded starts a local engine for development, but a token is configured "
                f"(in the {conf.TOKEN_SOURCE}); unset HATCHET_CLIENT_TOKEN, or drop --embedded."
            )
        from django.conf import settings

        from ...localengine import LocalEngineError
        from ...localengine.progress import TerminalProgress
        from ...localengine.sidecar import point_the_sdk_here

        try:  # This package's engine (hatchet_engine build), unless another is named.
            point_the_sdk_here(TerminalProgress(self.stderr), settings.DATABASES["default"])
        except LocalEngineError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("Starting an embedded Hatchet engine (development only)...")
        try:
            connection = start_embedded()
        except EngineError as exc:
            raise CommandError(str(exc)) from None
        os.environ.update(
            HATCHET_CLIENT_TOKEN=connection["token"],
            HATCHET_CLIENT_HOST_PORT=connection["host_port"],
            HATCHET_CLIENT_SERVER_URL=connection["server_url"],
            HATCHET_CLIENT_TLS_STRATEGY="none",
        )
        conf.reset()
        path = publish(connection)
        atexit.register(withdraw)
        self.stdout.write(
            f"Embedded engine at {connection['host_port']} (API {connection['server_url']}); "
            f"its connection is in {path}, for processes with HATCHET_EMBEDDED = True."
        )
