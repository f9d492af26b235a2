"""Make an engine's database ready and mint a token for it: migrations, the engine's keys
(generated once per database), the default tenant, and a token for given ports."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from . import LocalEngineError


class Credentials(NamedTuple):
    token: str
    tenant_id: str


def runtime_env(
    database_url: str,
    grpc_port: int,
    api_port: int,
    log_level: str = "warn",
    rabbitmq_url: str | None = None,
) -> dict[str, str]:
    """The environment the engine's processes run with (docs/engine.md explains each)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        # Each of the two processes keeps a pool this size: small, so that several engines
        # (a developer's, the tests', an embedded one) fit in PostgreSQL's 100 connections.
        DATABASE_MAX_CONNS=os.environ.get("HATCHET_ENGINE_MAX_CONNS", "10"),
        SERVER_URL=f"http://127.0.0.1:{api_port}",
        SERVER_PORT=str(api_port),
        SERVER_GRPC_PORT=str(grpc_port),
        SERVER_GRPC_BIND_ADDRESS="127.0.0.1",
        SERVER_GRPC_BROADCAST_ADDRESS=f"127.0.0.1:{grpc_port}",
        SERVER_GRPC_INSECURE="true",
        SERVER_AUTH_COOKIE_DOMAIN="localhost",
        SERVER_AUTH_COOKIE_INSECURE="true",
        SERVER_AUTH_SET_EMAIL_VERIFIED="true",
        SERVER_HEALTHCHECK="false",
        SERVER_SECURITY_CHECK_ENABLED="false",
        SERVER_LOGGER_LEVEL=log_level,
        DATABASE_LOGGER_LEVEL=log_level,
    )
    # Measured (make bench, row 11): the write buffers batch up to 100 messages and flush
    # every 50 ms, instead of 10 and 10 ms. Values set in the environment win.
    env.setdefault("SERVER_DEFAULT_BUFFER_SIZE", "100")
    env.setdefault("SERVER_DEFAULT_BUFFER_FLUSH_INTERVAL", "50ms")
    if rabbitmq_url:
        env.update(SERVER_MSGQUEUE_KIND="rabbitmq", SERVER_MSGQUEUE_RABBITMQ_URL=rabbitmq_url)
    else:
        env["SERVER_MSGQUEUE_KIND"] = "postgres"
    return env


def prepare(
    bin_dir: Path,
    state: Path,
    database_url: str,
    runtime: dict[str, str],
    migrate: bool = True,
) -> Credentials:
    """Migrate, seed and key the database (once), then mint a token for these ports."""
    (state / "config").mkdir(parents=True, exist_ok=True)
    with (state / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        setup_env = {**os.environ, "DATABASE_URL": database_url}
        if migrate:
            _run([str(bin_dir / "hatchet-migrate")], setup_env, state / "migrate.log", "migrations")
        # The keys are generated on the first run only (--overwrite=false), the default tenant
        # seeded if missing; without the runtime settings, which would be frozen in its config.
        config = ["--config", str(state / "config")]
        _run(
            [
                str(bin_dir / "hatchet-admin"),
                "quickstart",
                *config,
                "--generated-config-dir",
                str(state / "config"),
                "--skip",
                "certs",
                "--overwrite=false",
            ],
            setup_env,
            state / "quickstart.log",
            "the engine's set-up (keys, default tenant)",
        )
        # The token's claims carry the API URL and the gRPC address: minted for these ports.
        name = f"local-{time.strftime('%Y%m%d-%H%M%S')}"
        output = _run(
            [str(bin_dir / "hatchet-admin"), "token", "create", *config, "--name", name],
            runtime,
            state / "token.log",
            "minting a token",
        )
    token = output.strip().splitlines()[-1] if output.strip() else ""
    return Credentials(token, tenant_of(token))


def tenant_of(token: str) -> str:
    """The tenant a token is for (its ``sub`` claim)."""
    try:
        claims = token.split(".")[1]
        tenant = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
    except (IndexError, ValueError, KeyError, TypeError):
        raise LocalEngineError(
            f"The engine minted a token that is not one: {token[:40]!r}"
        ) from None
    return str(tenant)


def _run(command: list[str], env: dict[str, str], log: Path, what: str) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    log.write_text(result.stdout + result.stderr)
    if result.returncode:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise LocalEngineError(f"{what} failed (log: {log}):\n{tail}")
    return result.stdout
