"""Fault injection on a real engine: nothing is lost when the engine, a worker or the
database fails. Marked ``faults`` (and ``engine``): ``pytest -m faults`` runs them alone.

These tests use an engine of their own (its own ports and database), which they stop and
start, and workers of their own, serving the ``faults`` queue, which they kill. With
``RELIABILITY_FIGURES=path`` set, each test appends its figures (JSON lines) to that file:
``scripts/reliability`` runs this module and writes them into docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from django_hatchet import RunStatus, chain, group
from django_hatchet.engine.client import reset_client
from django_hatchet.models import OutboxEntry
from django_hatchet.testing.processes import READY_LINE, EngineProcess, ManagedProcess, NotReady
from tests.engine import ENGINE_SCRIPT, ROOT, client_settings, settle, worker_environment
from tests.testapp import tasks
from tests.testapp.models import Note

pytestmark = [pytest.mark.engine, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

N = int(os.environ.get("RELIABILITY_N", "200"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def figures(test: str, **values: Any) -> None:
    """Record this test's figures for docs/reliability.md (with RELIABILITY_FIGURES set)."""
    path = os.environ.get("RELIABILITY_FIGURES")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"test": test, **values}) + "\n")


class Engine(EngineProcess):
    """A Hatchet engine of these tests' own, which they stop and start again. Its database
    outlives the restarts, as a real deployment's does; ``env`` keeps the first start's
    token, which stays valid across restarts."""

    def __init__(self, directory: Path) -> None:
        super().__init__(
            ENGINE_SCRIPT,
            directory,
            grpc_port=free_port(),
            api_port=free_port(),
            database=os.environ.get("TEST_HATCHET_FAULTS_ENGINE_DB", "hatchet_engine_faults"),
            log_name="engine-{start}.log",
        )

    def start(self, timeout: float = 600) -> dict[str, str]:
        try:
            return super().start(timeout)
        except NotReady:
            pytest.fail(f"The engine did not start:\n{self.log.read_text()[-3000:]}", pytrace=False)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = Engine(tmp_path_factory.mktemp("fault-engine"))
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def fault_namespace() -> str:
    return f"f{os.getpid()}{random.randrange(10**6)}"


@pytest.fixture
def on_engine(engine: Engine, fault_namespace: str) -> Iterator[dict[str, Any]]:
    values = client_settings(engine.env, fault_namespace)
    with override_settings(**values):
        reset_client()
        yield values
    reset_client()


