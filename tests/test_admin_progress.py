"""Progress in the admin (issue 14, item 3): a bar on a run's page and in the runs list, and
the JSON view their script refreshes them from while runs go on."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from django_hatchet.runs.progress import Progress, inline_progress
from tests.admin_fixtures import FakeEngine, row
from tests.testapp import tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_inline_history")]

RUNS = reverse("admin:django_hatchet_run_changelist")
LIVE = reverse("admin:django_hatchet_run_live")
RUNNING_ID = "01a203ba-e29c-7adc-99c4-96a95169b675"


@pytest.fixture(autouse=True)
def _clean() -> None:
    inline_progress.clear()


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_inline_runs_page_shows_its_last_report(viewer: Client, dispatch_at_once: None) -> None:
    run = tasks.count_up.delay(10, steps=4)
    text = page(viewer, reverse("admin:django_hatchet_run_change", args=[run.id]))
    cell = text.split('id="run-progress"')[1].split("</td>")[0]
    assert '<progress max="100" value="40.0"' in cell
    assert "4/10 (40 %): step 4" in cell
    assert "data-live" not in cell  # Finished: nothing to refresh.
    assert "live.js" not in text


def test_a_running_runs_page_and_row_have_a_live_bar(
    viewer: Client, fake_engine: FakeEngine
) -> None:
    fake_engine.rows = [row(id=RUNNING_ID, status="RUNNING", finished_at=None, output=None)]
    fake_engine.reports = {RUNNING_ID: Progress(1, 3, "loading the file")}
    text = page(viewer, reverse("admin:django_hatchet_run_change", args=[RUNNING_ID]))
    cell = text.split('id="run-progress"')[1].split("</td>")[0]
    assert "data-live" in cell
    assert 'value="33.3"' in cell
    assert "1/3 (33 %): loading the file" in cell
    assert f'data-url="{LIVE}"' in text
    listing = page(viewer, RUNS)
    status = listing.split(f'<tr class="hatchet-run" data-run-id="{RUNNING_ID}"')[1]
    status = status.split("</tr>")[0]
    assert 'class="hatchet-progress" data-run-id' in status
    assert "1/3 (33 %): loading the file" in status


def test_a_running_run_with_no_report_yet_says_so(viewer: Client, fake_engine: FakeEngine) -> None:
    fake_engine.rows = [row(id=RUNNING_ID, status="RUNNING", finished_at=None, output=None)]
    text = page(viewer, reverse("admin:django_hatchet_run_change", args=[RUNNING_ID]))
    cell = text.split('id="run-progress"')[1].split("</td>")[0]
    assert 'class="hatchet-hidden"' in cell  # The bar shows with the first report.
    assert "none reported yet" in cell


def test_the_live_view_gives_status_and_progress(viewer: Client, fake_engine: FakeEngine) -> None:
    fake_engine.rows = [
        row(id=RUNNING_ID, status="RUNNING", finished_at=None, output=None),
        row(id="01a203ba-e29c-7adc-99c4-000000000002", status="COMPLETED"),
    ]
    fake_engine.reports = {RUNNING_ID: Progress(2, None, "row 2")}
    response = viewer.get(LIVE, {"id": [RUNNING_ID, "01a203ba-e29c-7adc-99c4-000000000002"]})
    assert response.json() == {
        "runs": {
            RUNNING_ID: {
                "status": "RUNNING",
                "progress": {
                    "done": 2.0,
                    "total": None,
                    "percent": None,
                    "text": "2: row 2",
                    "updated_at": None,
                },
            },
            "01a203ba-e29c-7adc-99c4-000000000002": {"status": "COMPLETED", "progress": None},
        }
    }


def test_the_live_view_needs_the_view_permission(client: Client, fake_engine: FakeEngine) -> None:
    from tests.admin_fixtures import client_for, make_user

    response = client_for(make_user("nobody")).get(LIVE, {"id": RUNNING_ID})
    assert response.status_code == 403


def test_the_live_view_when_the_engine_does_not_answer(
    viewer: Client, fake_engine: FakeEngine
) -> None:
    fake_engine.answers = False
    response = viewer.get(LIVE, {"id": RUNNING_ID})
    assert response.status_code == 503
    assert "eyJ" not in response.content.decode()
