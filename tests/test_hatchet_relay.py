"""``manage.py hatchet_relay`` and ``runworker --no-relay`` (the relay: tests/test_faults.py)."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from django_hatchet.models import OutboxEntry
from django_hatchet.worker import Worker
from django_hatchet.worker.relay import Relay
from tests.engine import settle
from tests.test_unreachable import default_job, engine_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_once_with_the_engine_down_keeps_the_runs_and_says_why(engine_down: str) -> None:  # noqa: F811
    default_job.delay(1)
    default_job.delay(2)
    settle()
    with pytest.raises(CommandError, match=r"cannot be reached \(UNAVAILABLE") as caught:
        call_command("hatchet_relay", "--once")
    assert "the runs left stay in the outbox" in str(caught.value)
    assert OutboxEntry.objects.count() == 2


@override_settings(HATCHET_CLIENT_TOKEN=None)
def test_without_an_engine_it_says_there_is_nothing_to_relay() -> None:
    with pytest.raises(CommandError, match="No Hatchet engine is configured"):
        call_command("hatchet_relay", "--once")


def test_runworker_without_the_relay_says_so_in_its_banner() -> None:
    assert "outbox relay: off (--no-relay)" in Worker(jobs=[], relay=False).banner("engine")
    assert "outbox relay: on" in Worker(jobs=[]).banner("engine")


@pytest.fixture
def no_outbox_table() -> Iterator[str]:
    """The project has not run the migration that creates the outbox's table."""
    with connection.schema_editor() as editor:
        editor.delete_model(OutboxEntry)
    yield OutboxEntry._meta.db_table
    with connection.schema_editor() as editor:
        editor.create_model(OutboxEntry)


def test_once_without_the_outbox_table_says_to_migrate(
    no_outbox_table: str,
    engine_down: str,  # noqa: F811
) -> None:
    with pytest.raises(CommandError, match=f"{no_outbox_table} does not exist.*manage.py migrate"):
        call_command("hatchet_relay", "--once")


def test_the_relay_says_once_that_its_table_is_missing(
    no_outbox_table: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Not a traceback at every pass (what it did): one line saying what to do.
    stop = threading.Event()
    passes = 0
    run_once = Relay.run_once

    def counted(relay: Relay, only: list[str] | None = None) -> object:
        nonlocal passes
        passes += 1
        if passes == 5:
            stop.set()
        return run_once(relay, only)

    with (
        caplog.at_level(logging.ERROR, logger="django_hatchet.outbox"),
        mock.patch.object(Relay, "run_once", counted),
    ):
        Relay().run_forever(stop, interval=0.001)
    assert passes == 5
    assert [r.getMessage() for r in caplog.records] == [
        f"Outbox relay: The outbox's table {no_outbox_table} does not exist in the database "
        "'default': run manage.py migrate. Until then runs that cannot reach the engine, or "
        "are enqueued in a transaction, fail."
    ]
    assert caplog.records[0].exc_info is None


def test_runworker_says_when_migrations_are_not_applied(
    monkeypatch: pytest.MonkeyPatch,
    engine_down: str,  # noqa: F811
) -> None:
    # Django's own notice, as runserver prints it; then the worker starts as usual.
    from django.db.migrations.executor import MigrationExecutor

    graph = MigrationExecutor(connection).loader.graph
    plan = [(graph.nodes[graph.leaf_nodes("django_hatchet")[0]], False)]
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: plan)
    monkeypatch.setattr(Worker, "run", lambda self: None)
    out = io.StringIO()
    call_command("runworker", stdout=out)
    assert "unapplied migration(s)" in out.getvalue()
    assert "django_hatchet" in out.getvalue()
