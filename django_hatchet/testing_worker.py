"""A real worker on a real engine, for integration tests: the ``hatchet_worker`` fixture.

Once per test session, the pytest plugin starts a Hatchet engine (the SDK's embedded engine,
or uses the running engine that ``HATCHET_TEST_CLIENT_TOKEN`` names) and a
``runworker`` subprocess with the project's jobs, on the test database. Each test gets a
``HatchetWorker``: the engine's settings for the test's duration, and a view of the runs
that this test enqueued, and only those (each carries the test's tag in its metadata).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from .runs import JobRun

if TYPE_CHECKING:
    from .jobs import Job

__all__ = ["TEST_KEY", "EngineConnection", "EngineUnavailable", "HatchetWorker", "WorkerProcess"]

#: The additional metadata key that names the test a run belongs to.
TEST_KEY = "django_hatchet_test"
#: The printed line that says the worker has registered its jobs and listens.
READY_LINE = "waiting for tasks"
#: Runs are listed from this long before the test started (clocks differ between hosts).
CLOCK_SKEW = timedelta(minutes=1)

WHAT_TO_SET = (
    "The hatchet_worker fixture starts the SDK's embedded engine: set "
    "HATCHET_CLIENT_EMBEDDED_BINARY_PATH to the engine's sidecar binary (the SDK downloads one "
    "from GitHub when it is unset) and HATCHET_CLIENT_EMBEDDED_DATABASE_URL to a PostgreSQL "
    "database of the engine's own (the sidecar otherwise starts a bundled one). To use an "
    "engine that is already running instead, set HATCHET_TEST_CLIENT_TOKEN (with "
    "HATCHET_TEST_CLIENT_HOST_PORT, HATCHET_TEST_CLIENT_SERVER_URL and "
    "HATCHET_TEST_CLIENT_TLS_STRATEGY when the token's addresses are not the right ones). "
    "See docs/testing.md."
)


class EngineUnavailable(Exception):
    """The engine for the tests cannot be started or reached; the message says what to set."""


def option(name: str, default: str | None = None) -> str | None:
    """A setting of the test fixtures: the environment variable, else the Django setting."""
    value = os.environ.get(name)
    if value:
        return value
    value = getattr(settings, name, None)
    return default if value in (None, "") else str(value)


@dataclass
class EngineConnection:
    """How to reach the engine of the test session."""

    token: str
    host_port: str | None = None
    server_url: str | None = None
    tls_strategy: str | None = None
    #: A namespace of this session's own: its jobs never meet another session's.
    namespace: str = field(default_factory=lambda: f"pytest{uuid.uuid4().hex[:8]}")
    stop: Callable[[], None] = field(default=lambda: None, repr=False)

    def settings(self) -> dict[str, Any]:
        """The Django settings that point django-hatchet at this engine."""
        return {
            "HATCHET_CLIENT_TOKEN": self.token,
            "HATCHET_CLIENT_HOST_PORT": self.host_port,
            "HATCHET_CLIENT_SERVER_URL": self.server_url,
            "HATCHET_CLIENT_TLS_STRATEGY": self.tls_strategy,
            "HATCHET_CLIENT_NAMESPACE": self.namespace,
            "HATCHET_ALWAYS_INLINE": False,
            "HATCHET_EMBEDDED": False,
        }


def import_sdk() -> None:
    """Import the SDK, quietly: hatchet-sdk 1.43 warns when imported (tenacity's deprecated
    'initial'), which a project's ``filterwarnings = error`` would turn into a failure."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "The 'initial' parameter is deprecated", category=DeprecationWarning
        )
        from . import engine  # noqa: F401


def start_engine() -> EngineConnection:
    """The running engine named by ``HATCHET_TEST_CLIENT_TOKEN``, or a new embedded one."""
    import_sdk()
    token = option("HATCHET_TEST_CLIENT_TOKEN")
    if token:
        return EngineConnection(
            token,
            option("HATCHET_TEST_CLIENT_HOST_PORT"),
            option("HATCHET_TEST_CLIENT_SERVER_URL"),
            option("HATCHET_TEST_CLIENT_TLS_STRATEGY"),
        )
    from hatchet_sdk.config import EmbeddedHatchetConfig
    from hatchet_sdk.embedded import start_embedded_sidecar

    # The SDK reads HATCHET_CLIENT_EMBEDDED_* from the environment; Django settings of the
    # same names stand in for the variables that are not set.
    given: dict[str, Any] = {}
    for name in ("binary_path", "database_url", "grpc_port", "api_port"):
        variable = f"HATCHET_CLIENT_EMBEDDED_{name.upper()}"
        value = getattr(settings, variable, None)
        if value and not os.environ.get(variable):
            given[name] = value
    try:
        sidecar = start_embedded_sidecar(EmbeddedHatchetConfig(**given))
    except Exception as exc:
        raise EngineUnavailable(
            f"The Hatchet engine for the tests did not start: {type(exc).__name__}: {exc}\n"
            + WHAT_TO_SET
        ) from exc
    handshake = sidecar.handshake
    return EngineConnection(
        handshake.token,
        handshake.grpc_address,
        handshake.api_url or None,
        "none",
        stop=sidecar.stop,
    )


