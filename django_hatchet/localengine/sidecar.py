"""``django-hatchet-engine``: the local engine as the Hatchet SDK's embedded sidecar.

The SDK's embedded mode (``runworker --embedded``) runs ``HATCHET_CLIENT_EMBEDDED_BINARY_PATH``
as ``<program> -handshake-file F [-database-url U] [-grpc-port N] [-api-port N] [-no-api]
[-no-migrations] [-log-level L] [-rabbitmq-url U] [-postgres-data-dir D]``, its standard
output to /dev/null and its standard input a pipe, and waits for F to hold
``{"token", "tenant_id", "grpc_address", "api_url"}``. The engine stops when the pipe closes
(the process that owns it is gone) or on SIGTERM. Messages go to standard error; the
engine's own output to a log file, kept when the engine fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import LocalEngineError
from .build import Progress, ensure_built
from .database import engine_database_url
from .engine import LocalEngine
from .paths import bin_dir, built
from .process import free_port
from .toolchain import require_go

PROGRAM = "django-hatchet-engine"


def point_the_sdk_here(progress: Progress, project_database: dict[str, Any]) -> str | None:
    """Before the SDK's embedded mode starts: make it run this engine (built first when Go
    is here), on a database of the project's PostgreSQL server, unless
    HATCHET_CLIENT_EMBEDDED_BINARY_PATH names another program. Return the program, or None
    when neither is possible (no Go, nothing built): the SDK then downloads its own."""
    if os.environ.get("HATCHET_CLIENT_EMBEDDED_BINARY_PATH"):
        return None
    if not built():
        try:
            require_go()
        except LocalEngineError:
            return None
        ensure_built(progress)
    here = str(Path(sys.executable).parent)
    program = shutil.which(PROGRAM, path=here) or shutil.which(PROGRAM)
    if program is None:
        raise LocalEngineError(
            f"{PROGRAM} is not installed next to {sys.executable}: reinstall django-hatchet."
        )
    if not os.environ.get("HATCHET_CLIENT_EMBEDDED_DATABASE_URL"):
        url = engine_database_url(None, project_database)
        os.environ["HATCHET_CLIENT_EMBEDDED_DATABASE_URL"] = url
    os.environ["HATCHET_CLIENT_EMBEDDED_BINARY_PATH"] = program
    return program


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROGRAM, prefix_chars="-")
    for flag in ("handshake-file", "database-url", "log-level", "rabbitmq-url"):
        parser.add_argument(f"-{flag}", f"--{flag}")
    for flag in ("grpc-port", "api-port"):
        parser.add_argument(f"-{flag}", f"--{flag}", type=int)
    for flag in ("no-api", "no-migrations"):
        parser.add_argument(f"-{flag}", f"--{flag}", action="store_true")
    parser.add_argument("-postgres-data-dir", "--postgres-data-dir", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if not options.handshake_file:
        parser.error("-handshake-file is required")
    return options


def run(options: argparse.Namespace) -> int:
    if not built():
        raise LocalEngineError(
            f"the engine is not built ({bin_dir()}): python manage.py hatchet_engine build"
        )
    database_url = options.database_url or os.environ.get("HATCHET_ENGINE_DATABASE_URL")
    if not database_url:
        raise LocalEngineError(
            "no database: give -database-url (HATCHET_CLIENT_EMBEDDED_DATABASE_URL, which "
            "runworker --embedded sets) or HATCHET_ENGINE_DATABASE_URL"
        )
    if options.postgres_data_dir:
        print(f"{PROGRAM}: ignoring -postgres-data-dir", file=sys.stderr)
    grpc_port = options.grpc_port or free_port()
    api_port = options.api_port or free_port()
    engine = LocalEngine(
        bin_dir(),
        database_url,
        grpc_port,
        api_port,
        api=not options.no_api,
        migrate=not options.no_migrations,
        rabbitmq_url=options.rabbitmq_url,
        log_level=options.log_level,
    )
    connection = engine.prepare()
    logs = engine.state / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"sidecar-{os.getpid()}.log"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=_until_eof, args=(stop,), daemon=True).start()
    engine.processes.start(log=log)
    try:
        engine.processes.wait_ready()
        handshake = Path(options.handshake_file)
        temporary = handshake.with_name(handshake.name + ".tmp")
        temporary.write_text(json.dumps(connection._asdict()))
        temporary.replace(handshake)
        exited = engine.processes.wait(stop)
    except LocalEngineError as exc:
        exited = str(exc)
    finally:
        engine.processes.stop()
    if exited is not None:
        tail = "\n".join(log.read_text().splitlines()[-40:])
        raise LocalEngineError(f"{exited} (log: {log}):\n{tail}")
    log.unlink(missing_ok=True)
    return 0


def _until_eof(stop: threading.Event) -> None:
    """The SDK's pipe: end of file means the process that owns the engine is gone."""
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    stop.set()