class Worker(ManagedProcess):
    """``manage.py runworker --queue faults`` in its own process group, so that a test can
    kill it whole (main process and the SDK's listener), as a crash or the OOM killer does."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        super().__init__(
            [
                sys.executable,
                "manage.py",
                "runworker",
                "--settings=tests.settings",
                "--queue",
                "faults",
                *args,
            ],
            log,
            env=env,
            cwd=ROOT,
            stop_timeout=60,
        )
        self.start()

    def ready(self, timeout: float = 90) -> None:
        try:
            self.wait_for(READY_LINE, timeout)
        except NotReady as exc:
            if exc.returncode is None:
                pytest.fail(f"The worker did not start:\n{self.output()}", pytrace=False)
        if self.process.poll() is not None:
            pytest.fail(f"The worker exited:\n{self.output()}", pytrace=False)

    def kill9(self) -> None:
        self.kill()


@pytest.fixture
def workers(
    engine: Engine, fault_namespace: str, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*args: str, ready: bool = True, env: dict[str, str] | None = None) -> Worker:
        environment = worker_environment(engine.env, fault_namespace)
        environment.update(env or {})
        worker = Worker(environment, tmp_path / f"worker-{len(started)}.log", *args)
        started.append(worker)
        if ready:
            worker.ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def counts(prefix: str) -> tuple[Counter[str], Counter[str]]:
    """(starts, completions) per key of ``tasks.record`` runs whose key starts with prefix."""
    starts: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for text in Note.objects.filter(text__contains=prefix).values_list("text", flat=True):
        kind, _, key = text.partition(":")
        (starts if kind == "start" else done)[key] += 1
    return starts, done


# The engine fails ----------------------------------------------------------------------------


def test_runs_enqueued_while_the_engine_is_down_run_exactly_once_when_it_is_back(
    engine: Engine, on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """Outbox: N runs enqueued with the engine stopped wait in the database; two workers
    (two relays) send them once it is back; each runs exactly once."""
    engine.stop()
    started = time.monotonic()
    runs = [tasks.record.delay(f"outbox-{i}") for i in range(N)]
    enqueue_seconds = time.monotonic() - started
    assert OutboxEntry.objects.count() == N
    assert {run.status for run in runs} == {RunStatus.PENDING}

    engine.start()
    back = time.monotonic()
    workers("--name", "relay-a")
    workers("--name", "relay-b")
    assert wait_for(lambda: sum(counts("outbox-")[1].values()) >= N, 180), counts("outbox-")
    drained = time.monotonic() - back
    time.sleep(3)  # Any duplicate would show up by now.
    starts, done = counts("outbox-")
    assert len(done) == N
    assert set(done.values()) == {1}, [k for k, v in done.items() if v > 1]
    assert set(starts.values()) == {1}
    assert not OutboxEntry.objects.exists()
    assert {run.refresh() for run in runs[:20]} == {RunStatus.COMPLETED}
    figures(
        "outbox",
        n=N,
        enqueue_seconds=round(enqueue_seconds, 2),
        seconds_from_engine_start_to_all_done=round(drained, 1),
        completed=len(done),
        duplicates=sum(v - 1 for v in done.values()),
        relays=2,
    )


def test_runs_queued_on_the_engine_survive_its_restart(
    engine: Engine, on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """Runs the engine has queued (no worker running) are still there after it restarts."""
    workers("--name", "registers-the-jobs").stop()
    runs = tasks.record.delay_many([(f"restart-{i}",) for i in range(50)])
    settle()
    assert {run.status for run in runs} == {RunStatus.QUEUED}
    assert not OutboxEntry.objects.exists()
    time.sleep(2)  # The engine writes new runs asynchronously.
    engine.stop()
    engine.start()
    workers("--name", "after-restart")
    assert wait_for(lambda: len(counts("restart-")[1]) == 50, 120), counts("restart-")
    _, done = counts("restart-")
    assert set(done.values()) == {1}
    figures("engine_restart", n=50, completed=len(done), duplicates=sum(done.values()) - 50)


def test_the_engine_down_30_s_while_500_runs_are_enqueued_from_threads(
    engine: Engine, on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """Background dispatch: five threads enqueue 500 runs while the engine goes down for
    30 s and comes back; the dispatcher sends what it can, the rest waits in the outbox; once
    the engine is back, every run runs exactly once."""
    total, threads = 500, 5
    stopped, back = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def enqueue(t: int) -> None:
        try:
            for i in range(total // threads):
                tasks.record.delay(f"down30-{t}-{i}")
                # Spread over the outage: some before it, most during, some after.
                if i == 10 and t == 0:
                    stopped.wait(60)
                time.sleep(0.3 if not back.is_set() else 0.0)
        except BaseException as exc:  # Reported by the test's thread.
            errors.append(exc)
        finally:
            connection.close()

    callers = [threading.Thread(target=enqueue, args=(t,)) for t in range(threads)]
    for caller in callers:
        caller.start()
    time.sleep(1)
    engine.stop()
    stopped.set()
    down_at = time.monotonic()
    time.sleep(30)
    engine.start()
    back.set()
    down_for = time.monotonic() - down_at
    for caller in callers:
        caller.join(120)
    assert not errors, errors
    in_outbox = OutboxEntry.objects.count()
    workers("--name", "relay-a")
    workers("--name", "relay-b")
    assert wait_for(lambda: len(counts("down30-")[1]) >= total, 300), len(counts("down30-")[1])
    time.sleep(3)  # Any duplicate would show up by now.
    starts, done = counts("down30-")
    assert len(done) == total
    assert set(done.values()) == {1}, [k for k, v in done.items() if v > 1]
    assert set(starts.values()) == {1}
    assert wait_for(lambda: not OutboxEntry.objects.exists(), 30)
    figures(
        "engine_down_30s_threads",
        n=total,
        threads=threads,
        seconds_down=round(down_for, 1),
        in_outbox_when_back=in_outbox,
        completed=len(done),
        duplicates=sum(v - 1 for v in done.values()),
    )


WEB_PROCESS = """
import os, signal, sys
import django
django.setup()
from django.db import transaction
from tests.testapp import tasks

