"""Regression tests for the admin's data bugs a new user found (issue 14, item 4)."""

from __future__ import annotations

import re
from datetime import timezone

import pytest

from tests.testapp import tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("dispatch_at_once", "clean_inline_history"),
]

RUNS = "/admin/django_hatchet/run/"


def test_the_runs_list_shows_the_end_of_each_id_which_tells_runs_apart(viewer):
    runs = [tasks.add.delay(i, i) for i in range(3)]
    page = viewer.get(RUNS).content.decode()
    shown = re.findall(r'<code title="([0-9a-f-]{36})">…([0-9a-f]{12})</code>', page)
    assert {full for full, _ in shown} >= {r.id for r in runs}
    assert all(full.endswith(end) for full, end in shown)
    ends = [end for full, end in shown if full in {r.id for r in runs}]
    assert len(set(ends)) == 3  # The time prefix was the same for all three.


def test_a_runs_page_gives_its_times_to_the_second(viewer):
    run = tasks.add.delay(1, 2)
    page = viewer.get(f"{RUNS}{run.id}/change/").content.decode()
    from django_hatchet.runs.ids import run_id_time

    enqueued = run_id_time(run.id).astimezone(timezone.utc)
    assert re.search(rf"<th>Enqueued</th><td>{enqueued:%Y-%m-%d %H:%M}:\d\d UTC</td>", page), (
        re.search(r"<th>Enqueued</th><td>[^<]*</td>", page)
    )


def test_run_now_shows_the_signature_as_the_code_reads(operator):
    page = operator.get("/admin/django_hatchet/overview/run/tests.orders/").content.decode()
    assert "<code>tests.orders(order_id: int) -&gt; dict[str, Any]</code>" in page
    page = operator.get(
        "/admin/django_hatchet/overview/run/tests.testapp.tasks.add/"
    ).content.decode()
    assert "<code>tests.testapp.tasks.add(a: int, b: int) -&gt; int</code>" in page
    refused = operator.post(
        "/admin/django_hatchet/overview/run/tests.testapp.tasks.add/", {"args": "[1]"}
    ).content.decode()
    assert "tests.testapp.tasks.add(a: int, b: int) -&gt; int does not accept" in refused


def test_the_inline_runs_list_says_where_inline_runs_are_and_are_not_visible(viewer):
    empty = viewer.get(RUNS).content.decode()
    assert "only the runs this process ran are shown (not those of a management command" in empty
    note = re.search(r'<p class="hatchet-note" id="inline-runs-note">(.*?)</p>', empty, re.S)
    assert note
    text = " ".join(note[1].split())
    assert "the last 200 runs that <strong>this web process</strong> ran" in text
    assert "by a management command (<code>seed_demo</code>, a cron script), a shell" in text


def test_the_overview_gives_a_crons_next_time_in_the_admins_format_and_time_zone(viewer):
    from django.test import override_settings

    with override_settings(TIME_ZONE="Europe/Paris"):
        page = viewer.get("/admin/django_hatchet/overview/").content.decode()
    # tests.settings' cron "nightly-sum" fires at 03:00 UTC: 04:00 or 05:00 in Paris.
    found = re.search(r'<span class="hatchet-note hatchet-next">next ([^<]*)</span>', page)
    assert found, page
    assert re.fullmatch(r"\d{4}-\d\d-\d\d 0[45]:00 CES?T \(in [^)]+\)", found[1]), found[1]
    assert not re.search(r"next \d{4}-\d\d-\d\dT", page)  # Not raw ISO 8601.


def test_the_admin_index_offers_to_view_the_overview_and_runs_not_to_change_them(operator):
    index = operator.get("/admin/").content.decode()
    for model in ("overview", "run"):
        row = re.search(rf'<tr class="model-{model}[^"]*">(.*?)</tr>', index, re.S)
        assert row, index
        assert "viewlink" in row[1]
        assert "changelink" not in row[1]


WORKER_TRACEBACK = """Traceback (most recent call last):
  File "/venv/site-packages/hatchet_sdk/worker/runner/runner.py", line 317, in inner_callback
    output = task.result()
             ^^^^^^^^^^^^^
  File "/usr/lib/python3.11/concurrent/futures/thread.py", line 58, in run
    result = self.fn(*self.args, **self.kwargs)
  File "/venv/lib/python3.11/site-packages/hatchet_sdk/runnables/task.py", line 466, in call
    return self._fn(workflow_input, cast(Context, ctx), **dependencies)
  File "/venv/site-packages/django_hatchet/worker/execution.py", line 136, in run_sync
    value = job.func(*args, **kwargs)
  File "/app/shop/tasks.py", line 46, in charge
    total = price(order)
  File "/app/shop/pricing.py", line 9, in price
    raise ValueError("no price")
ValueError: no price
"""


def test_a_failed_runs_page_shows_the_jobs_own_frames_first(fake_engine, viewer):
    from django_hatchet.admin.display import user_traceback
    from tests.admin_fixtures import row

    shown, hidden = user_traceback(WORKER_TRACEBACK)
    assert hidden == 4
    assert shown.splitlines() == [
        "Traceback (most recent call last):",
        '  File "/app/shop/tasks.py", line 46, in charge',
        "    total = price(order)",
        '  File "/app/shop/pricing.py", line 9, in price',
        '    raise ValueError("no price")',
        "ValueError: no price",
    ]
    assert user_traceback("ValueError: x\n") == ("ValueError: x\n", 0)
    fake_engine.rows = [row(status="FAILED", error="ValueError: no price\n" + WORKER_TRACEBACK)]
    page = viewer.get(f"{RUNS}{fake_engine.rows[0].id}/change/").content.decode()
    first = re.search(r'<pre class="hatchet-pre" id="run-traceback">(.*?)</pre>', page, re.S)
    assert first
    assert "hatchet_sdk" not in first[1]
    assert "/app/shop/tasks.py" in first[1]
    assert "Full traceback (4 frames of the Hatchet SDK and django-hatchet left out above)" in page


def test_run_now_lays_out_its_form_as_the_admins_own_forms(operator):
    page = operator.get("/admin/django_hatchet/overview/run/tests.testapp.tasks.add/")
    text = page.content.decode()
    assert "admin/css/forms.css" in text
    assert re.search(
        r'<div class="flex-container"><label for="id_args">Positional arguments:</label>'
        r"<textarea",
        text,
    ), text
    assert "A JSON list, e.g. [1, &quot;two&quot;]; empty for none." in text


def test_the_overview_and_runs_fit_1280_px_without_a_column_per_status(viewer):
    # The overview's jobs table: the runs by status in one column, as badges (five status
    # columns, two duration columns and the options, five lines each, made it 1,529 px).
    tasks.add.delay(1, 1)
    page = viewer.get("/admin/django_hatchet/overview/").content.decode()
    assert "<th>Runs, last 24 hours</th>" in page
    assert "<th>queued</th>" not in page.lower().replace(' class="hatchet-num"', "")
    runs = viewer.get(RUNS).content.decode()
    assert "<th>Started</th>" not in runs  # On the run's page, and in the Enqueued cell's title.
    assert 'title="started ' in runs


def test_an_inline_runs_input_is_shown_in_the_list_and_on_its_page(viewer):
    run = tasks.add.delay(20, 22)
    listed = viewer.get(RUNS).content.decode()
    assert '<code title="(20, 22)">(20, 22)</code>' in listed
    page = viewer.get(f"{RUNS}{run.id}/change/").content.decode()
    found = re.search(r'<pre class="hatchet-pre" id="run-input">(.*?)</pre>', page, re.S)
    assert found
    assert "20" in found[1]
    assert "22" in found[1]
