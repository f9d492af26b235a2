"""One local engine: its database made ready, its programs started, how to reach it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .keys import prepare, runtime_env
from .paths import state_dir_for
from .process import EngineProcesses


class Connection(NamedTuple):
    """How a client reaches the engine: the SDK's variables, and its embedded handshake."""

    token: str
    tenant_id: str
    grpc_address: str
    api_url: str

    def exports(self) -> dict[str, str]:
        return {
            "HATCHET_CLIENT_TOKEN": self.token,
            "HATCHET_CLIENT_HOST_PORT": self.grpc_address,
            "HATCHET_CLIENT_SERVER_URL": self.api_url,
            "HATCHET_CLIENT_TLS_STRATEGY": "none",
        }

    def published(self) -> dict[str, str]:
        """What ``django_hatchet.embedded.publish`` writes for HATCHET_EMBEDDED processes."""
        return {"token": self.token, "host_port": self.grpc_address, "server_url": self.api_url}


class LocalEngine:
    """The engine on ``database_url``, serving gRPC on ``grpc_port`` and, with ``api``, its
    REST API on ``api_port``."""

    def __init__(
        self,
        bin_dir: Path,
        database_url: str,
        grpc_port: int,
        api_port: int,
        *,
        api: bool = True,
        migrate: bool = True,
        rabbitmq_url: str | None = None,
        log_level: str | None = None,
    ) -> None:
        self.bin_dir = bin_dir
        self.database_url = database_url
        self.grpc_port = grpc_port
        self.api_port = api_port
        self.api = api
        self.migrate = migrate
        self.state = state_dir_for(database_url)
        self.env = runtime_env(
            database_url,
            grpc_port,
            api_port,
            log_level or os.environ.get("HATCHET_ENGINE_LOG_LEVEL", "warn"),
            rabbitmq_url,
        )
        ports = [grpc_port, *([api_port] if api else [])]
        self.processes = EngineProcesses(bin_dir, self.state / "config", self.env, ports, api)

    @property
    def queue(self) -> str:
        return self.env["SERVER_MSGQUEUE_KIND"]

    def prepare(self) -> Connection:
        """Migrate and key the database, and mint a token for this engine's ports."""
        token, tenant = prepare(self.bin_dir, self.state, self.database_url, self.env, self.migrate)
        api_url = f"http://127.0.0.1:{self.api_port}" if self.api else ""
        return Connection(token, tenant, f"127.0.0.1:{self.grpc_port}", api_url)
