"""The engine cannot be reached at enqueue: the outbox, raise and inline policies, with
background dispatch (the default: ``settle()`` waits for the dispatcher's attempt) and with
the send in the call (``HATCHET_BACKGROUND_DISPATCH = False``).

The engine here is a real address with nothing listening (a port this test closed), so the
SDK's gRPC calls fail as they do when an engine is down; nothing is mocked. The relay's side,
with an engine that comes back, is in tests/test_faults.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import override_settings

from django_hatchet import EngineUnreachable, RunStatus, get_run, job
from django_hatchet.backends import get_backend
from django_hatchet.models import OutboxEntry
from django_hatchet.worker.relay import Relay
from tests.admin_fixtures import FAKE_TOKEN
from tests.engine import settle

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def engine_at(address: str, **settings: Any) -> override_settings:
    """Settings of a project whose engine is at ``address``."""
    return override_settings(
        HATCHET_CLIENT_TOKEN=FAKE_TOKEN,
        HATCHET_CLIENT_HOST_PORT=address,
        HATCHET_CLIENT_SERVER_URL=f"http://{address}",
        HATCHET_CLIENT_TLS_STRATEGY="none",
        HATCHET_CLIENT_NAMESPACE="",
        **settings,
    )


@pytest.fixture
def engine_down() -> Iterator[str]:
    address = f"127.0.0.1:{closed_port()}"
    with engine_at(address):
        yield address


@pytest.fixture
def engine_silent() -> Iterator[str]:
    """An engine that accepts connections and never answers (hung, or behind a proxy that
    swallows the traffic). The SDK sets no deadline on its calls: it waits for gRPC's 20 s
    connection timeout here, and forever on an engine that took the request."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    address = f"127.0.0.1:{server.getsockname()[1]}"
    try:
        with engine_at(address, HATCHET_DISPATCH_TIMEOUT=0.5):
            yield address
    finally:
        stop.set()
        thread.join()
        for conn in [*held, server]:
            conn.close()


RAN: list[int] = []


@job(name="tests.unreachable.default")
def default_job(n: int) -> int:
    RAN.append(n)
    return n * 2


@job(name="tests.unreachable.raising", on_unreachable="raise")
def raising_job(n: int) -> int:
    return n


@job(name="tests.unreachable.inline", on_unreachable="inline")
def inline_job(n: int) -> int:
    RAN.append(n)
    return n + 1


@pytest.fixture
def jobs() -> dict[str, Any]:
    RAN.clear()
    return {"default": default_job, "raise": raising_job, "inline": inline_job, "ran": RAN}


def test_outbox_is_the_default_and_keeps_the_run_with_its_id(
    engine_down: str, jobs: dict[str, Any]
) -> None:
    started = time.monotonic()
    run = jobs["default"].delay(21)
    elapsed = time.monotonic() - started
    assert run.status is RunStatus.PENDING  # Recorded; the dispatcher sends it.
    settle()
    entry = OutboxEntry.objects.get()
    assert entry.claimed_until is None  # The send failed: left to the relays, at once.
    assert entry.id == run.id
    assert entry.job == "tests.unreachable.default"
    assert entry.payload == '{"args":[21],"kwargs":{}}'
    assert entry.metadata["django_hatchet_run_id"] == run.id
    assert "UNAVAILABLE" in entry.last_error
    assert not entry.uncertain  # UNAVAILABLE: the engine never had it.
    assert run.status is RunStatus.PENDING
    assert jobs["ran"] == []
    # Another process finds it by its id.
    found = get_run(run.id)
    assert (found.status, found.job_name) == (RunStatus.PENDING, "tests.unreachable.default")
    # Fast: no 19 s of SDK retries (a generous bound; no timing assertion beyond "no hang").
    assert elapsed < 10


