"""Background dispatch (``backends/dispatcher.py`` and the engine backend's use of it).

The engine's side is replaced by a recorder of the requests it would get (``FakeSends``):
what is tested here is the thread, the batches and the outbox rows. The same behaviour on a
real engine is in tests/test_engine_dispatch.py, and with the engine down, a killed process
and back-pressure, in tests/test_faults.py.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from django_hatchet import RunStatus, job, signals
from django_hatchet.backends import get_backend
from django_hatchet.backends.dispatcher import Dispatcher, _after_fork_in_child, _at_exit
from django_hatchet.engine import dispatch as engine
from django_hatchet.models import OutboxEntry
from django_hatchet.runs.ids import done_enqueuing, enqueuing_from
from tests.engine import settle
from tests.test_unreachable import engine_at

pytestmark = pytest.mark.django_db(transaction=True)


@job(name="tests.dispatcher.plus")
def plus(a: int, b: int) -> int:
    return a + b


@job(name="tests.dispatcher.raising", on_unreachable="raise")
def raising(a: int) -> int:
    return a


class FakeSends:
    """The engine's side of a send: records each request, answers engine ids."""

    def __init__(self) -> None:
        self.bulk: list[list[str]] = []  # The run ids of each bulk request.
        self.single: list[str] = []  # The job of each single request.
        self.threads: set[str] = set()
        self.gate = threading.Event()  # Cleared: requests wait for it.
        self.gate.set()
        self.error: Exception | None = None

    def start_many(self, calls: list[Any]) -> list[engine.Sent]:
        self.gate.wait(30)
        self.threads.add(threading.current_thread().name)
        if self.error is not None:
            raise self.error
        self.bulk.append([c.metadata["django_hatchet_run_id"] for c in calls])
        return [
            engine.Sent(engine_run_id=f"engine-{c.metadata['django_hatchet_run_id']}")
            for c in calls
        ]

    def trigger(self, name: str, *args: Any) -> engine.Sent:
        self.gate.wait(30)
        self.threads.add(threading.current_thread().name)
        if self.error is not None:
            raise self.error
        self.single.append(name)
        run_at = args[-1]
        if run_at is not None:
            return engine.Sent(schedule_id="schedule-1")
        return engine.Sent(engine_run_id=f"engine-single-{len(self.single)}")


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSends]:
    fake = FakeSends()
    monkeypatch.setattr(engine, "start_many", fake.start_many)
    monkeypatch.setattr(engine, "trigger", fake.trigger)
    monkeypatch.setattr(engine, "ensure_registered", lambda *args: None)
    with engine_at("127.0.0.1:1"):
        yield fake
        fake.gate.set()
        settle()


def test_delay_returns_at_once_and_the_dispatcher_sends_it(sends: FakeSends) -> None:
    sends.gate.clear()
    run = plus.delay(1, 2)
    assert run.known_status is RunStatus.PENDING
    entry = OutboxEntry.objects.get()  # Recorded before the call returned,
    assert entry.id == run.id
    assert entry.claimed_until is not None  # claimed by this process, which sends it.
    assert sends.bulk == []
    sends.gate.set()
    settle()
    assert run.known_status is RunStatus.QUEUED
    assert run.engine_run_id == "engine-single-1"
    assert sends.single == [plus.name]  # One run: a single request,
    assert sends.threads == {"django-hatchet-dispatcher"}  # from the dispatcher's thread.
    assert not OutboxEntry.objects.exists()


def test_in_a_transaction_nothing_is_sent_before_the_commit(sends: FakeSends) -> None:
    with transaction.atomic():
        run = plus.delay(1, 2)
        assert OutboxEntry.objects.filter(pk=run.id).exists()
        time.sleep(0.1)
        assert sends.single == []
    settle()
    assert sends.single == [plus.name]
    assert run.known_status is RunStatus.QUEUED
    assert not OutboxEntry.objects.exists()


def test_runs_that_accumulate_go_in_one_request(sends: FakeSends) -> None:
    sends.gate.clear()
    first = plus.delay(0, 0)  # Taken alone while the engine is slow to answer...
    time.sleep(0.1)
    rest = [plus.delay(i, i) for i in range(1, 50)]  # ...these accumulate meanwhile.
    sends.gate.set()
    settle()
    assert sends.single == [plus.name]
    assert sends.bulk == [[r.id for r in rest]]  # In order, one request.
    assert {r.known_status for r in [first, *rest]} == {RunStatus.QUEUED}
    assert not OutboxEntry.objects.exists()


