"""Run a local engine in the foreground until Ctrl-C, SIGTERM, or one of its programs exits:
the same for ``manage.py hatchet_engine start`` and ``django-hatchet-engine start``."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from . import ENGINE_VERSION, envfile
from .database import describe
from .engine import Connection, LocalEngine


def serve(
    engine: LocalEngine,
    env_file: Path,
    say: Callable[[str], None],
    on_ready: Callable[[Connection], None] = lambda connection: None,
    on_stop: Callable[[], None] = lambda: None,
    writer: str = "django-hatchet-engine start",
) -> str | None:
    """Prepare and start the engine, write ``env_file`` once it answers, and block; return
    why it stopped when one of its programs exited, None when asked to stop."""
    started = time.monotonic()
    connection = engine.prepare()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    engine.processes.start(write=say)
    try:
        engine.processes.wait_ready()
        envfile.write(env_file, connection.exports(), writer)
        say(
            f"Hatchet engine {ENGINE_VERSION} ready in {time.monotonic() - started:.0f} s: "
            f"gRPC {connection.grpc_address}, API {connection.api_url}, "
            f"database {describe(engine.database_url)}, message queue {engine.queue}"
        )
        on_ready(connection)
        return engine.processes.wait(stop)
    finally:
        engine.processes.stop()
        envfile.remove(env_file)
        on_stop()
