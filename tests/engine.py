"""Fixtures for the tests that need a real Hatchet engine (marked ``engine``).

The engine is the one ``scripts/hatchet-engine`` builds and starts, on its own database and
ports, once per test session. When it cannot start, the engine tests fail; they never skip.
Leave them out explicitly with ``-m "not engine"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from django_hatchet.testing.processes import READY_LINE, EngineProcess, ManagedProcess, NotReady

ROOT = Path(__file__).resolve().parent.parent
GRPC_PORT = os.environ.get("TEST_HATCHET_GRPC_PORT", "7177")
API_PORT = os.environ.get("TEST_HATCHET_API_PORT", "8988")
START_TIMEOUT = 900  # The first start builds the engine (about 5 minutes).
ENGINE_SCRIPT = ROOT / "scripts" / "hatchet-engine"


def settle() -> None:
    """Wait until this process's dispatcher has sent, or left to the relays, every run it was
    handed (background dispatch)."""
    from django_hatchet.backends.dispatcher import drain_all

    assert drain_all(30)


def rest_run(engine_run_id: str, timeout: float = 30) -> Any:
    """The engine's REST record of a run, with its tasks. Its REST reads lag its gRPC answers
    (a run that ``.get()`` saw finish can be "not found" for a moment, then found with no
    tasks yet; CI saw both), so ask until the record lists its tasks."""
    import time

    from hatchet_sdk.clients.rest.exceptions import NotFoundException

    from django_hatchet.engine.client import get_client

    deadline = time.monotonic() + timeout
    while True:
        try:
            details = get_client().runs.get(engine_run_id)
        except NotFoundException:
            details = None
        if details is not None and details.tasks:
            return details
        assert time.monotonic() < deadline, (
            f"run {engine_run_id} not found over REST with its tasks"
        )
        time.sleep(0.2)


@pytest.fixture(scope="session")
def hatchet_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start an engine for this session; yield its ``HATCHET_CLIENT_*`` variables."""
    engine = EngineProcess(
        ENGINE_SCRIPT,
        tmp_path_factory.mktemp("hatchet-engine"),
        grpc_port=GRPC_PORT,
        api_port=API_PORT,
        database=os.environ.get("TEST_HATCHET_ENGINE_DB", "hatchet_engine_test"),
    )
    try:
        variables = engine.start(START_TIMEOUT)
    except NotReady:
        pytest.fail(
            "The Hatchet engine for the tests did not start (scripts/hatchet-engine start).\n"
            f"Its log:\n{engine.log.read_text()[-4000:]}",
            pytrace=False,
        )
    yield variables
    engine.stop()


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
def engine_settings(
    hatchet_engine: dict[str, str], namespace: str, transactional_db: None
) -> Iterator[dict[str, Any]]:
    """Point django-hatchet at the test engine: jobs are dispatched to it (recorded in the
    outbox first, which a dispatcher thread deletes: a transactional database)."""
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


def from_another_process(engine: dict[str, str], namespace: str, run_id: str, values: str) -> Any:
    """Look the run up with ``get_run(run_id)`` in a new process (as ``run``), and return what
    ``values``, a Python expression over it, is there (through JSON)."""
    code = (
        "import django, json, sys; django.setup(); import django_hatchet; "
        "run = django_hatchet.get_run(sys.argv[1]); "
        f"print(json.dumps({values}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, run_id],
        cwd=ROOT,
        env=worker_environment(engine, namespace),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


class WorkerProcess(ManagedProcess):
    """``manage.py runworker`` in a subprocess, as a user starts it (in the test session's
    process group; stopped with SIGTERM, then SIGKILL after 30 s)."""

    def __init__(self, env: dict[str, str], args: list[str], log: Path) -> None:
        super().__init__(
            [sys.executable, "manage.py", "runworker", "--settings=tests.settings", *args],
            log,
            env=env,
            cwd=ROOT,
            new_group=False,
            stop_timeout=30,
        )
        self.signal_log: Path | None = None
        self.start()

    def wait_until_ready(self, timeout: float = 60) -> None:
        try:
            self.wait_for(READY_LINE, timeout)
        except NotReady:
            self.stop()
            pytest.fail(f"The worker did not start. Its output:\n{self.output()}", pytrace=False)


@pytest.fixture
def start_worker(hatchet_engine: dict[str, str], namespace: str, tmp_path: Path) -> Iterator[Any]:
    """Start workers of the test's own: ``start_worker("--slots", "2")``."""
    workers: list[WorkerProcess] = []

    def start(*args: str, ready: bool = True, env: dict[str, str] | None = None) -> WorkerProcess:
        process = WorkerProcess(
            {**worker_environment(hatchet_engine, namespace), **(env or {})},
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