def test_a_batch_holds_at_most_what_the_engine_takes_in_a_request(
    sends: FakeSends, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend: Any = get_backend()
    monkeypatch.setattr(backend.sender.dispatcher, "batch", 10)
    sends.gate.clear()
    plus.delay(0, 0)
    time.sleep(0.1)
    runs = plus.delay_many([(i, i) for i in range(25)])
    sends.gate.set()
    settle()
    assert [len(b) for b in sends.bulk] == [10, 10, 5]
    assert [i for b in sends.bulk for i in b] == [r.id for r in runs]


def test_delay_many_in_a_transaction_is_one_insert_and_one_request(
    sends: FakeSends, django_assert_max_num_queries: Any
) -> None:
    with transaction.atomic():
        # One INSERT for the 80 rows (SQLite takes 999 parameters a query, 11 a row).
        with django_assert_max_num_queries(1):
            runs = plus.delay_many([(i, i) for i in range(80)])
        assert OutboxEntry.objects.count() == 80
        assert {r.known_status for r in runs} == {RunStatus.PENDING}
    settle()
    assert sends.bulk == [[r.id for r in runs]]
    assert {r.known_status for r in runs} == {RunStatus.QUEUED}
    assert not OutboxEntry.objects.exists()


def test_a_countdown_is_scheduled_by_the_dispatcher(sends: FakeSends) -> None:
    run = plus.apply_async((1, 2), countdown=60)
    settle()
    assert sends.single == [plus.name]
    assert run.known_status is RunStatus.SCHEDULED
    assert run.schedule_id == "schedule-1"


def test_job_enqueued_is_sent_by_the_caller_when_the_run_is_recorded(sends: FakeSends) -> None:
    seen: list[tuple[str, str, str]] = []

    def receiver(sender: Any, run: Any, **kwargs: Any) -> None:
        seen.append((run.id, str(run.known_status), threading.current_thread().name))

    signals.job_enqueued.connect(receiver)
    try:
        run = plus.delay(1, 2)
    finally:
        signals.job_enqueued.disconnect(receiver)
    assert seen == [(run.id, "PENDING", threading.current_thread().name)]


def test_cancel_before_the_send_takes_the_run_back(sends: FakeSends) -> None:
    sends.gate.clear()
    plus.delay(0, 0)  # Being sent: the dispatcher is busy with it.
    time.sleep(0.1)
    run = plus.delay(1, 2)
    run.cancel()
    assert run.known_status is RunStatus.CANCELLED
    assert "was cancelled before it was sent to the engine" in str(run.error)
    assert not OutboxEntry.objects.filter(pk=run.id).exists()
    sends.gate.set()
    settle()
    assert sends.bulk == []  # Only the first run was sent.


def test_an_error_of_the_engine_leaves_the_runs_to_the_relays(
    sends: FakeSends, caplog: pytest.LogCaptureFixture
) -> None:
    import grpc

    class Refused(grpc.RpcError):  # type: ignore[misc]
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.PERMISSION_DENIED

        def details(self) -> str:
            return "bad token"

    sends.error = Refused()
    with caplog.at_level(logging.ERROR, "django_hatchet"):
        run = plus.delay(1, 2)
        settle()
    entry = OutboxEntry.objects.get()
    assert entry.id == run.id
    assert entry.claimed_until is None  # A relay takes it at its next pass,
    assert "Refused" in entry.last_error  # and the admin shows why it waits.
    assert "run(s) of tests.dispatcher.plus were not sent" in caplog.text
    assert run.known_status is RunStatus.PENDING


def test_a_full_dispatcher_leaves_the_runs_to_the_relays(
    sends: FakeSends, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    backend: Any = get_backend()
    monkeypatch.setattr(backend.sender.dispatcher, "capacity", 5)
    sends.gate.clear()
    runs = [plus.delay(0, 0)]
    time.sleep(0.1)  # The thread took it and waits on the engine.
    with caplog.at_level(logging.WARNING, "django_hatchet"):
        runs += [plus.delay(i, i) for i in range(1, 8)]
    # The first is being sent; five wait; two found it full and went to the relays.
    unclaimed = OutboxEntry.objects.filter(claimed_until__isnull=True)
    assert sorted(unclaimed.values_list("id", flat=True)) == sorted(r.id for r in runs[6:])
    assert "The dispatcher is full" in caplog.text
    assert caplog.text.count("The dispatcher is full") == 1  # Once, not per run.
    assert OutboxEntry.objects.count() == 8  # Nothing dropped.
    sends.gate.set()
    settle()
    assert OutboxEntry.objects.count() == 2  # Those wait for a relay.


def test_a_run_whose_claim_ran_out_is_left_to_the_relays(sends: FakeSends) -> None:
    sends.gate.clear()
    plus.delay(0, 0)
    time.sleep(0.1)
    with transaction.atomic():
        late = plus.delay(1, 2)
    backend: Any = get_backend()
    # As if its transaction had lasted past the claim: a relay may be sending it now.
    (waiting,) = backend.sender.dispatcher._waiting.values()
    waiting.claim_ends = time.monotonic()
    sends.gate.set()
    settle()
    assert sends.bulk == []
    assert late.engine_run_id is None
    assert OutboxEntry.objects.filter(pk=late.id, claimed_until__isnull=False).exists()


@pytest.mark.parametrize(
    "why",
    ["the setting", "the raise policy", "inside a run"],
)
def test_when_the_call_sends_the_run_itself(sends: FakeSends, why: str) -> None:
    if why == "the setting":
        with override_settings(HATCHET_BACKGROUND_DISPATCH=False):
            run = plus.delay(1, 2)
    elif why == "the raise policy":
        run = raising.delay(1)
    else:
        token = enqueuing_from("01a24ebb-13b5-737c-96da-c79bcdf56cd8", 1, "parent")
        try:
            run = plus.delay(1, 2)
        finally:
            done_enqueuing(token)
    assert run.known_status is RunStatus.QUEUED  # The engine's answer, in the call.
    assert run.engine_run_id == "engine-single-1"
    assert sends.threads == {threading.current_thread().name}
    assert not OutboxEntry.objects.exists()


def test_without_the_outbox_table_the_run_is_sent_in_the_call(
    sends: FakeSends, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.delete_model(OutboxEntry)
    try:
        with caplog.at_level(logging.WARNING, "django_hatchet"):
            run = plus.delay(1, 2)
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(OutboxEntry)
    assert run.engine_run_id == "engine-single-1"
    assert "The outbox cannot record runs" in caplog.text


async def test_adelay_records_the_run_and_returns(sends: FakeSends) -> None:
    from asgiref.sync import sync_to_async

    sends.gate.clear()
    run = await plus.adelay(1, 2)
    assert run.known_status is RunStatus.PENDING
    sends.gate.set()
    await sync_to_async(settle)()
    assert run.engine_run_id == "engine-single-1"
    assert run.known_status is RunStatus.QUEUED


# The thread itself ------------------------------------------------------------------------


def _dispatches(n: int) -> list[Any]:
    class Run:
        def __init__(self, i: int) -> None:
            self.id = f"run-{i}"

    class Item:
        def __init__(self, i: int) -> None:
            self.run = Run(i)

    return [Item(i) for i in range(n)]


def test_stop_sends_what_it_can_then_leaves_the_rest() -> None:
    gate = threading.Event()
    sent: list[list[str]] = []
    left: list[list[str]] = []

    def send(batch: list[Any]) -> None:
        gate.wait(10)
        sent.append([d.run.id for d in batch])

    dispatcher = Dispatcher(send, lambda batch: left.append([d.run.id for d in batch]), batch=2)
    assert dispatcher.submit(_dispatches(5))
    time.sleep(0.1)  # The thread took the first two and waits on the engine.
    assert dispatcher.stop(timeout=0.2) == 3
    assert left == [["run-2", "run-3", "run-4"]]
    gate.set()
    assert dispatcher.wait_idle(10)
    assert sent == [["run-0", "run-1"]]
    assert not dispatcher.submit(_dispatches(1))  # Stopped: the caller leaves it.


def test_at_exit_every_dispatcher_with_runs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    left: list[str] = []
    gate = threading.Event()

    def send(batch: list[Any]) -> None:
        gate.wait(10)

    dispatcher = Dispatcher(send, lambda b: left.extend(d.run.id for d in b))
    dispatcher.submit(_dispatches(1))
    time.sleep(0.1)
    dispatcher.submit(_dispatches(3)[1:])
    with override_settings(HATCHET_DISPATCH_TIMEOUT=0.2):
        _at_exit()
    assert left == ["run-1", "run-2"]
    gate.set()


def test_the_thread_stops_when_idle_and_starts_again() -> None:
    sent: list[str] = []
    dispatcher = Dispatcher(lambda b: sent.extend(d.run.id for d in b), lambda b: None, idle=0.05)
    dispatcher.submit(_dispatches(1))
    assert dispatcher.wait_idle(10)
    time.sleep(0.3)
    assert dispatcher._thread is None
    dispatcher.submit(_dispatches(2)[1:])
    assert dispatcher.wait_idle(10)
    assert sent == ["run-0", "run-1"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_after_a_fork_the_child_has_its_own_dispatcher(monkeypatch: pytest.MonkeyPatch) -> None:
    from django_hatchet.backends import dispatcher as module

    monkeypatch.setattr(module, "FORK_WAIT", 0.2)  # A send longer than a fork waits for.
    gate = threading.Event()
    sent: list[str] = []

    def send(batch: list[Any]) -> None:
        gate.wait(10)
        sent.extend(d.run.id for d in batch)

    dispatcher = Dispatcher(send, lambda b: None)
    dispatcher.submit(_dispatches(3))  # The parent's thread holds these at the fork.
    time.sleep(0.1)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # The child: none of the parent's runs, and a thread of its own.
        try:
            ok = len(dispatcher) == 0
            gate.set()
            dispatcher.submit(_dispatches(5)[4:])
            ok = ok and dispatcher.wait_idle(10) and sent == ["run-4"]
            os.write(write, b"ok" if ok else repr((len(dispatcher), sent)).encode())
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 200)
    os.waitpid(pid, 0)
    assert answer == b"ok"
    gate.set()
    assert dispatcher.wait_idle(10)
    assert sent == ["run-0", "run-1", "run-2"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_waits_for_the_thread_to_finish_its_send() -> None:
    sent: list[str] = []

    def send(batch: list[Any]) -> None:
        time.sleep(0.3)  # A send (or its first import of gRPC) in progress at the fork.
        sent.extend(d.run.id for d in batch)

    dispatcher = Dispatcher(send, lambda b: None)
    dispatcher.submit(_dispatches(2))
    time.sleep(0.05)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    assert sent == ["run-0", "run-1"]  # Finished before the fork went on,
    assert dispatcher._thread is None  # and its thread ended; the next run starts another.


def test_the_fork_hook_resets_every_dispatcher() -> None:
    dispatcher = Dispatcher(lambda b: time.sleep(10), lambda b: None)
    dispatcher._waiting["x"] = _dispatches(1)[0]
    _after_fork_in_child()
    assert len(dispatcher) == 0
    assert dispatcher._thread is None


def test_the_setting_is_validated() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from django_hatchet.conf import conf

    with (
        override_settings(HATCHET_BACKGROUND_DISPATCH="yes"),
        pytest.raises(
            ImproperlyConfigured, match="HATCHET_BACKGROUND_DISPATCH must be True or False"
        ),
    ):
        conf.BACKGROUND_DISPATCH  # noqa: B018


@pytest.mark.django_db
def test_the_thread_closes_its_own_connection_to_an_in_memory_sqlite_database() -> None:
    # Django's close() leaves an in-memory database's connection open (lest the database go
    # with it); a thread's own connection, left to the garbage collector, is reported
    # unclosed by Python 3.13. The test's connection keeps the database.
    from django.db import connection

    from django_hatchet.backends.dispatcher import _close_connections

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():  # type: ignore[attr-defined]
        pytest.skip("about in-memory SQLite test databases")
    seen: dict[str, Any] = {}

    def in_a_thread() -> None:
        from django.db import connection as own

        own.ensure_connection()
        seen["raw"] = own.connection
        _close_connections(obsolete_only=False)
        seen["after"] = own.connection

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join(10)
    assert seen["raw"] is not None
    assert seen["after"] is None
    assert OutboxEntry.objects.count() >= 0  # The test's database is still there.
