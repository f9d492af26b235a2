"""The admin pages in engine mode, on a stand-in for the engine's REST API: runs, actions,
escaping, redaction and the token (the real engine: test_admin_engine)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import override_settings
from django.utils import timezone

from django_hatchet.runs.rows import LogLine
from tests.admin_fixtures import FAKE_TOKEN, client_for, make_user, row

pytestmark = pytest.mark.django_db

OVERVIEW = "/admin/django_hatchet/overview/"
RUNS = "/admin/django_hatchet/run/"
RUN_ID = "01a203ba-e29c-7adc-99c4-96a95169b675"
DETAIL = f"{RUNS}{RUN_ID}/change/"


def test_overview_shows_the_engine_its_workers_and_the_last_24_hours(fake_engine, viewer):
    fake_engine.rows = [row(), row(id="x2", status="FAILED", error="Boom: no")]
    page = viewer.get(OVERVIEW).content.decode()
    assert 'mode-engine">engine at hatchet.example:7077<' in page
    assert "engine answers" in page
    assert "1 worker connected" in page
    assert "Runs in the last 24 hours: 2" in page
    assert "1.5 s" in page  # p50 of tests.echo
    assert FAKE_TOKEN not in page


def test_overview_says_when_the_engine_does_not_answer_without_the_token(fake_engine, viewer):
    fake_engine.answers = False
    page = viewer.get(OVERVIEW).content.decode()
    assert "engine does not answer" in page
    assert "ConnectionError: refused" in page
    assert FAKE_TOKEN not in page


def test_runs_list_shows_every_column(fake_engine, viewer):
    fake_engine.rows = [row(output={"sent": 3}, worker="django-1", attempts=2)]
    page = viewer.get(RUNS).content.decode()
    for text in (
        "tests.echo",
        "status-COMPLETED",
        "1.5 s",
        "django-1",
        "(1)",
        "{&quot;sent&quot;: 3}",
    ):
        assert text in page
    assert f'href="{DETAIL}"' in page


def test_runs_list_passes_filters_search_and_page_to_the_engine(fake_engine, viewer):
    viewer.get(RUNS, {"job": "tests.echo", "status": "FAILED", "q": RUN_ID, "since": "7d", "p": 2})
    query = fake_engine.queries[-1]
    assert query.jobs == ("tests.echo",)
    assert query.statuses == ("FAILED",)
    assert query.search == RUN_ID
    assert query.page == 2
    viewer.get(RUNS, {"job": "not-a-job", "status": "<b>", "since": "1y", "p": "x"})
    query = fake_engine.queries[-1]
    assert query.jobs == ()
    assert query.statuses == ()
    assert query.page == 1


def test_runs_list_paginates(fake_engine, viewer):
    fake_engine.rows = [row(id=f"run-{i:02}") for i in range(30)]
    first = viewer.get(RUNS).content.decode()
    assert "run-00" in first
    assert "run-29" not in first
    assert "run-29" in viewer.get(RUNS, {"p": 2}).content.decode()


def test_runs_list_says_when_the_engine_does_not_answer(fake_engine, viewer):
    fake_engine.answers = False
    page = viewer.get(RUNS).content.decode()
    assert "The engine did not answer: ConnectionError" in page
    assert FAKE_TOKEN not in page


def test_run_detail_shows_input_output_error_traceback_attempts_and_logs(fake_engine, viewer):
    error = 'JobBroke: it broke\nTraceback (most recent call last):\n  File "x.py", line 1\n'
    fake_engine.rows = [row(status="FAILED", error=error, attempts=3, output=None)]
    fake_engine.logs = [LogLine(timezone.now(), "charging card", 1, "INFO")]
    page = viewer.get(DETAIL).content.decode()
    assert "JobBroke: it broke" in page
    assert "Traceback (most recent call last)" in page
    assert "[attempt 1] INFO charging card" in page
    assert "&quot;args&quot;: [\n    1\n  ]" in page
    assert "Retry with the same input" not in page  # A viewer has no actions.


def test_run_detail_links_to_hatchets_dashboard_when_configured(fake_engine, viewer):
    fake_engine.rows = [row()]
    assert "Hatchet&#x27;s dashboard" not in viewer.get(DETAIL).content.decode()
    with override_settings(
        HATCHET_DASHBOARD_URL="https://hatchet.example/t/{tenant_id}/r/{run_id}"
    ):
        page = viewer.get(DETAIL).content.decode()
    assert (
        'href="https://hatchet.example/t/tenant-1/r/cf79cff1-0cf9-479a-9d00-bac1480409a3"' in page
    )


def test_unknown_run_is_404(fake_engine, viewer):
    assert viewer.get(f"{RUNS}nope/change/").status_code == 404


def test_values_are_escaped_everywhere(fake_engine, viewer):
    script = "<script>alert(1)</script>"
    fake_engine.rows = [
        row(input={"args": [script], "kwargs": {}}, output={"x": script}),
        row(id="x2", status="FAILED", error=f"E: {script}\nTraceback {script}"),
    ]
    fake_engine.logs = [LogLine(timezone.now(), script)]
    for url in (RUNS, DETAIL, f"{RUNS}x2/change/", OVERVIEW):
        page = viewer.get(url).content.decode()
        assert "<script>alert" not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in viewer.get(DETAIL).content.decode()


def test_secrets_are_redacted_in_every_display(fake_engine, viewer):
    fake_engine.rows = [
        row(
            input={"args": [{"card": {"Password": "hunter2"}}], "kwargs": {"api_key": "k-123"}},
            output={"nested": [{"Authorization": "Bearer abc"}], "session_id": "s-1"},
        )
    ]
    for url in (RUNS, DETAIL):
        page = viewer.get(url).content.decode()
        for secret in ("hunter2", "k-123", "Bearer abc", "s-1"):
            assert secret not in page, (url, secret)
        assert "********" in page
    with override_settings(HATCHET_ADMIN_REDACT_KEYS=["card"]):
        page = viewer.get(DETAIL).content.decode()
    assert "hunter2" not in page
    assert "k-123" in page


def test_cancel_needs_change_permission_post_and_csrf(fake_engine, viewer):
    fake_engine.rows = [row(status="RUNNING")]
    url = f"{RUNS}{RUN_ID}/cancel/"
    assert viewer.post(url).status_code == 403
    operator = client_for(make_user("operator", "view_run", "change_run"), csrf=True)
    assert operator.get(url).status_code == 405
    assert operator.post(url).status_code == 403  # No CSRF token.
    assert fake_engine.cancelled == []
    token = operator.get(DETAIL).context["csrf_token"]
    response = operator.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert fake_engine.cancelled == ["cf79cff1-0cf9-479a-9d00-bac1480409a3"]
    entry = LogEntry.objects.get()
    assert (entry.user.username, entry.object_id, entry.action_flag) == ("operator", RUN_ID, CHANGE)
    assert entry.change_message == "Cancelled from the admin."
    assert entry.get_admin_url() == DETAIL


def test_a_finished_run_is_not_cancelled(fake_engine, operator):
    fake_engine.rows = [row(status="COMPLETED")]
    response = operator.post(f"{RUNS}{RUN_ID}/cancel/", follow=True)
    assert "is completed: not cancelled" in response.content.decode()
    assert fake_engine.cancelled == []


def test_retry_replays_the_run_and_records_it(fake_engine, operator):
    fake_engine.rows = [row(status="FAILED", error="E: x")]
    page = operator.get(DETAIL).content.decode()
    assert "Retry with the same input" in page
    assert "Cancel this run" not in page
    response = operator.post(f"{RUNS}{RUN_ID}/retry/")
    assert response.status_code == 302
    assert fake_engine.replayed == ["cf79cff1-0cf9-479a-9d00-bac1480409a3"]
    assert LogEntry.objects.get().change_message == "Retried (replayed) from the admin."


def test_unknown_actions_are_404(fake_engine, operator):
    fake_engine.rows = [row()]
    assert operator.post(f"{RUNS}{RUN_ID}/delete/").status_code == 404


def test_bulk_cancel_and_retry_from_the_list(fake_engine, operator, viewer):
    fake_engine.rows = [row(status="RUNNING"), row(id="r2", engine_id="e2", status="QUEUED")]
    page = operator.get(RUNS).content.decode()
    assert f'value="{RUN_ID} cf79cff1-0cf9-479a-9d00-bac1480409a3 tests.echo"' in page
    choices = [f"{RUN_ID} cf79cff1-0cf9-479a-9d00-bac1480409a3", "r2 e2"]
    assert viewer.post(RUNS, {"action": "cancel", "run": choices}).status_code == 403
    response = operator.post(RUNS, {"action": "cancel", "run": choices}, follow=True)
    assert "2 run(s) cancelled." in response.content.decode()
    assert fake_engine.cancelled == ["cf79cff1-0cf9-479a-9d00-bac1480409a3", "e2"]
    operator.post(RUNS, {"action": "retry", "run": choices[1:]})
    assert fake_engine.replayed == ["e2"]
    assert sorted(LogEntry.objects.values_list("object_id", flat=True)) == sorted(
        [RUN_ID, "r2", "r2"]
    )
    response = operator.post(RUNS, {"action": "explode", "run": choices}, follow=True)
    assert "Choose runs and an action" in response.content.decode()


def test_viewers_get_no_checkboxes(fake_engine, viewer):
    fake_engine.rows = [row(status="RUNNING")]
    assert 'name="run"' not in viewer.get(RUNS).content.decode()
