"""``manage.py runworker`` as a real process, against a real engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_hatchet import RunStatus, send_event
from django_hatchet.testing.processes import READY_LINE, ManagedProcess
from tests.engine import ROOT, settle, worker_environment
from tests.testapp import tasks
from tests.testapp.models import Note

pytestmark = [pytest.mark.engine, pytest.mark.usefixtures("engine_settings")]


def wait_for(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_banner_lists_engine_jobs_and_crons(start_worker):
    worker = start_worker("--queue", "special", "--slots", "3", "--name", "banner-test")
    banner = worker.output()
    assert "django-hatchet worker 'banner-test' on the Hatchet engine at 127.0.0.1:" in banner
    assert "slots: 3; labels: {'queue': 'special'}" in banner
    assert "tests.testapp.tasks.on_special_queue" in banner
    assert "tests.testapp.tasks.add" not in banner  # not on that queue


def test_a_queue_routes_its_jobs_to_its_workers(start_worker):
    worker = start_worker("--queue", "special")
    pid = tasks.on_special_queue.delay().get(timeout=60)
    assert pid == worker.process.pid


@pytest.mark.parametrize(
    "command",
    [
        ["django-admin", "runworker", "--settings=tests.settings", "--queue", "special"],
        [
            sys.executable,
            "-m",
            "django",
            "runworker",
            "--settings=tests.settings",
            "--queue",
            "special",
        ],
    ],
    ids=["django-admin", "python -m django"],
)
def test_starts_from_every_entry_point(command, hatchet_engine, namespace, tmp_path):
    if command[0] == "django-admin":
        command[0] = str(Path(sys.executable).with_name("django-admin"))
    worker = ManagedProcess(
        command,
        tmp_path / "worker.log",
        env=worker_environment(hatchet_engine, namespace),
        cwd=ROOT,
    ).start()
    try:
        worker.wait_for(READY_LINE, 60)
        assert tasks.on_special_queue.delay().get(timeout=60) == worker.pid
    finally:
        assert worker.stop(60) == 0, worker.output()


def test_sigterm_drains_the_runs_in_flight_then_exits_0(start_worker):
    worker = start_worker("--queue", "drain")
    run = tasks.drain_sleeper.delay(3)
    assert wait_for(lambda: run.status is RunStatus.RUNNING, 30)
    worker.signal(signal.SIGTERM)
    assert worker.process.wait(60) == 0, worker.output()
    assert run.get(timeout=10) == 3
    assert "waiting for" in worker.output()


def test_a_second_signal_forces_the_stop(start_worker):
    worker = start_worker("--queue", "drain")
    run = tasks.drain_sleeper.delay(60)
    assert wait_for(lambda: run.status is RunStatus.RUNNING, 30)
    worker.signal(signal.SIGTERM)
    time.sleep(1)
    worker.signal(signal.SIGTERM)
    assert worker.process.wait(30) != 0
    run.cancel()


def run_command(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", "runworker", "--settings=tests.settings", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_unreachable_engine_is_retried_then_reported(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    env["HATCHET_CLIENT_HOST_PORT"] = "127.0.0.1:1"
    result = run_command(env, "--connect-attempts", "2")
    assert result.returncode == 1
    assert "Cannot reach the Hatchet engine at 127.0.0.1:1" in result.stdout
    assert "retrying in 1 s" in result.stdout
    assert (
        "CommandError: Cannot reach the Hatchet engine at 127.0.0.1:1 after 2 attempts"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_token_the_engine_refuses(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    header, payload, signature = env["HATCHET_CLIENT_TOKEN"].split(".")
    env["HATCHET_CLIENT_TOKEN"] = f"{header}.{payload}.{signature[::-1]}"
    result = run_command(env, "--connect-attempts", "1")
    assert result.returncode == 1
    assert "refused the token" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_that_is_not_a_jwt(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    env["HATCHET_CLIENT_TOKEN"] = "not-a-token"
    result = run_command(env)
    assert result.returncode == 1
    assert "The Hatchet client settings are not valid" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_are_command_errors(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    result = run_command(env, "--slots", "0")
    assert result.returncode != 0
    assert "--slots: 0 is not 1 or more" in result.stderr
    result = run_command(env, "--jobs", "nope.*")
    assert "No job matches 'nope.*'" in result.stderr


@pytest.mark.usefixtures("worker")
def test_rate_limit_spaces_runs():
    runs = [tasks.rate_limited.delay() for _ in range(3)]
    times = sorted(run.get(timeout=60) for run in runs)
    assert times[-1] - times[0] >= 1.5, times  # 1 a second: 3 runs span about 2 s


def postgres_only():
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the worker process shares the test database only on PostgreSQL")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_an_orm_job_on_postgres():
    postgres_only()
    pk = tasks.write_note.delay("from the worker").get(timeout=60)
    assert Note.objects.get(pk=pk).text == "from the worker"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_an_event_runs_the_jobs_that_listen_to_it():
    postgres_only()
    send_event("tests:note", {"text": "from an event"})
    assert wait_for(lambda: Note.objects.filter(text="from an event").exists(), 60)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("worker")
def test_a_job_enqueued_in_a_transaction_is_dispatched_on_commit():
    from django.db import transaction

    postgres_only()
    with transaction.atomic():
        run = tasks.write_note.delay("on commit")
        assert run.status is RunStatus.PENDING
        assert run.engine_run_id is None
    settle()  # After the commit, the dispatcher sent it.
    assert run.engine_run_id is not None
    assert Note.objects.get(pk=run.get(timeout=60)).text == "on commit"


def test_reload_restarts_the_worker_when_code_changes(start_worker):
    worker = start_worker("--reload", "--queue", "special")
    first = tasks.on_special_queue.delay().get(timeout=60)
    # Each start says it twice: the worker, and its durable worker (worker.durable). The first
    # start is whole before the change (a restart stops a durable worker that has not said it).
    assert wait_for(lambda: worker.output().count(READY_LINE) == 2, 60), worker.output()
    source = Path(tasks.__file__)
    source.touch()  # A new modification time; the content stays as it is.
    assert wait_for(lambda: worker.output().count(READY_LINE) == 4, 60), worker.output()
    assert f"{source} changed: restarting the worker" in worker.output()
    second = tasks.on_special_queue.delay().get(timeout=60)
    assert second != first  # A new worker process ran it.
    assert worker.stop() == 0


def test_embedded_mode_shares_one_local_engine_with_the_web_process(tmp_path, hatchet_engine):
    from django.test import override_settings

    connection_file = tmp_path / "embedded.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=str(ROOT),
        HATCHET_CLIENT_EMBEDDED_BINARY_PATH=subprocess.check_output(
            [str(ROOT / "scripts" / "hatchet-engine"), "build"], text=True
        ).strip(),
        HATCHET_CLIENT_EMBEDDED_DATABASE_URL=subprocess.check_output(
            [str(ROOT / "scripts" / "postgres")],
            env={**os.environ, "PG_DB": "hatchet_engine_embedded_test"},
            text=True,
        ).strip(),
        HATCHET_CLIENT_EMBEDDED_GRPC_PORT="7477",
        HATCHET_CLIENT_EMBEDDED_API_PORT="9288",
    )
    settings_file = tmp_path / "embedded_settings.py"
    settings_file.write_text(
        "from tests.settings import *\n"
        f"HATCHET_EMBEDDED_CONNECTION_FILE = {str(connection_file)!r}\n"
    )
    env["PYTHONPATH"] = f"{tmp_path}:{ROOT}"
    worker = ManagedProcess(
        [sys.executable, "manage.py", "runworker", "--embedded", "--settings=embedded_settings"],
        tmp_path / "worker.log",
        env=env,
        cwd=ROOT,
        new_group=False,
    ).start()
    try:
        worker.wait_for(READY_LINE, 120)
        assert "Embedded engine at 127.0.0.1:7477" in worker.output()
        with override_settings(
            HATCHET_CLIENT_TOKEN=None,
            HATCHET_CLIENT_HOST_PORT=None,
            HATCHET_CLIENT_SERVER_URL=None,
            HATCHET_CLIENT_TLS_STRATEGY=None,
            HATCHET_CLIENT_NAMESPACE=None,
            HATCHET_EMBEDDED=True,
            HATCHET_EMBEDDED_CONNECTION_FILE=str(connection_file),
        ):
            from django_hatchet.conf import conf

            assert conf.TOKEN_SOURCE == "embedded"
            assert tasks.add.delay(20, 1).get(timeout=60) == 21
    finally:
        assert worker.stop(60) == 0, worker.output()
    assert not connection_file.exists()  # Withdrawn when the worker stops.


def test_embedded_refuses_when_a_token_is_configured(hatchet_engine, namespace):
    result = run_command(worker_environment(hatchet_engine, namespace), "--embedded")
    assert result.returncode == 1
    assert (
        "--embedded starts a local engine for development, but a token is configured"
        in result.stderr
    )


def test_the_sdks_healthcheck_is_served_by_the_worker_not_fought_over(start_worker):
    """With the SDK's healthcheck on, the worker serves it; its durable worker process, which
    has the same environment, does not try to bind the same port."""
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker = start_worker(
        "--queue",
        "special",
        env={
            "HATCHET_CLIENT_WORKER_HEALTHCHECK_ENABLED": "true",
            "HATCHET_CLIENT_WORKER_HEALTHCHECK_PORT": str(port),
        },
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                assert answer.status == 200
                break
        except OSError:
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.5)
    time.sleep(3)
    output = worker.output()
    assert "address already in use" not in output.lower(), output
    assert "Errno 98" not in output, output
    assert worker.process.poll() is None, output


@pytest.mark.usefixtures("dispatch_at_once")
def test_one_line_per_attempt_in_the_workers_output(worker):
    import re
    import uuid

    from django_hatchet import JobFailed

    message = f"boom-{uuid.uuid4().hex[:8]}"
    failed = tasks.fail.delay(message)
    with pytest.raises(JobFailed):
        failed.get(timeout=60)
    done = tasks.add.delay(2, 2)
    assert done.get(timeout=60) == 4
    assert wait_for(lambda: done.id in worker.output())
    lines = worker.output().splitlines()
    # The failure: one line, at ERROR, in Django's format; no traceback (that is at DEBUG).
    about_it = [line for line in lines if message in line]
    assert len(about_it) == 1, about_it
    assert re.fullmatch(
        r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR django_hatchet\.worker: "
        rf"tests\.testapp\.tasks\.fail run {failed.id} failed on attempt 1 of 1 in \d+ ms: "
        rf"JobBroke: {message}; no retries left\.",
        about_it[0],
    ), about_it[0]
    # The run that completed: one line, at INFO, that a grep for its id finds.
    [completed] = [line for line in lines if done.id in line]
    assert re.search(
        rf"INFO django_hatchet\.worker: tests\.testapp\.tasks\.add run {done.id} completed in "
        r"\d+ ms \(attempt 1\)\.$",
        completed,
    ), completed
    # The SDK's own lines about each run are left out.
    assert not [
        line for line in lines if "finished step run:" in line or "failed step run:" in line
    ]


def test_a_retried_attempt_is_a_warning(worker):
    run = tasks.flaky.delay(2)  # Fails on its first attempt, completes on its second.
    assert run.get(timeout=60)
    assert wait_for(lambda: f"run {run.id} completed" in worker.output())
    lines = [line for line in worker.output().splitlines() if run.id in line]
    assert any(
        "WARNING django_hatchet.worker:" in line
        and "failed on attempt 1 of 4" in line
        and "the engine retries it." in line
        for line in lines
    ), lines