def check_reachable(engine: EngineConnection) -> None:
    """Raise EngineUnavailable unless the engine answers and accepts the token."""
    from . import engine as sdk

    with override_settings(**engine.settings()):
        try:
            sdk.connect(1, on_retry=lambda *args: None)
        except sdk.EngineError as exc:
            raise EngineUnavailable(f"{exc}\n{WHAT_TO_SET}") from None


def worker_databases(databases: dict[str, Any]) -> dict[str, Any]:
    """The test process's ``DATABASES`` (with pytest-django's test names), for the worker."""
    for alias, database in databases.items():
        name = str(database.get("NAME") or "")
        if database["ENGINE"].endswith("sqlite3") and (
            name in ("", ":memory:") or "mode=memory" in name
        ):
            raise EngineUnavailable(
                f"The hatchet_worker fixture runs jobs in a worker process, which cannot see "
                f"the in-memory SQLite test database of DATABASES[{alias!r}]. Run these tests "
                "on PostgreSQL (or MySQL), or give SQLite a file: "
                f"DATABASES[{alias!r}]['TEST'] = {{'NAME': 'test.sqlite3'}}."
            )
    try:
        return json.loads(json.dumps(databases))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise EngineUnavailable(
            f"The hatchet_worker fixture passes DATABASES to the worker as JSON, and cannot: {exc}."
        ) from None


SETTINGS_MODULE = '''\
"""Written by django-hatchet's hatchet_worker fixture: the test session's settings, on the
test database and the test engine."""

import importlib as _importlib
import json as _json
import os as _os

_base = _importlib.import_module(_os.environ["DJANGO_HATCHET_TEST_BASE_SETTINGS"])
globals().update({_k: _v for _k, _v in vars(_base).items() if _k.isupper()})
globals().update(_json.loads(_os.environ["DJANGO_HATCHET_TEST_SETTINGS"]))
'''

#: Environment variables that would point the worker elsewhere than the test engine.
CONNECTION_VARIABLES = (
    "HATCHET_CLIENT_TOKEN",
    "HATCHET_CLIENT_HOST_PORT",
    "HATCHET_CLIENT_SERVER_URL",
    "HATCHET_CLIENT_TLS_STRATEGY",
    "HATCHET_CLIENT_NAMESPACE",
    "HATCHET_CLIENT_TENANT_ID",
    "HATCHET_EMBEDDED",
    "HATCHET_EMBEDDED_HANDSHAKE",
)


