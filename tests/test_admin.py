"""The admin pages in inline mode, and who may see and do what."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.test import Client

from tests.admin_fixtures import client_for, make_user

pytestmark = [
    pytest.mark.usefixtures("dispatch_at_once"),
    pytest.mark.django_db,
    pytest.mark.usefixtures("clean_inline_history"),
]

OVERVIEW = "/admin/django_hatchet/overview/"
RUNS = "/admin/django_hatchet/run/"
RUN_NOW = "/admin/django_hatchet/overview/run/tests.echo/"


@pytest.mark.parametrize(
    "url", [OVERVIEW, RUNS, RUN_NOW, RUNS + "some-id/change/", RUNS + "some-id/"]
)
def test_anonymous_users_are_sent_to_the_login_page(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", [OVERVIEW, RUNS, RUN_NOW])
def test_staff_without_the_view_permission_get_403_and_no_data(url):
    response = client_for(make_user("staff")).get(url)
    assert response.status_code == 403
    assert b"tests.echo" not in response.content


def test_non_staff_users_with_the_permission_are_sent_to_the_login_page():
    client = client_for(make_user("member", "view_run", staff=False))
    assert client.get(OVERVIEW).status_code == 302


def test_the_admin_index_lists_the_section_for_viewers_only(viewer):
    page = viewer.get("/admin/").content.decode()
    assert "Hatchet jobs" in page
    assert OVERVIEW in page
    assert RUNS in page
    assert "Hatchet jobs" not in client_for(make_user("staff")).get("/admin/").content.decode()


def test_overview_in_inline_mode_says_that_no_history_is_stored(viewer):
    response = viewer.get(OVERVIEW)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="hatchet-badge mode-inline">inline<' in page
    assert "no run history is stored" in page
    assert "runs live in the Hatchet engine" in page
    assert 'id="container"' in page  # admin/base_site.html, with the admin's own chrome.


def test_overview_lists_jobs_with_their_options(viewer):
    page = viewer.get(OVERVIEW).content.decode()
    assert "tests.echo" in page
    assert "retries: 2" in page
    assert "timeout: 30 s" in page
    assert "concurrency: 1 per &#x27;exclusive&#x27; (GROUP_ROUND_ROBIN)" in page
    assert "queue: special" in page


def test_overview_lists_crons_with_schedule_and_next_fire_time(viewer):
    page = viewer.get(OVERVIEW).content.decode()
    assert "<code>0 3 * * *</code> nightly-sum(1, 2)" in page
    assert re.search(r"next \d{4}-\d\d-\d\d 03:00 UTC \(in ", page)


def test_overview_draws_the_chart_as_inline_svg(viewer):
    page = viewer.get(OVERVIEW).content.decode()
    chart = page.split('id="hatchet-chart"')[1].split('id="hatchet-jobs"')[0]
    assert '<svg class="hatchet-chart"' in chart
    assert "<script" not in chart
    assert "http" not in chart


def test_overview_counts_inline_runs(viewer):
    from tests.testapp import tasks

    tasks.add.delay(1, 2)
    tasks.fail.delay("no")
    page = viewer.get(OVERVIEW).content.decode()
    assert "Runs in the last 24 hours: 2" in page
    assert (
        f'href="{RUNS}?job=tests.testapp.tasks.fail&amp;status=FAILED" '
        'class="hatchet-badge status-FAILED">1 failed</a>' in page
    )


def test_viewers_see_no_run_now_button(viewer, operator):
    assert "Run now" not in viewer.get(OVERVIEW).content.decode()
    assert "Run now" in operator.get(OVERVIEW).content.decode()
    assert viewer.get(RUN_NOW).status_code == 403


def test_run_now_runs_the_job_records_it_and_shows_the_run(operator):
    response = operator.post(RUN_NOW, {"args": '[1, "two"]', "kwargs": '{"three": 3}'})
    assert response.status_code == 302
    entry = LogEntry.objects.get()
    assert entry.action_flag == ADDITION
    assert entry.user.username == "operator"
    assert entry.change_message == 'Ran now from the admin: tests.echo(1, "two", three=3)'
    assert response["Location"] == f"{RUNS}{entry.object_id}/change/"
    page = operator.get(response["Location"]).content.decode()
    assert "status-COMPLETED" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"args": "[1,", "kwargs": ""}, "This is not valid JSON"),
        ({"args": '{"a": 1}', "kwargs": ""}, "This must be a JSON list"),
        ({"args": "", "kwargs": "[1]"}, "This must be a JSON object"),
    ],
)
def test_run_now_refuses_bad_json_with_a_clear_error(operator, data, error):
    response = operator.post(RUN_NOW, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not LogEntry.objects.exists()


def test_run_now_refuses_arguments_the_job_does_not_take(operator):
    url = "/admin/django_hatchet/overview/run/tests.testapp.tasks.add/"
    response = operator.post(url, {"args": "[1]", "kwargs": "{}"})
    assert "does not accept these arguments: missing a required argument: &#x27;b&#x27;" in (
        response.content.decode()
    )


def test_run_now_of_an_unknown_job_is_404(operator):
    assert operator.get("/admin/django_hatchet/overview/run/nope/").status_code == 404


def test_run_now_needs_the_csrf_token():
    user = make_user("operator", "view_run", "change_run")
    client = client_for(user, csrf=True)
    response = client.post(RUN_NOW, {"args": "[]", "kwargs": "{}"})
    assert response.status_code == 403
    assert not LogEntry.objects.exists()
    token = client.get(RUN_NOW).context["csrf_token"]
    response = client.post(RUN_NOW, {"args": "[]", "kwargs": "{}", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_runs_list_in_inline_mode_shows_this_processs_runs(viewer):
    from tests.testapp import tasks

    ok = tasks.add.delay(2, 3)
    bad = tasks.fail.delay("broken")
    page = viewer.get(RUNS).content.decode()
    assert f'data-run-id="{ok.id}"' in page
    assert f'data-run-id="{bad.id}"' in page
    assert "JobBroke: broken" in page
    assert "no run history is stored" in page
    filtered = viewer.get(RUNS, {"status": "FAILED"}).content.decode()
    assert ok.id not in filtered
    assert bad.id in filtered
    assert ok.id in viewer.get(RUNS, {"q": ok.id}).content.decode()
    assert bad.id not in viewer.get(RUNS, {"job": "tests.testapp.tasks.add"}).content.decode()


def test_inline_run_detail_and_unknown_runs(viewer):
    from tests.testapp import tasks

    run = tasks.fail.delay("oops")
    page = viewer.get(f"{RUNS}{run.id}/change/").content.decode()
    assert "JobBroke: oops" in page
    assert viewer.get(f"{RUNS}nope/change/").status_code == 404
    # Without /change/, as Django's admin forms an object's address: its page.
    response = viewer.get(f"{RUNS}{run.id}/")
    assert response.status_code == 302
    assert response["Location"] == f"{RUNS}{run.id}/change/"


def test_inline_runs_offer_no_cancel_or_retry(operator):
    from tests.testapp import tasks

    run = tasks.add.delay(1, 1)
    page = operator.get(f"{RUNS}{run.id}/change/").content.decode()
    assert "Cancel this run" not in page
    assert "Retry" not in page
    assert operator.post(f"{RUNS}{run.id}/cancel/").status_code == 404


def test_inputs_are_escaped(operator):
    from tests.testapp import tasks

    run = tasks.echo.delay("<script>alert(1)</script>")
    for url in (RUNS, f"{RUNS}{run.id}/change/"):
        page = operator.get(url).content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
