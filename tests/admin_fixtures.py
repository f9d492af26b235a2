"""Users and a stand-in engine for the admin's view tests (the real engine: test_admin_engine)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client, override_settings
from django.utils import timezone

from django_hatchet.runs.history import inline_history
from django_hatchet.runs.progress import Progress
from django_hatchet.runs.rows import (
    EngineState,
    LogLine,
    RunDetail,
    RunPage,
    RunQuery,
    RunRow,
    WorkerRow,
    filter_rows,
    paginate,
)

#: An unsigned token with the claims the SDK reads; it names the engine the pages show.
FAKE_TOKEN = (
    "eyJhbGciOiJub25lIn0."
    "eyJzdWIiOiJ0ZW5hbnQtMSIsImdycGNfYnJvYWRjYXN0X2FkZHJlc3MiOiJoYXRjaGV0LmV4YW1wbGU6NzA3NyIs"
    "InNlcnZlcl91cmwiOiJodHRwOi8vaGF0Y2hldC5leGFtcGxlIn0."
    "c2lnbmF0dXJl"
)


def make_user(username: str, *perms: str, staff: bool = True) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=staff)
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="django_hatchet", codename=codename)
        )
    return user


def client_for(user: User, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def row(
    id: str = "01a203ba-e29c-7adc-99c4-96a95169b675",
    status: str = "COMPLETED",
    job: str = "tests.echo",
    **changes: Any,
) -> RunRow:
    now = timezone.now()
    values: dict[str, Any] = {
        "id": id,
        "engine_id": "cf79cff1-0cf9-479a-9d00-bac1480409a3",
        "job": job,
        "status": status,
        "created_at": now - timedelta(minutes=5),
        "started_at": now - timedelta(minutes=4),
        "finished_at": now - timedelta(minutes=3) if status != "RUNNING" else None,
        "duration_ms": 1500,
        "attempts": 1,
        "worker": "django",
        "input": {"args": [1], "kwargs": {}},
        "output": {"ok": True},
    }
    values.update(changes)
    return RunRow(**values)


@dataclass
class FakeEngine:
    """What the admin reads from and does to the engine, in memory."""

    rows: list[RunRow] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    answers: bool = True
    cancelled: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    queries: list[RunQuery] = field(default_factory=list)
    #: Progress reports by run id (``context.progress()``).
    reports: dict[str, Progress] = field(default_factory=dict)

    def list_runs(self, query: RunQuery, job_names: Any = ()) -> RunPage:
        self._check()
        self.queries.append(query)
        return paginate(filter_rows(self.rows, query), query.page, query.per_page)

    def recent_runs(
        self, since: datetime, limit: int, job_names: Any = ()
    ) -> tuple[list[RunRow], bool]:
        self._check()
        return self.rows[:limit], len(self.rows) > limit

    def get_run(self, run_id: str) -> RunDetail | None:
        self._check()
        for r in self.rows:
            if run_id in (r.id, r.engine_id):
                attempts = [(1, r.status, r.finished_at, "")]
                return RunDetail(r, self.logs, attempts, progress=self.reports.get(r.id))
        return None

    def find(self, run_id: str) -> RunRow | None:
        self._check()
        return next((r for r in self.rows if run_id in (r.id, r.engine_id)), None)

    def progress(self, rows: Any) -> dict[str, Progress | None]:
        self._check()
        return {row.id: self.reports.get(row.id) for row in rows}

    def engine_state(self) -> EngineState:
        if not self.answers:
            return EngineState(False, error=f"ConnectionError: refused ({FAKE_TOKEN})")
        return EngineState(True, [WorkerRow("django", "ACTIVE", timezone.now(), "1/10")])

    def cancel(self, ids: list[str]) -> None:
        self.cancelled.extend(ids)

    def replay(self, ids: list[str]) -> None:
        self.replayed.extend(ids)

    def tenant_id(self) -> str:
        return "tenant-1"

    def _check(self) -> None:
        if not self.answers:
            raise ConnectionError(f"engine refused the connection (token {FAKE_TOKEN})")


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    """Engine mode, with the engine's REST API replaced by a FakeEngine."""
    from django_hatchet.engine import admin_api

    engine = FakeEngine()
    for name in (
        "list_runs",
        "recent_runs",
        "find",
        "progress",
        "get_run",
        "engine_state",
        "cancel",
        "replay",
        "tenant_id",
    ):
        monkeypatch.setattr(admin_api, name, getattr(engine, name))
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN):
        yield engine


@pytest.fixture
def clean_inline_history() -> Iterator[None]:
    inline_history.clear()
    yield
    inline_history.clear()


@pytest.fixture
def viewer() -> Client:
    """A staff user who may view runs."""
    return client_for(make_user("viewer", "view_run"))


@pytest.fixture
def operator() -> Client:
    """A staff user who may also run now, retry and cancel."""
    return client_for(make_user("operator", "view_run", "change_run"))


@pytest.fixture
def dispatch_at_once(settings: Any) -> None:
    """Enqueue at ``.delay()``: a test's transaction never commits."""
    settings.HATCHET_ENQUEUE_ON_COMMIT = False
