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
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from ..runs.handle import JobRun
from ..runs.ids import CLOCK_SKEW
from .lookup import JobRef, job_name
from .processes import READY_LINE, ManagedProcess, NotReady

__all__ = [
    "TEST_KEY",
    "EngineConnection",
    "EngineUnavailable",
    "HatchetWorker",
    "WorkerProcess",
    "check_test_databases",
]

#: The additional metadata key that names the test a run belongs to.
TEST_KEY = "django_hatchet_test"

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
    """Import ``django_hatchet.engine.testing`` (and so the SDK), quietly.

    hatchet-sdk 1.43 warns when imported (tenacity's deprecated 'initial'), which a
    project's ``filterwarnings = error`` would turn into a failure.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "The 'initial' parameter is deprecated", category=DeprecationWarning
        )
        from ..engine import testing  # noqa: F401


def start_engine() -> EngineConnection:
    """The running engine named by ``HATCHET_TEST_CLIENT_TOKEN``, or a new embedded one."""
    import_sdk()
    from ..engine import testing as sdk

    token = option("HATCHET_TEST_CLIENT_TOKEN")
    if token:
        return EngineConnection(
            token,
            option("HATCHET_TEST_CLIENT_HOST_PORT"),
            option("HATCHET_TEST_CLIENT_SERVER_URL"),
            option("HATCHET_TEST_CLIENT_TLS_STRATEGY"),
        )
    # The SDK reads HATCHET_CLIENT_EMBEDDED_* from the environment; Django settings of the
    # same names stand in for the variables that are not set.
    given: dict[str, Any] = {}
    for name in ("binary_path", "database_url", "grpc_port", "api_port"):
        variable = f"HATCHET_CLIENT_EMBEDDED_{name.upper()}"
        value = getattr(settings, variable, None)
        if value and not os.environ.get(variable):
            given[name] = value
    try:
        sidecar = sdk.start_sidecar(**given)
    except Exception as exc:
        raise EngineUnavailable(
            f"The Hatchet engine for the tests did not start: {type(exc).__name__}: {exc}\n"
            + WHAT_TO_SET
        ) from exc
    return EngineConnection(
        sidecar.token, sidecar.grpc_address, sidecar.api_url, "none", stop=sidecar.stop
    )


def check_reachable(engine: EngineConnection) -> None:
    """Raise EngineUnavailable unless the engine answers and accepts the token."""
    import_sdk()
    from ..engine import testing as sdk

    with override_settings(**engine.settings()):
        try:
            sdk.check_connection()
        except sdk.EngineError as exc:
            raise EngineUnavailable(f"{exc}\n{WHAT_TO_SET}") from None


def _in_memory(database: dict[str, Any], name: object) -> bool:
    name = str(name or "")
    return str(database.get("ENGINE", "")).endswith("sqlite3") and (
        name in ("", ":memory:") or "mode=memory" in name
    )


def _in_memory_error(alias: str) -> EngineUnavailable:
    return EngineUnavailable(
        f"The hatchet_worker fixture runs jobs in a worker process, which cannot see "
        f"the in-memory SQLite test database of DATABASES[{alias!r}]. Run these tests "
        "on PostgreSQL (or MySQL), or give SQLite a file: "
        f"DATABASES[{alias!r}]['TEST'] = {{'NAME': 'test.sqlite3'}}."
    )


def check_test_databases(databases: dict[str, Any]) -> None:
    """Raise EngineUnavailable if a test database will be one the worker cannot see (SQLite
    in memory, Django's default for SQLite tests): before the engine and the worker start."""
    for alias, database in databases.items():
        if _in_memory(database, (database.get("TEST") or {}).get("NAME")):
            raise _in_memory_error(alias)


def worker_databases(databases: dict[str, Any]) -> dict[str, Any]:
    """The test process's ``DATABASES`` (with pytest-django's test names), for the worker."""
    for alias, database in databases.items():
        if _in_memory(database, database.get("NAME")):
            raise _in_memory_error(alias)
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


class WorkerProcess(ManagedProcess):
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
        # In the test session's process group, so that a Ctrl-C reaches it too. Stopped
        # gracefully, then by force after 10 s: the tests are over, what still runs was
        # cancelled.
        super().__init__(
            command,
            directory / "worker.log",
            env=env,
            new_group=False,
            stop_timeout=10,
            stdin=subprocess.DEVNULL,
        )
        self.start()

    def check_alive(self) -> None:
        """Raise EngineUnavailable, with the worker's output, if it has exited."""
        if self.process.poll() is not None:
            raise EngineUnavailable(
                f"The hatchet_worker process exited (status {self.process.returncode}). "
                f"Its output:\n{self.output()[-6000:]}"
            )

    def wait_until_ready(self, timeout: float) -> None:
        """Wait until the worker listens; raise EngineUnavailable if it exits or is not ready
        within ``timeout`` seconds (then it is stopped)."""
        try:
            self.wait_for(READY_LINE, timeout)
        except NotReady as exc:
            if exc.returncode is not None:
                self.check_alive()
            raise EngineUnavailable(
                f"The hatchet_worker process did not start within {timeout:.0f} s "
                f"(HATCHET_TEST_START_TIMEOUT). Its output:\n{self.output()[-6000:]}"
            ) from None


@contextmanager
def tagging(tag: str) -> Iterator[None]:
    """Add ``TEST_KEY: tag`` to the metadata of every run this process triggers (every
    thread, a live server's too); the runs a job enqueues inherit it on the worker."""
    import_sdk()
    from ..engine import testing as sdk

    sdk.tag_runs(TEST_KEY, tag)
    try:
        yield
    finally:
        sdk.tag_runs(TEST_KEY, None)


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

    def runs(self, job: JobRef | None = None) -> list[JobRun[Any]]:
        """This test's runs (of ``job``: a job, a Django task, a job's name or its function),
        oldest first, as the engine lists them now: the runs the test enqueued and the runs
        those enqueued on the worker."""
        name = None if job is None else job_name(job, "hatchet_worker.runs()")
        return self._runs(name)

    def _runs(self, name: str | None) -> list[JobRun[Any]]:
        import_sdk()
        from ..backends import get_backend
        from ..engine import testing as sdk

        tagged = sdk.list_runs_tagged(TEST_KEY, self.tag, self.started_at - CLOCK_SKEW)
        backend = get_backend()
        found: list[JobRun[Any]] = []
        for row in tagged:
            if name is not None and row.job_name != name:
                continue
            run: JobRun[Any] = JobRun(row.run_id, row.job_name, backend)
            run.engine_run_id = row.engine_run_id
            run.refresh()
            found.append(run)
        return found

    def wait_for(
        self, job: JobRef | None = None, *, count: int = 1, timeout: float = 30
    ) -> list[JobRun[Any]]:
        """Wait until at least ``count`` of this test's runs (of ``job``) have finished;
        return the finished ones, oldest first. Fail the test after ``timeout`` seconds."""
        name = None if job is None else job_name(job, "hatchet_worker.wait_for()")
        deadline = time.monotonic() + timeout
        while True:
            runs = self._runs(name)
            finished = [run for run in runs if run.known_status.is_finished]
            if len(finished) >= count:
                return finished
            self.process.check_alive()
            if time.monotonic() > deadline:
                what = f"run(s) of {name}" if name else "run(s)"
                raise AssertionError(
                    f"Waited {timeout} s for {count} finished {what} of this test; "
                    f"found {len(finished)} finished of {runs!r}.\n"
                    f"The worker's output during the test:\n{self.log[-4000:]}"
                )
            time.sleep(0.2)

    def cancel_unfinished(self) -> None:
        """Cancel this test's runs that are still queued, running or scheduled, so that none
        reaches the next test."""
        import_sdk()
        from ..engine import testing as sdk

        sdk.delete_schedules_tagged(TEST_KEY, self.tag)
        if any(not run.known_status.is_finished for run in self._runs(None)):
            sdk.cancel_runs_tagged(TEST_KEY, self.tag, self.started_at - CLOCK_SKEW)

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
