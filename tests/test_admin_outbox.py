"""The outbox in the admin: runs waiting for an engine that cannot be reached (a closed
port here, as in tests/test_unreachable.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from django_hatchet.models import OutboxEntry
from tests.admin_fixtures import FAKE_TOKEN, client_for, make_user
from tests.test_unreachable import default_job, engine_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

LIST = reverse("admin:django_hatchet_outboxentry_changelist")
OVERVIEW = reverse("admin:django_hatchet_overview_changelist")


def test_waiting_runs_are_listed_with_their_error_and_redacted_arguments(
    engine_down: str,  # noqa: F811
) -> None:
    run = default_job.apply_async(kwargs={"n": 3})
    viewer = client_for(make_user("viewer", "view_outboxentry", "view_run"))
    page = viewer.get(LIST).content.decode()
    assert run.id in page
    assert "tests.unreachable.default" in page
    assert "UNAVAILABLE" in page
    assert "waiting for a relay" in page
    detail = viewer.get(
        reverse("admin:django_hatchet_outboxentry_change", args=[run.id])
    ).content.decode()
    assert "&quot;n&quot;: 3" in detail
    overview = viewer.get(OVERVIEW).content.decode()
    assert 'id="hatchet-outbox"' in overview
    assert "1 run waits in the" in overview
    assert FAKE_TOKEN not in page + detail + overview


def test_send_now_with_the_engine_down_keeps_them_and_says_why(
    engine_down: str,  # noqa: F811
) -> None:
    runs = [default_job.delay(n) for n in range(3)]
    operator = client_for(make_user("op", "view_outboxentry", "delete_outboxentry"), csrf=False)
    response = operator.post(
        LIST,
        {"action": "send_now", "_selected_action": [r.id for r in runs]},
        follow=True,
    )
    page = response.content.decode()
    assert "The engine cannot be reached (UNAVAILABLE" in page
    assert "0 sent, the others wait." in page
    assert OutboxEntry.objects.count() == 3


def test_viewing_needs_the_permission_and_sending_needs_delete(engine_down: str) -> None:  # noqa: F811
    default_job.delay(1)
    nobody = client_for(make_user("nobody"))
    assert nobody.get(LIST).status_code == 403
    viewer = client_for(make_user("viewer", "view_outboxentry"))
    page: Any = viewer.get(LIST).content.decode()
    assert "send_now" not in page  # The action needs the delete permission.


def test_the_outbox_page_says_what_the_outbox_is_and_filters_only_what_waits(
    engine_down: str,  # noqa: F811
) -> None:
    viewer = client_for(make_user("viewer", "view_outboxentry", "view_run"))
    empty = viewer.get(LIST).content.decode()
    assert "Outbox: runs waiting for the Hatchet engine" in empty
    assert "Select outbox entry to view" not in empty
    assert 'id="outbox-help"' in empty
    assert "An empty outbox means every run reached the engine." in " ".join(empty.split())
    assert "By job" not in empty  # Nothing waits: nothing to filter by.
    default_job.apply_async(kwargs={"n": 1})
    waiting = viewer.get(LIST).content.decode()
    assert "By job" in waiting
    assert "?job=tests.unreachable.default" in waiting
