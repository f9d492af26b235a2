"""pytest fixtures for projects that use django-hatchet (registered as a pytest plugin).

- ``captured_jobs``: the runs enqueued during the test, not run (``django_hatchet.testing``).
- ``job_clock``: jobs run inline, countdown/eta runs wait for ``job_clock.advance(...)``.
- ``hatchet_worker``: jobs run on a real Hatchet engine, by a real worker on the test
  database; the test sees only its own runs (``django_hatchet.testing.worker``). Needs
  pytest-django. The engine and the worker start once per session
  (``hatchet_test_engine``).

At the end of each test, before its teardown, the runs it enqueued on an engine are sent
(background dispatch sends them from a thread of the test's process).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from . import CapturedRuns, VirtualClock, capture_jobs, virtual_clock

if TYPE_CHECKING:
    from .worker import EngineConnection, HatchetWorker, WorkerProcess


@pytest.fixture
def captured_jobs() -> Iterator[CapturedRuns]:
    with capture_jobs() as captured:
        yield captured


@pytest.fixture
def job_clock() -> Iterator[VirtualClock]:
    with virtual_clock() as clock:
        yield clock


def _start_timeout() -> float:
    from .worker import option

    return float(option("HATCHET_TEST_START_TIMEOUT", "120") or 120)


def _fail(exc: Exception) -> NoReturn:
    """Fail the test with ``exc``'s message, once: not followed by the exceptions it was
    raised from or during, which pytest would print too."""
    raise pytest.fail.Exception(str(exc), pytrace=False) from None


@pytest.fixture(scope="session")
def hatchet_test_engine() -> Iterator[EngineConnection]:
    """The Hatchet engine of the test session: the one ``HATCHET_TEST_CLIENT_TOKEN`` names,
    or the SDK's embedded engine, started here and stopped at the end. Fails (never skips)
    when there is none, saying what to set."""
    from .worker import EngineUnavailable, check_reachable, start_engine

    try:
        engine = start_engine()
    except EngineUnavailable as exc:
        _fail(exc)
    try:
        check_reachable(engine)
    except EngineUnavailable as exc:
        engine.stop()
        _fail(exc)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def _hatchet_worker_databases() -> None:
    """Refuse a test database the worker could not see, before an engine starts."""
    from django.conf import settings

    from .worker import EngineUnavailable, check_test_databases

    try:
        check_test_databases(settings.DATABASES)
    except EngineUnavailable as exc:
        _fail(exc)


@pytest.fixture(scope="session")
def hatchet_worker_process(
    _hatchet_worker_databases: None,  # First: before the engine starts.
    hatchet_test_engine: EngineConnection,
    django_db_setup: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    """``runworker`` in a subprocess for the session, on the test database."""
    from .worker import EngineUnavailable, WorkerProcess

    try:
        process = WorkerProcess(hatchet_test_engine, tmp_path_factory.mktemp("hatchet_worker"))
        process.wait_until_ready(_start_timeout())
    except EngineUnavailable as exc:
        _fail(exc)
    yield process
    process.stop()


@pytest.fixture
def hatchet_worker(
    hatchet_worker_process: WorkerProcess,
    hatchet_test_engine: EngineConnection,
    transactional_db: None,
) -> Iterator[HatchetWorker]:
    """Jobs enqueued in the test run on the session's worker; ``hatchet_worker.runs()`` and
    ``hatchet_worker.wait_for(job)`` see this test's runs only. The test's database is
    transactional (rows are committed, so that the worker sees them)."""
    from .worker import EngineUnavailable, HatchetWorker

    worker = HatchetWorker(hatchet_worker_process, hatchet_test_engine)
    try:
        hatchet_worker_process.check_alive()
    except EngineUnavailable as exc:
        _fail(exc)
    with worker.active():
        yield worker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Before a test's fixtures are torn down (its settings, its database), let the runs it
    enqueued on an engine be sent and the dispatcher's thread end with its database
    connections: a send after the teardown would find another test's settings and database,
    and an open connection would keep the test database from being dropped."""
    import sys

    dispatcher = sys.modules.get("django_hatchet.backends.dispatcher")  # Loaded: an engine.
    if dispatcher is not None:
        dispatcher.drain_all(timeout=30.0)
        _close_async_connections()
    return (yield)


def _close_async_connections() -> None:
    """Close the database connections of asgiref's thread for ``sync_to_async`` outside a
    request (an async test's ``adelay()`` records its run there); a request's are closed
    at its end by Django."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    executor = getattr(SyncToAsync, "single_thread_executor", None)
    if executor is not None:
        executor.submit(connections.close_all).result(timeout=30)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used ``hatchet_worker`` shows what the worker printed meanwhile."""
    report = yield
    worker: Any = (getattr(item, "funcargs", None) or {}).get("hatchet_worker")
    if report.failed and worker is not None and report.when in ("call", "teardown"):
        report.sections.append(("hatchet worker output", worker.log or "(nothing)"))
    return report
