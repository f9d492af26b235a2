"""``django-hatchet-engine``: the local engine without a Django project (what
``scripts/hatchet-engine`` runs), and the SDK's embedded sidecar.

    django-hatchet-engine build        build once; print the binaries' directory
    django-hatchet-engine start        run the engine (HATCHET_ENGINE_DATABASE_URL needed)
    django-hatchet-engine env          the ``export`` lines of the running engine
    django-hatchet-engine cache-dir    where the binaries are
    django-hatchet-engine -handshake-file F ...   the sidecar (see ``sidecar``)

Ports, files and the engine's settings come from the ``HATCHET_ENGINE_*`` variables of
docs/engine.md; ``manage.py hatchet_engine`` is the same, with the project's defaults.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import LocalEngineError, envfile
from .build import ensure_built
from .database import connect
from .engine import Connection, LocalEngine
from .paths import bin_dir
from .process import taken_port
from .progress import TerminalProgress
from .serve import serve
from .sidecar import PROGRAM, parse, run

USAGE = (__doc__ or "").split("\n\n")[1]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
            return run(parse(args))
        action = args[0] if args else "start"
        if action == "build":
            print(ensure_built(TerminalProgress(sys.stderr)))
        elif action == "start":
            return start()
        elif action == "env":
            print("\n".join(envfile.read(env_file())))
        elif action == "cache-dir":
            print(bin_dir())
        else:
            print(USAGE, file=sys.stderr if action not in ("-h", "--help") else sys.stdout)
            return 0 if action in ("-h", "--help") else 2
    except LocalEngineError as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return 1
    return 0


def env_file() -> Path:
    return Path(os.environ.get("HATCHET_ENGINE_ENV_FILE") or ".hatchet-engine.env")


def start() -> int:
    database_url = os.environ.get("HATCHET_ENGINE_DATABASE_URL")
    if not database_url:
        raise LocalEngineError("HATCHET_ENGINE_DATABASE_URL names no database for the engine")
    grpc_port = int(os.environ.get("HATCHET_ENGINE_GRPC_PORT", "7077"))
    api_port = int(os.environ.get("HATCHET_ENGINE_API_PORT", "8888"))
    port = taken_port(grpc_port, api_port)
    if port is not None:
        raise LocalEngineError(f"port {port} is in use (an engine already running?)")
    connect(database_url).close()
    engine = LocalEngine(
        ensure_built(TerminalProgress(sys.stderr)),
        database_url,
        grpc_port,
        api_port,
        rabbitmq_url=os.environ.get("HATCHET_ENGINE_RABBITMQ_URL"),
    )

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def ready(connection: Connection) -> None:
        for name, value in connection.exports().items():
            print(f"export {name}={value}", flush=True)

    exited = serve(engine, env_file(), say, on_ready=ready)
    if exited is not None:
        raise LocalEngineError(f"the engine stopped: {exited}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