def test_an_engine_that_never_answers_does_not_hang_delay(
    engine_silent: str, jobs: dict[str, Any]
) -> None:
    handles: list[Any] = []
    # The caller's thread uses this thread's connection, as LiveServerTestCase's server does
    # (an in-memory SQLite database is one connection's).
    database = connections["default"]

    def enqueue() -> None:
        connections["default"] = database
        handles.append(jobs["default"].delay(1))

    database.inc_thread_sharing()
    try:
        caller = threading.Thread(target=enqueue)
        caller.start()
        caller.join(60)  # Not a timing assertion: without a deadline it never returns.
    finally:
        database.dec_thread_sharing()
    assert not caller.is_alive(), "delay() hung on an engine that never answers"
    (run,) = handles
    settle()
    entry = OutboxEntry.objects.get()
    assert entry.id == run.id
    assert entry.last_error.startswith("DEADLINE_EXCEEDED")
    # No answer in time: the engine may have the run, so a relay looks it up before resending.
    assert entry.uncertain


def test_every_call_of_the_sdks_admin_client_has_a_deadline(engine_silent: str) -> None:
    # Pins the SDK's private names the deadline relies on (hatchet-sdk 1.43.1): both stubs.
    from django_hatchet.engine import client as engine

    admin = engine.get_client()._client.admin
    assert isinstance(admin._get_or_create_v0_client(), engine._Deadline)  # trigger, schedule
    assert isinstance(admin._get_or_create_v1_client(), engine._Deadline)  # put_workflow, details


def test_the_next_runs_go_to_the_outbox_at_once_while_the_engine_is_down(
    engine_down: str, jobs: dict[str, Any]
) -> None:
    first = jobs["default"].delay(1)
    settle()
    backend: Any = get_backend()
    assert backend.breaker.open() is not None  # Not asked again for a few seconds.
    runs = [jobs["default"].delay(n) for n in range(2, 12)]
    assert OutboxEntry.objects.count() == 11
    assert {r.status for r in [first, *runs]} == {RunStatus.PENDING}
    assert "UNAVAILABLE" in OutboxEntry.objects.last().last_error


def test_raise_policy_raises_a_clear_error_and_stores_nothing(
    engine_down: str, jobs: dict[str, Any]
) -> None:
    with pytest.raises(EngineUnreachable) as caught:
        jobs["raise"].delay(1)
    message = str(caught.value)
    assert "tests.unreachable.raising run" in message
    assert f"the Hatchet engine at {engine_down} cannot be reached (UNAVAILABLE" in message
    assert 'on_unreachable="raise"' in message
    assert FAKE_TOKEN not in message
    assert caught.value.run_id is not None
    assert not OutboxEntry.objects.exists()


def test_raise_as_the_project_default(engine_down: str, jobs: dict[str, Any]) -> None:
    with override_settings(HATCHET_ON_UNREACHABLE="raise"), pytest.raises(EngineUnreachable):
        jobs["default"].delay(1)
    assert not OutboxEntry.objects.exists()


def test_inline_policy_runs_it_here(engine_down: str, jobs: dict[str, Any]) -> None:
    run = jobs["inline"].delay(41)
    assert run.status is RunStatus.COMPLETED
    assert run.get() == 42
    assert jobs["ran"] == [41]
    assert not OutboxEntry.objects.exists()


def test_in_a_transaction_the_run_is_written_with_it(
    engine_down: str, jobs: dict[str, Any]
) -> None:
    with transaction.atomic():
        run = jobs["default"].delay(5)
        entry = OutboxEntry.objects.get()  # Written in the caller's transaction,
        assert entry.id == run.id
        assert entry.claimed_until is not None  # claimed by this process until it commits.
        assert run.status is RunStatus.PENDING
    # After the commit, the send failed: the entry is left to the relays, at once.
    settle()
    entry = OutboxEntry.objects.get()
    assert entry.claimed_until is None
    assert "UNAVAILABLE" in entry.last_error
    assert run.status is RunStatus.PENDING


def test_a_rollback_takes_the_outbox_entry_with_it(engine_down: str, jobs: dict[str, Any]) -> None:
    runs = []

    def enqueue_then_fail() -> None:
        with transaction.atomic():
            runs.append(jobs["default"].delay(5))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    run = runs[0]
    assert not OutboxEntry.objects.exists()
    assert run.status is RunStatus.CANCELLED