class WorkerProcess:
    """``python -m django runworker`` in a subprocess, on the test database and engine."""

    def __init__(self, engine: EngineConnection, directory: Path) -> None:
        base = os.environ.get("DJANGO_SETTINGS_MODULE") or getattr(
            settings, "SETTINGS_MODULE", None
        )
        if not base:
            raise EngineUnavailable(
                "The hatchet_worker fixture starts the worker with the test settings, so it "
                "needs them as a module: set DJANGO_SETTINGS_MODULE (pytest-django's "
                "--ds or DJANGO_SETTINGS_MODULE ini option), not settings.configure()."
            )
        self.name = f"{engine.namespace}-worker"
        self.log = directory / "worker.log"
        (directory / "django_hatchet_test_worker_settings.py").write_text(SETTINGS_MODULE)
        overrides = {**engine.settings(), "DATABASES": worker_databases(settings.DATABASES)}
        env = {k: v for k, v in os.environ.items() if k not in CONNECTION_VARIABLES}
        env.update(
            DJANGO_SETTINGS_MODULE="django_hatchet_test_worker_settings",
            DJANGO_HATCHET_TEST_BASE_SETTINGS=base,
            DJANGO_HATCHET_TEST_SETTINGS=json.dumps(overrides),
            # The worker imports what the tests import, from the same places.
            PYTHONPATH=os.pathsep.join([str(directory), *(p or os.getcwd() for p in sys.path)]),
            PYTHONUNBUFFERED="1",
        )
        # A run cancelled at the end of its test stops at once, not when its thread returns.
        env.setdefault("HATCHET_CLIENT_ENABLE_FORCE_KILL_SYNC_THREADS", "true")
        command = [sys.executable, "-m", "django", "runworker", "--name", self.name]
        command += ["--slots", option("HATCHET_TEST_WORKER_SLOTS", "10") or "10"]
        command += shlex.split(option("HATCHET_TEST_WORKER_ARGS", "") or "")
        self.command = command
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def output(self, start: int = 0) -> str:
        """What the worker printed (from byte ``start`` of its log)."""
        with self.log.open("rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def size(self) -> int:
        return self.log.stat().st_size

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise EngineUnavailable(
                f"The hatchet_worker process exited (status {self.process.returncode}). "
                f"Its output:\n{self.output()[-6000:]}"
            )

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.output():
            self.check_alive()
            if time.monotonic() > deadline:
                self.stop()
                raise EngineUnavailable(
                    f"The hatchet_worker process did not start within {timeout:.0f} s "
                    f"(HATCHET_TEST_START_TIMEOUT). Its output:\n{self.output()[-6000:]}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 10) -> None:
        """Stop the worker: gracefully, then by force (the tests are over: what still runs
        was cancelled)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def tagging(tag: str) -> Iterator[None]:
    """Add ``TEST_KEY: tag`` to the metadata of every run this process triggers (every
    thread, a live server's too); the runs a job enqueues inherit it on the worker."""
    from . import engine

    engine.EXTRA_METADATA[TEST_KEY] = tag
    try:
        yield
    finally:
        engine.EXTRA_METADATA.pop(TEST_KEY, None)


class HatchetWorker:
    """What a test sees of the session's worker: the runs it enqueued, and only those."""

    def __init__(self, process: WorkerProcess, engine: EngineConnection) -> None:
        self.process = process
        self.engine = engine
        #: The value of the ``django_hatchet_test`` metadata of this test's runs.
        self.tag = uuid.uuid4().hex
        self.started_at = timezone.now()
        self._log_start = process.size()

    @property
    def log(self) -> str:
        """What the worker printed since this test started."""
        return self.process.output(self._log_start)

    def runs(self, job: Job[Any, Any] | str | None = None) -> list[JobRun[Any]]:
        """This test's runs (of ``job``), oldest first, as the engine lists them now: the
        runs the test enqueued and the runs those enqueued on the worker."""
        from . import engine
        from .backends import get_backend

        name = job if isinstance(job, str) or job is None else job.name
        rows = (
            engine.get_client()
            .runs.list(
                since=self.started_at - CLOCK_SKEW,
                additional_metadata={TEST_KEY: self.tag},
                limit=1000,
                include_payloads=False,
            )
            .rows
            or []
        )
        rows.sort(key=lambda row: row.created_at or row.metadata.created_at)
        backend = get_backend()
        found: list[JobRun[Any]] = []
        for row in rows:
            metadata = row.additional_metadata or {}
            job_name = str(metadata.get(engine.JOB_KEY) or "")
            if name is not None and job_name != name:
                continue
            run: JobRun[Any] = JobRun(
                str(metadata.get(engine.RUN_ID_KEY) or row.workflow_run_external_id),
                job_name,
                backend,
            )
            run.engine_run_id = row.workflow_run_external_id
            run.refresh()
            found.append(run)
        return found

    def wait_for(
        self, job: Job[Any, Any] | str | None = None, *, count: int = 1, timeout: float = 30
    ) -> list[JobRun[Any]]:
        """Wait until at least ``count`` of this test's runs (of ``job``) have finished;
        return the finished ones, oldest first. Fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs(job)
            finished = [run for run in runs if run._status.is_finished]
            if len(finished) >= count:
                return finished
            self.process.check_alive()
            if time.monotonic() > deadline:
                what = f"run(s) of {job if isinstance(job, str) else job.name}" if job else "run(s)"
                raise AssertionError(
                    f"Waited {timeout} s for {count} finished {what} of this test; "
                    f"found {len(finished)} finished of {runs!r}.\n"
                    f"The worker's output during the test:\n{self.log[-4000:]}"
                )
            time.sleep(0.2)

    def cancel_unfinished(self) -> None:
        """Cancel this test's runs that are still queued, running or scheduled, so that none
        reaches the next test."""
        from hatchet_sdk.clients.rest.models.v1_task_status import V1TaskStatus
        from hatchet_sdk.features.runs import BulkCancelReplayOpts, RunFilter

        from . import engine

        client = engine.get_client()
        for schedule in client.scheduled.list(additional_metadata={TEST_KEY: self.tag}).rows or []:
            client.scheduled.delete(schedule.metadata.id)
        if any(not run._status.is_finished for run in self.runs()):
            client.runs.bulk_cancel(
                BulkCancelReplayOpts(
                    filters=RunFilter(
                        since=self.started_at - CLOCK_SKEW,
                        statuses=[V1TaskStatus.QUEUED, V1TaskStatus.RUNNING],
                        additional_metadata={TEST_KEY: self.tag},
                    )
                )
            )

    @contextmanager
    def active(self) -> Iterator[HatchetWorker]:
        """For the test's duration: django-hatchet on the engine, runs tagged as this test's;
        at the end, the test's unfinished runs are cancelled."""
        with override_settings(**self.engine.settings()), tagging(self.tag):
            try:
                yield self
            finally:
                self.cancel_unfinished()

    def __repr__(self) -> str:
        return f"<HatchetWorker {self.process.name} test={self.tag}>"
