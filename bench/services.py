"""The processes the benchmarks need: a Hatchet engine, Redis, and workers of each kind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django_hatchet.testing.processes import EngineProcess, ManagedProcess, NotReady

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

#: The bench's own engine, so that it never meets another developer's or the tests'.
GRPC_PORT = os.environ.get("HATCHET_ENGINE_GRPC_PORT", "7277")
API_PORT = os.environ.get("HATCHET_ENGINE_API_PORT", "9088")
ENGINE_DB = os.environ.get("HATCHET_ENGINE_DB", "hatchet_engine_bench")
#: The engine's database lives on a PostgreSQL cluster of its own (scripts/postgres creates
#: it), as in production: its commits do not queue behind the project's, nor these behind its.
ENGINE_CLUSTER = os.environ.get("BENCH_ENGINE_PG_CLUSTER", "bench_engine")
ENGINE_PG_PORT = os.environ.get("BENCH_ENGINE_PG_PORT", "5442")
REDIS_PORT = os.environ.get("BENCH_REDIS_PORT", "6399")
RABBITMQ_PORT = os.environ.get("BENCH_RABBITMQ_PORT", "5682")
#: Debian's rabbitmq-server, run as the calling user (its /usr/sbin wrapper switches to the
#: rabbitmq user, who cannot write the bench's cache).
RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


class Process(ManagedProcess):
    """A child process with its output in a log file, started at once (in ``ROOT``), stopped
    with its process group; ``wait_for`` raises RuntimeError."""

    def __init__(
        self, args: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path = ROOT
    ) -> None:
        super().__init__(args, log, env=env, cwd=cwd, stop_timeout=30)
        self.start()

    def wait_for(self, text: str, timeout: float, interval: float = 0.1) -> None:
        try:
            super().wait_for(text, timeout, interval)
        except NotReady:
            self.stop()
            raise RuntimeError(
                f"{self.log.name}: never said {text!r}:\n{self.output()[-3000:]}"
            ) from None


def engine_database_url(database: str = ENGINE_DB) -> str:
    """The URL of ``database`` on the engine's own PostgreSQL cluster (started, and created
    the first time, by scripts/postgres)."""
    env = {**os.environ, "PG_CLUSTER": ENGINE_CLUSTER, "PG_PORT": ENGINE_PG_PORT, "PG_DB": database}
    return subprocess.run(
        [str(ROOT / "scripts" / "postgres")], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def drop_engine_database(database: str = ENGINE_DB) -> None:
    """Drop the engine's database, so that a run starts with no runs left by the last one
    (rows 3, 4 and 10 leave thousands queued, with no worker)."""
    engine_database_url(database)  # The cluster is up.
    subprocess.run(
        [
            "su",
            "postgres",
            "-c",
            f"psql -p {ENGINE_PG_PORT} -qc 'DROP DATABASE {database} WITH (FORCE)'",
        ],
        check=True,
        capture_output=True,
    )


def start_engine(
    cache: Path, env: dict[str, str] | None = None
) -> tuple[EngineProcess, dict[str, str]]:
    """``scripts/hatchet-engine start`` on the bench's ports, on a fresh database on a
    cluster of its own, with ``env`` (engine settings) added to its environment."""
    drop_engine_database()
    engine = EngineProcess(
        ROOT / "scripts" / "hatchet-engine",
        cache,
        grpc_port=GRPC_PORT,
        api_port=API_PORT,
        database=ENGINE_DB,
        env={"HATCHET_ENGINE_DATABASE_URL": engine_database_url(), **(env or {})},
    )
    try:
        variables = engine.start(900)  # The first start builds the engine.
    except NotReady:
        raise RuntimeError(
            f"The engine did not start:\n{engine.log.read_text(errors='replace')[-3000:]}"
        ) from None
    return engine, variables


def start_redis(cache: Path) -> Process:
    redis = Process(
        [
            "redis-server",
            "--port",
            REDIS_PORT,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(cache),
        ],
        cache / "redis.log",
    )
    redis.wait_for("Ready to accept connections", 30)
    return redis


def start_rabbitmq(cache: Path) -> tuple[Process, str]:
    """A RabbitMQ node of the bench's own (its data in ``cache``, no plugins), for the
    engine's RabbitMQ message queue and for Celery; return it and its AMQP URL."""
    if not os.path.exists(RABBITMQ_SERVER):
        raise RuntimeError(
            f"{RABBITMQ_SERVER} is missing: apt-get install rabbitmq-server (scripts/bench does)"
        )
    home = cache / "rabbitmq"
    home.mkdir(parents=True, exist_ok=True)
    (home / "plugins").write_text("[].\n")
    env = {
        **os.environ,
        "HOME": str(home),  # its Erlang cookie
        "RABBITMQ_NODENAME": f"bench{RABBITMQ_PORT}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": RABBITMQ_PORT,
        "RABBITMQ_DIST_PORT": str(int(RABBITMQ_PORT) + 20000),
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(home / "log"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "plugins"),
        "RABBITMQ_LOGS": "-",
    }
    rabbitmq = Process([RABBITMQ_SERVER], cache / "rabbitmq.log", env)
    rabbitmq.wait_for("Server startup complete", 120)
    return rabbitmq, f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/"


def client_env(engine: dict[str, str], namespace: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update(
        HATCHET_CLIENT_TOKEN=engine["HATCHET_CLIENT_TOKEN"],
        HATCHET_CLIENT_HOST_PORT=engine["HATCHET_CLIENT_HOST_PORT"],
        HATCHET_CLIENT_SERVER_URL=engine["HATCHET_CLIENT_SERVER_URL"],
        HATCHET_CLIENT_TLS_STRATEGY="none",
        HATCHET_CLIENT_NAMESPACE=namespace,
        PYTHONPATH=str(ROOT),
    )
    return env


def django_worker(
    engine: dict[str, str], namespace: str, slots: int, log: Path, name: str = "bench"
) -> Process:
    """``manage.py runworker``, as a user starts it."""
    env = client_env(engine, namespace)
    env["BENCH_WORKER_NAME"] = name
    worker = Process(
        [PYTHON, "manage.py", "runworker", "--settings=bench.settings", "--slots", str(slots)],
        log,
        env,
    )
    return worker


def raw_worker(engine: dict[str, str], namespace: str, slots: int, log: Path) -> Process:
    return Process(
        [PYTHON, str(ROOT / "bench" / "raw_worker.py"), str(slots)],
        log,
        client_env(engine, namespace),
    )


def celery_worker(redis_url: str, concurrency: int, log: Path) -> Process:
    env = {**os.environ, "BENCH_REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    return Process(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "bench.celery_app",
            "worker",
            "-c",
            str(concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        log,
        env,
    )


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                found.extend(int(c) for c in children)
                todo.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