def test_cancelled_before_commit_leaves_no_entry(engine_down: str, jobs: dict[str, Any]) -> None:
    with transaction.atomic():
        run = jobs["default"].delay(5)
        run.cancel()
    assert not OutboxEntry.objects.exists()
    assert run.status is RunStatus.CANCELLED


def test_cancel_takes_a_run_out_of_the_outbox(engine_down: str, jobs: dict[str, Any]) -> None:
    run = jobs["default"].delay(5)
    settle()  # The dispatcher could not send it: it waits in the outbox for a relay.
    run.cancel()
    assert run.status is RunStatus.CANCELLED
    assert "cancelled in the outbox" in str(run.error)
    assert not OutboxEntry.objects.exists()


def test_delay_many_goes_to_the_outbox(engine_down: str, jobs: dict[str, Any]) -> None:
    runs = jobs["default"].delay_many([(n,) for n in range(5)])
    assert sorted(OutboxEntry.objects.values_list("id", flat=True)) == sorted(r.id for r in runs)


def test_delay_many_asks_the_engine_again_once_the_break_is_over(
    engine_down: str, jobs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django_hatchet.backends import sender
    from django_hatchet.engine import dispatch as engine

    monkeypatch.setattr(sender, "BREAK_SECONDS", 0.05)
    jobs["default"].delay(1)  # The engine cannot be reached: a break starts.
    settle()
    assert get_backend().breaker.open() is not None  # type: ignore[attr-defined]
    time.sleep(0.1)
    # The engine is back: the next bulk enqueue is one request again, not one per run.
    requests: list[int] = []

    def start_many(calls: list[Any]) -> list[Any]:
        requests.append(len(calls))
        return [engine.Sent()] * len(calls)

    monkeypatch.setattr(engine, "ensure_registered", lambda *args: None)
    monkeypatch.setattr(engine, "start_many", start_many)
    jobs["default"].delay_many([(n,) for n in range(5)])
    settle()
    assert requests == [5]
    assert OutboxEntry.objects.count() == 1  # Only the first run, enqueued while it was down.


def test_a_relay_pass_keeps_the_entries_while_the_engine_is_down(
    engine_down: str, jobs: dict[str, Any]
) -> None:
    jobs["default"].delay(1)
    jobs["default"].delay(2)
    settle()
    report = Relay().run_once()
    assert report.sent == 0
    assert report.unreachable is not None
    assert "UNAVAILABLE" in report.unreachable
    entries = list(OutboxEntry.objects.all())
    assert len(entries) == 2
    assert all(e.claimed_until is None for e in entries)  # Due again at the next pass.
    assert entries[0].attempts == 2


def test_two_relays_never_claim_the_same_entry(engine_down: str, jobs: dict[str, Any]) -> None:
    jobs["default"].delay(1)
    settle()
    entry = OutboxEntry.objects.get()
    relay_a, relay_b = Relay(), Relay()
    from django.db.models import Q
    from django.utils import timezone

    now = timezone.now()
    due = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    assert relay_a._claim(entry, due, now)
    assert not relay_b._claim(entry, due, now)  # Same read, too late.
    fresh = OutboxEntry.objects.get()
    assert not relay_b._claim(fresh, due, timezone.now())  # Claimed: not due.
    assert fresh.uncertain  # Should relay A die now, the next one looks on the engine first.


def test_the_setting_is_validated() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from django_hatchet.conf import conf

    with (
        override_settings(HATCHET_ON_UNREACHABLE="retry"),
        pytest.raises(
            ImproperlyConfigured, match='HATCHET_ON_UNREACHABLE must be one of "outbox", "raise"'
        ),
    ):
        conf.ON_UNREACHABLE  # noqa: B018


def plain(n: int) -> int:
    return n


def test_the_job_option_is_validated() -> None:
    with pytest.raises(ValueError, match="on_unreachable must be one of 'outbox', 'raise'"):
        job(name="tests.unreachable.bad", on_unreachable="later")(plain)  # type: ignore[call-overload]
