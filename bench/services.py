"""The processes the benchmarks need: a Hatchet engine, Redis, and workers of each kind."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django_hatchet.testing.processes import EngineProcess, ManagedProcess, NotReady

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

#: The bench's own engine, so that it never meets another developer's or the tests'.
GRPC_PORT = os.environ.get("HATCHET_ENGINE_GRPC_PORT", "7277")
API_PORT = os.environ.get("HATCHET_ENGINE_API_PORT", "9088")
ENGINE_DB = os.environ.get("HATCHET_ENGINE_DB", "hatchet_engine_bench")
REDIS_PORT = os.environ.get("BENCH_REDIS_PORT", "6399")


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


def start_engine(cache: Path) -> tuple[EngineProcess, dict[str, str]]:
    """``scripts/hatchet-engine start`` on the bench's ports and database."""
    engine = EngineProcess(
        ROOT / "scripts" / "hatchet-engine",
        cache,
        grpc_port=GRPC_PORT,
        api_port=API_PORT,
        database=ENGINE_DB,
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
