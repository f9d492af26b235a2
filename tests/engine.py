"""Fixtures for the tests that need a real Hatchet engine (marked ``engine``).

The engine is the one ``scripts/hatchet-engine`` builds and starts, on its own database and
ports, once per test session. When it cannot start, the engine tests fail; they never skip.
Leave them out explicitly with ``-m "not engine"``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
GRPC_PORT = os.environ.get("TEST_HATCHET_GRPC_PORT", "7177")
API_PORT = os.environ.get("TEST_HATCHET_API_PORT", "8988")
START_TIMEOUT = 900  # The first start builds the engine (about 5 minutes).


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            key, _, value = line[len("export ") :].partition("=")
            values[key] = value.strip("'\"")
    return values


@pytest.fixture(scope="session")
def hatchet_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start an engine for this session; yield its ``HATCHET_CLIENT_*`` variables."""
    directory = tmp_path_factory.mktemp("hatchet-engine")
    env_file, log_file = directory / "engine.env", directory / "engine.log"
    env = {
        **os.environ,
        "HATCHET_ENGINE_DB": os.environ.get("TEST_HATCHET_ENGINE_DB", "hatchet_engine_test"),
        "HATCHET_ENGINE_GRPC_PORT": GRPC_PORT,
        "HATCHET_ENGINE_API_PORT": API_PORT,
        "HATCHET_ENGINE_ENV_FILE": str(env_file),
    }
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "hatchet-engine"), "start"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail(
                "The Hatchet engine for the tests did not start (scripts/hatchet-engine start).\n"
                f"Its log:\n{log_file.read_text()[-4000:]}",
                pytrace=False,
            )
        time.sleep(0.2)
    time.sleep(0.2)  # The file is written whole, but give the writer a moment.
    yield read_env_file(env_file)
    _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def namespace() -> str:
    """A namespace of this session's own, so that runs of other sessions never reach it."""
    return f"t{uuid.uuid4().hex[:8]}"


def client_settings(engine: dict[str, str], namespace: str) -> dict[str, Any]:
    return {
        "HATCHET_CLIENT_TOKEN": engine["HATCHET_CLIENT_TOKEN"],
        "HATCHET_CLIENT_HOST_PORT": engine["HATCHET_CLIENT_HOST_PORT"],
        "HATCHET_CLIENT_SERVER_URL": engine["HATCHET_CLIENT_SERVER_URL"],
        "HATCHET_CLIENT_TLS_STRATEGY": "none",
        "HATCHET_CLIENT_NAMESPACE": namespace,
    }


@pytest.fixture
def engine_settings(hatchet_engine: dict[str, str], namespace: str) -> Iterator[dict[str, Any]]:
    """Point django-hatchet at the test engine: jobs are dispatched to it."""
    values = client_settings(hatchet_engine, namespace)
    with override_settings(**values):
        yield values


def worker_environment(engine: dict[str, str], namespace: str) -> dict[str, str]:
    """The environment of a worker process: the engine, and the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update({k: str(v) for k, v in client_settings(engine, namespace).items()})
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env["PYTHONPATH"] = str(ROOT)
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    return env


class WorkerProcess:
    """``manage.py runworker`` in a subprocess, as a user starts it."""

    def __init__(self, env: dict[str, str], args: list[str], log: Path) -> None:
        self.log = log
        self.signal_log: Path | None = None
        self._file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", "--settings=tests.settings", *args],
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "waiting for tasks" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"The worker did not start. Its output:\n{self.output()}", pytrace=False
                )
            time.sleep(0.1)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._file.close()
        return self.process.returncode


@pytest.fixture
def start_worker(hatchet_engine: dict[str, str], namespace: str, tmp_path: Path) -> Iterator[Any]:
    """Start workers of the test's own: ``start_worker("--slots", "2")``."""
    workers: list[WorkerProcess] = []

    def start(*args: str, ready: bool = True) -> WorkerProcess:
        process = WorkerProcess(
            worker_environment(hatchet_engine, namespace),
            list(args),
            tmp_path / f"worker-{len(workers)}.log",
        )
        workers.append(process)
        if ready:
            process.wait_until_ready()
        return process

    yield start
    for process in workers:
        process.stop()


@pytest.fixture(scope="session")
def worker(
    hatchet_engine: dict[str, str],
    namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
    django_db_blocker: Any,
) -> Iterator[WorkerProcess]:
    """One worker for the session, running every test job; its job signals are written to
    ``worker.signal_log`` (see tests/testapp/apps.py)."""
    directory = tmp_path_factory.mktemp("worker")
    env = worker_environment(hatchet_engine, namespace)
    env["TEST_SIGNAL_LOG"] = str(directory / "signals.jsonl")
    process = WorkerProcess(
        env,
        # No outbox relay: tests that write outbox rows (engine down) share its database.
        ["--slots", "20", "--name", "test-session", "--no-relay"],
        directory / "worker.log",
    )
    process.signal_log = directory / "signals.jsonl"
    process.wait_until_ready()
    yield process
    process.stop()
