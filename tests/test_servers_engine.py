"""Background dispatch in real servers and processes, on the test engine: gunicorn's
pre-forked workers (``--preload``: the application, django-hatchet with it, loaded in the
master before the fork), uvicorn (ASGI, ``adelay``), and a script that exits with runs
still to send. Each run must reach the engine and run once, and nothing may be left in the
outbox."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from django_hatchet.models import OutboxEntry
from django_hatchet.testing.processes import ManagedProcess
from tests.engine import ROOT, worker_environment
from tests.testapp.models import Note

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("worker")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def wait_for(condition: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


@pytest.fixture
def server_env(
    hatchet_engine: dict[str, str], namespace: str, transactional_db: None
) -> dict[str, str]:
    env = worker_environment(hatchet_engine, namespace)
    env["DJANGO_SETTINGS_MODULE"] = "tests.server_settings"
    return env


def serve(command: list[str], app: str, directory: Path, env: dict[str, str]) -> ManagedProcess:
    """Start a server (``python -m <command> <app>``), its output in ``<server>.log``."""
    log = directory / f"{command[0]}.log"
    return ManagedProcess([sys.executable, "-m", *command, app], log, env=env, cwd=ROOT).start()


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def request_all(urls: list[str], threads: int = 6) -> list[dict[str, Any]]:
    """GET every URL, a few at a time, as concurrent users do."""
    answers: list[dict[str, Any]] = []
    pending = list(urls)
    lock = threading.Lock()

    def user() -> None:
        while True:
            with lock:
                if not pending:
                    return
                url = pending.pop()
            answer = get_json(url)
            with lock:
                answers.append(answer)

    users = [threading.Thread(target=user) for _ in range(threads)]
    for u in users:
        u.start()
    for u in users:
        u.join(120)
    return answers


def notes(prefix: str) -> Counter[str]:
    return Counter(Note.objects.filter(text__startswith=prefix).values_list("text", flat=True))


def all_ran_once(prefix: str, expected: set[str], server: ManagedProcess | None = None) -> None:
    ran = wait_for(lambda: set(notes(prefix)) >= expected or None, 90)
    output = server.output()[-3000:] if server is not None else ""
    assert ran, (sorted(expected - set(notes(prefix))), output)
    time.sleep(2)  # A duplicate would show by now.
    counts = notes(prefix)
    assert set(counts) == expected
    assert set(counts.values()) == {1}, counts


def test_gunicorn_prefork_workers_each_send_their_own_runs(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    server = serve(
        ["gunicorn", "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        "tests.server_app:application",
        tmp_path,
        server_env,
    )
    try:
        booted = wait_for(lambda: server.output().count("Booting worker") >= 2, 60)
        assert booted, server.output()
        urls = [f"http://127.0.0.1:{port}/enqueue?text=gunicorn-{i}" for i in range(40)]
        answers = request_all(urls)
        # The view answers once the run is recorded (after its commit): PENDING, or QUEUED
        # when the dispatcher sent it before the view answered.
        assert {a["status"] for a in answers} <= {"PENDING", "QUEUED"}
        expected = {f"gunicorn-{i}" for i in range(40)}
        all_ran_once("gunicorn-", expected, server)
        pids = {a["pid"] for a in answers}
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert server.pid not in pids  # Served by the forked workers, not the master.
    assert not OutboxEntry.objects.exists()


def test_uvicorn_async_views_enqueue_with_adelay(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    server = serve(
        ["uvicorn", "--port", str(port), "--lifespan", "off"],
        "tests.server_app:asgi",
        tmp_path,
        server_env,
    )
    try:
        server.wait_for("Uvicorn running on", 60)
        answers = request_all(
            [f"http://127.0.0.1:{port}/aenqueue?text=uvicorn-{i}" for i in range(30)]
        )
        # PENDING, or QUEUED when the dispatcher sent it before the view answered.
        assert {a["status"] for a in answers} <= {"PENDING", "QUEUED"}
        all_ran_once("uvicorn-", {f"uvicorn-{i}" for i in range(30)}, server)
    finally:
        code = server.stop()
    # uvicorn ends itself with the signal it was stopped by, once it has shut down.
    assert code in (0, -signal.SIGTERM), server.output()
    assert not OutboxEntry.objects.exists()


EXITING_SCRIPT = """
import django
django.setup()
from tests.testapp import tasks

runs = [tasks.write_note.delay(f"exit-{i}") for i in range(200)]
print("enqueued", sum(r.engine_run_id is None for r in runs), "not yet sent", flush=True)
"""


def test_a_process_that_exits_sends_what_its_dispatcher_holds(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    script = ManagedProcess(
        [sys.executable, "-c", EXITING_SCRIPT],
        tmp_path / "script.log",
        env={**server_env, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=ROOT,
    ).start()
    assert script.process.wait(60) == 0, script.output()
    # At its exit it sent what it held: nothing waits in the outbox for a relay.
    assert not OutboxEntry.objects.exists(), script.output()
    all_ran_once("exit-", {f"exit-{i}" for i in range(200)})