n, batches = int(sys.argv[1]), int(sys.argv[2])
for b in range(batches):
    with transaction.atomic():
        tasks.record.delay_many([(f"webkill-{b}-{i}",) for i in range(n // batches)])
        tasks.record.delay(f"webkill-{b}-single")
os.kill(os.getpid(), signal.SIGKILL)  # Right after the last commit.
"""


def test_a_web_process_killed_9_right_after_its_commit_loses_no_run(
    engine: Engine, on_engine: dict[str, Any], fault_namespace: str, workers: Callable[..., Worker]
) -> None:
    """A process enqueues in transactions and is killed -9 right after its last commit, its
    dispatcher in the middle of sending: the runs it had not sent are in the outbox, claimed
    by the dead process; once the claim runs out, a relay sends them (looking each up on the
    engine first); every run runs exactly once."""
    import subprocess

    n, batches = 400, 4
    env = worker_environment(engine.env, fault_namespace)
    killed = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS, str(n), str(batches)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    expected = n + batches
    left = OutboxEntry.objects.count()
    started = time.monotonic()
    workers("--name", "relay-after-kill")
    assert wait_for(lambda: len(counts("webkill-")[1]) >= expected, 240), len(counts("webkill-")[1])
    time.sleep(3)  # Any duplicate would show up by now.
    starts, done = counts("webkill-")
    assert len(done) == expected
    assert set(done.values()) == {1}, [k for k, v in done.items() if v > 1]
    assert set(starts.values()) == {1}
    assert wait_for(lambda: not OutboxEntry.objects.exists(), 30)
    figures(
        "web_kill9",
        n=expected,
        left_in_outbox=left,
        seconds_to_all_done=round(time.monotonic() - started, 1),
        completed=len(done),
        duplicates=sum(v - 1 for v in done.values()),
    )


# A worker fails -----------------------------------------------------------------------------


def flowing(started_before: int) -> Callable[[], bool]:
    """True once runs start past ``started_before``."""
    return lambda: sum(counts("kill-")[0].values()) > started_before


def test_a_worker_killed_9_three_times_loses_nothing(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """N runs of 0.5 s on 10 slots. Three times, a worker is killed -9 (its whole process
    group, as a crash or the OOM killer does) at a random moment while runs are in flight,
    and a new one started. The engine gives the dead worker's runs to a live one: all
    complete, at least once."""
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", "7")))
    tasks.record.delay_many([(f"kill-{i}", 0.5) for i in range(N)])
    kills = []
    for round_ in range(3):
        worker = workers("--slots", "10", "--name", f"doomed-{round_}")
        assert wait_for(flowing(sum(counts("kill-")[0].values())), 120)
        delay = rng.uniform(0.2, 2.0)
        time.sleep(delay)
        starts, done = counts("kill-")
        worker.kill9()
        kills.append(
            {
                "seconds_into_work": round(delay, 2),
                "started_not_done": sum(starts.values()) - sum(done.values()),
                "completed_so_far": len(done),
            }
        )
    rescuer_started = time.monotonic()
    workers("--slots", "10", "--name", "rescuer")
    assert wait_for(lambda: len(counts("kill-")[1]) == N, 600), len(counts("kill-")[1])
    time.sleep(3)  # Any late duplicate would show up by now.
    starts, done = counts("kill-")
    figures(
        "kill9",
        n=N,
        completed=len(done),
        runs_started=sum(starts.values()),
        reruns=sum(starts.values()) - N,
        duplicate_completions=sum(done.values()) - N,
        kills=kills,
        seconds_for_the_last_worker=round(time.monotonic() - rescuer_started, 1),
    )
    assert len(done) == N
    assert all(k["started_not_done"] > 0 for k in kills), kills  # Kills hit runs in flight.


def test_sigterm_with_10_runs_in_flight_finishes_them_and_exits_0(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    worker = workers("--slots", "10", "--name", "drained")
    tasks.record.delay_many([(f"drain-{i}", 3.0) for i in range(10)])
    assert wait_for(lambda: len(counts("drain-")[0]) == 10, 60), counts("drain-")
    assert len(counts("drain-")[1]) == 0  # All 10 in flight.
    sent = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    code = worker.process.wait(60)
    seconds = time.monotonic() - sent
    _, done = counts("drain-")
    figures("sigterm", in_flight=10, completed=len(done), exit_code=code, seconds=round(seconds, 1))
    assert code == 0, worker.output()
    assert len(done) == 10
    assert set(done.values()) == {1}


def test_the_drain_timeout_bounds_a_graceful_stop(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """A run still going at the deadline: the worker says which, and stops (exit 1); the
    engine gives the run to the next worker."""
    worker = workers("--slots", "2", "--name", "stubborn", "--drain-timeout", "3")
    assert "drain timeout: 3 s" in worker.output()
    run = tasks.record.delay("deadline-0", 30.0)
    assert wait_for(lambda: len(counts("deadline-")[0]) == 1, 60)
    sent = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    code = worker.process.wait(60)
    seconds = time.monotonic() - sent
    output = worker.output()
    assert code == 1, output
    assert "The drain timeout (3 s) has passed with runs still going" in output
    assert f"tests.testapp.tasks.record run {run.id}" in output
    assert not wait_for(lambda: worker.process.poll() is None, 0)
    figures(
        "drain_timeout", timeout_seconds=3, stopped_after_seconds=round(seconds, 1), exit_code=code
    )


# The database fails -------------------------------------------------------------------------


def worker_connections(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("conn_max_age", [0, 600])
def test_5000_runs_do_not_grow_the_database_connections(
    conn_max_age: int, on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    database = connection.settings_dict["NAME"]
    workers(
        "--slots",
        "10",
        "--name",
        f"conns-{conn_max_age}",
        env={"TEST_CONN_MAX_AGE": str(conn_max_age)},
    )
    warmup = tasks.backend_pid.delay_many([()] * 100)
    [run.get(timeout=120) for run in warmup]
    before = worker_connections(database)
    total = int(os.environ.get("RELIABILITY_CONN_RUNS", "5000"))
    runs = tasks.backend_pid.delay_many([()] * total)
    pids = {run.get(timeout=600) for run in runs}
    after = worker_connections(database)
    figures(
        "connections",
        conn_max_age=conn_max_age,
        runs=total,
        connections_before=before,
        connections_after=after,
        distinct_backends=len(pids),
    )
    if conn_max_age:
        # Persistent: at most one per thread of the pool (10 slots), the relay's, the cron
        # watch's (it applies the admin's crons every 10 s) and the main thread's, reused run
        # after run.
        assert after <= 10 + 3, (before, after)
        assert len(pids) <= 10 + 2
    else:
        assert after <= before + 1, (before, after)  # Each run closes its own.


def test_jobs_succeed_after_the_database_drops_every_connection(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """What a worker sees of a PostgreSQL restart: every connection closed under it. Later
    runs get new connections and succeed, with persistent connections too."""
    database = connection.settings_dict["NAME"]
    workers("--slots", "4", "--name", "db-restart", env={"TEST_CONN_MAX_AGE": "600"})
    first = {run.get(timeout=120) for run in tasks.backend_pid.delay_many([()] * 20)}
    in_flight = tasks.record.delay("dbdrop-0", 2.0)
    assert wait_for(lambda: len(counts("dbdrop-")[0]) == 1, 60)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        terminated = int(cursor.fetchone()[0])
    after = {run.get(timeout=120) for run in tasks.backend_pid.delay_many([()] * 20)}
    assert not first & after  # New connections.
    # The run whose connection was cut fails this attempt, and its retry completes.
    assert in_flight.get(timeout=120) == "dbdrop-0"
    figures(
        "database_restart",
        connections_terminated=terminated,
        later_runs_succeeded=20,
        run_in_flight="completed on a retry",
    )


def test_single_flight_skips_an_overlapping_run(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    from tests.testapp import fault_tasks

    workers("--slots", "4", "--name", "single")
    first = fault_tasks.single.delay("a", 3.0)
    assert wait_for(lambda: Note.objects.filter(text="single:a").exists(), 60)
    second = fault_tasks.single.delay("b", 0.0)
    assert second.get(timeout=60) is None
    assert (
        second.skipped
        == "single_flight: another run of tests.testapp.fault_tasks.single held its lock"
    )
    assert not Note.objects.filter(text="single:b").exists()
    assert first.get(timeout=60) == "a"
    assert first.skipped is None
    third = fault_tasks.single.delay("c", 0.0)  # The lock was released.
    assert third.get(timeout=60) == "c"


def test_a_run_enqueued_before_any_worker_registered_its_job_waits_for_one(
    on_engine: dict[str, Any], engine: Engine, tmp_path: Path
) -> None:
    """The engine answers a run of a job it does not know with an id, then drops it. The
    enqueuing process registers the job's definition first, so the run waits, visible."""
    from django_hatchet.engine import runs as sdk

    namespace = f"fresh{random.randrange(10**9)}"
    with override_settings(HATCHET_CLIENT_NAMESPACE=namespace):
        reset_client()
        run = tasks.record.delay("early-0")
        settle()
        assert wait_for(lambda: sdk.run_details(run.engine_run_id or "") is not None, 30)
        assert run.status is RunStatus.QUEUED
        environment = worker_environment(engine.env, namespace)
        worker = Worker(environment, tmp_path / "late-worker.log")
        try:
            worker.ready()
            assert run.get(timeout=60) == "early-0"
        finally:
            worker.stop()
    reset_client()


# A canvas survives its worker -------------------------------------------------------------


def _kill_during_canvas(
    workers: Callable[..., Worker], canvas: Any, prefix: str, started_before_kill: int
) -> tuple[set[str], Counter[str], Counter[str]]:
    """Apply ``canvas`` on a worker, kill it -9 once ``started_before_kill`` steps have
    started, start another; return the steps completed at the kill, and the counts."""
    doomed = workers("--slots", "3", "--name", f"{prefix}-doomed")
    run = canvas.delay()
    assert wait_for(lambda: sum(counts(prefix)[0].values()) >= started_before_kill, 120)
    done_at_kill = set(counts(prefix)[1])
    doomed.kill9()
    workers("--slots", "3", "--name", f"{prefix}-rescuer")
    run.get(timeout=240)
    time.sleep(3)  # Any late duplicate would show up by now.
    starts, done = counts(prefix)
    return done_at_kill, starts, done


def test_a_chain_survives_its_worker_killed_9_and_runs_no_completed_step_again(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    steps = [f"kchain-{i}" for i in range(4)]
    canvas = chain(tasks.record.si(key, 1.5) for key in steps)
    done_at_kill, starts, done = _kill_during_canvas(workers, canvas, "kchain-", 2)
    figures("kill9_chain", done_at_kill=sorted(done_at_kill), starts=dict(starts))
    assert done_at_kill  # The kill came after a step had completed...
    assert set(done) == set(steps)  # ...and the canvas still completed every step,
    assert all(starts[key] == 1 for key in done_at_kill)  # never running a completed one again.


def test_a_group_survives_its_worker_killed_9_and_runs_no_completed_member_again(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    members = [f"kgroup-{i}" for i in range(6)]
    canvas = group(tasks.record.si(key, 2) for key in members)
    done_at_kill, starts, done = _kill_during_canvas(workers, canvas, "kgroup-", 4)
    figures("kill9_group", done_at_kill=sorted(done_at_kill), starts=dict(starts))
    assert done_at_kill
    assert set(done) == set(members)
    assert all(starts[key] == 1 for key in done_at_kill)


def test_a_durable_sleep_survives_its_worker_killed_9_and_ends_once(
    on_engine: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    """A durable job killed mid-sleep: the engine gives it to a new worker, which replays it
    from the top (its code before the sleep runs again) and finishes it once, when the sleep
    recorded at its first start is over."""
    doomed = workers("--slots", "3", "--name", "ksleep-doomed")
    started = time.monotonic()
    run = tasks.fault_nap.delay("ksleep", 8, child="ksleep-child")
    assert wait_for(lambda: counts("ksleep")[0]["ksleep"] >= 1, 120)
    time.sleep(1)  # Asleep on the engine now.
    doomed.kill9()
    killed_at = time.monotonic() - started
    workers("--slots", "3", "--name", "ksleep-rescuer")
    assert run.get(timeout=240) == "ksleep"
    finished_at = time.monotonic() - started
    time.sleep(3)  # Any late duplicate would show up by now.
    starts, done = counts("ksleep")
    figures(
        "kill9_durable_sleep",
        killed_at=round(killed_at, 1),
        finished_at=round(finished_at, 1),
        starts=starts["ksleep"],
        done=done["ksleep"],
        child_runs=starts["ksleep-child"],
    )
    assert done["ksleep"] == 1
    # The run it enqueued before the sleep, enqueued again by the replay, ran once.
    assert (starts["ksleep-child"], done["ksleep-child"]) == (1, 1)
    assert starts["ksleep"] in (1, 2)  # 2 when the replay ran the code before the sleep.
    assert finished_at >= 8  # It slept its whole time, not less.
