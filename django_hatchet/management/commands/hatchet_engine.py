from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import embedded
from ...localengine import ENGINE_VERSION, LocalEngineError, envfile
from ...localengine.build import ensure_built
from ...localengine.database import engine_database_url
from ...localengine.engine import Connection, LocalEngine
from ...localengine.paths import bin_dir, built
from ...localengine.process import port_in_use, taken_port
from ...localengine.progress import TerminalProgress
from ...localengine.serve import serve


def env_file() -> Path:
    """``HATCHET_ENGINE_ENV_FILE``, or ``.hatchet-engine.env`` next to the project."""
    explicit = os.environ.get("HATCHET_ENGINE_ENV_FILE")
    if explicit:
        return Path(explicit)
    return Path(getattr(settings, "BASE_DIR", None) or os.getcwd()) / ".hatchet-engine.env"


def _port(variable: str, default: int) -> int:
    value = os.environ.get(variable, str(default))
    if not value.isdigit():
        raise CommandError(f"{variable}={value!r} is not a port number.")
    return int(value)


class Command(BaseCommand):
    help = (
        f"A local Hatchet engine ({ENGINE_VERSION}) for development, with no Docker: `build` "
        "it from the Go module proxy (once; needs Go), `start` it on PostgreSQL (it builds "
        "first if need be), print the `env` that connects a shell to it, or its `status`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["build", "start", "env", "status"])
        parser.add_argument(
            "--grpc-port",
            type=int,
            help="The engine's gRPC port (HATCHET_ENGINE_GRPC_PORT, else 7077).",
        )
        parser.add_argument(
            "--api-port",
            type=int,
            help="Its REST API's port (HATCHET_ENGINE_API_PORT, else 8888).",
        )
        parser.add_argument(
            "--database-url",
            help=(
                "The engine's PostgreSQL database (HATCHET_ENGINE_DATABASE_URL; else a "
                "database 'hatchet_engine' on the server of the project's default database)."
            ),
        )
        parser.add_argument(
            "--rabbitmq-url",
            help="Use this RabbitMQ as the engine's message queue (HATCHET_ENGINE_RABBITMQ_URL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"do_{options['action']}")(options)
        except LocalEngineError as exc:
            raise CommandError(str(exc)) from None

    def do_build(self, options: dict[str, Any]) -> None:
        if built():
            self.stdout.write(f"The Hatchet engine {ENGINE_VERSION} is built: {bin_dir()}")
            return
        ensure_built(TerminalProgress(self.stderr))
        self.stdout.write(str(bin_dir()))

    def do_env(self, options: dict[str, Any]) -> None:
        for line in envfile.read(env_file()):
            self.stdout.write(line)

    def do_status(self, options: dict[str, Any]) -> None:
        path = env_file()
        self.stdout.write(
            f"engine {ENGINE_VERSION}: "
            + (f"built in {bin_dir()}" if built() else "not built (hatchet_engine build)")
        )
        try:
            lines = envfile.read(path)
        except LocalEngineError as exc:
            self.stdout.write(f"not running: {exc}")
            return
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        address = exports.get("HATCHET_CLIENT_HOST_PORT", "")
        host, _, port = address.rpartition(":")
        answers = port.isdigit() and port_in_use(int(port), host or "127.0.0.1")
        self.stdout.write(
            f"running (pid {envfile.owner(path)}): gRPC {address} "
            f"({'answers' if answers else 'does not answer'}), "
            f"API {exports.get('HATCHET_CLIENT_SERVER_URL', '?')}; connection in {path}"
        )

    def do_start(self, options: dict[str, Any]) -> None:
        grpc_port = options["grpc_port"] or _port("HATCHET_ENGINE_GRPC_PORT", 7077)
        api_port = options["api_port"] or _port("HATCHET_ENGINE_API_PORT", 8888)
        if grpc_port == api_port:
            raise CommandError(f"--grpc-port and --api-port are both {grpc_port}.")
        port = taken_port(grpc_port, api_port)
        if port is not None:
            raise CommandError(
                f"Port {port} is in use (an engine already running? `python manage.py "
                "hatchet_engine status` says). Stop it, or choose other ports with "
                "--grpc-port and --api-port."
            )
        database_url = engine_database_url(
            options["database_url"], settings.DATABASES.get("default", {})
        )
        engine = LocalEngine(
            ensure_built(TerminalProgress(self.stderr)),
            database_url,
            grpc_port,
            api_port,
            rabbitmq_url=options["rabbitmq_url"] or os.environ.get("HATCHET_ENGINE_RABBITMQ_URL"),
        )
        exited = serve(
            engine,
            env_file(),
            self.stderr.write,
            on_ready=self.ready,
            on_stop=embedded.withdraw,
            writer="manage.py hatchet_engine start",
        )
        if exited is not None:
            raise CommandError(f"The engine stopped: {exited}.")

    def ready(self, connection: Connection) -> None:
        """Publish the engine for the project's processes, and say how to use it."""
        embedded.publish(connection.published())
        self.stderr.write(
            "Processes with HATCHET_EMBEDDED = True use it (runworker, runserver); a shell "
            'connects with: eval "$(python manage.py hatchet_engine env)". Ctrl-C stops it.'
        )
        for name, value in connection.exports().items():
            self.stdout.write(f"export {name}={value}")
