"""The admin pages against a real Hatchet engine: the statuses they show are the engine's."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from django_hatchet import RunStatus
from django_hatchet.engine.admin_api import row_from
from django_hatchet.runs.metadata import JOB_KEY, RUN_ID_KEY
from tests.testapp import tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dispatch_at_once")]


def on_engine(test: Callable[..., None]) -> Callable[..., None]:
    """A test against the real engine (``-m engine``), with django-hatchet pointed at it."""
    return pytest.mark.engine(pytest.mark.usefixtures("engine_settings")(test))


OVERVIEW = "/admin/django_hatchet/overview/"
RUNS = "/admin/django_hatchet/run/"


def wait_for(predicate: Callable[[], object], timeout: float = 60, interval: float = 0.5) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def run_page(client: Client, run_id: str) -> str:
    response = client.get(f"{RUNS}{run_id}/change/")
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def page_status(page: str) -> str:
    """The status in a run page's heading."""
    found = re.search(r'<h2><span class="hatchet-badge status-(\w+)">', page)
    assert found, page
    return found.group(1)


def listed_status(client: Client, run_id: str, **params: str) -> str | None:
    """The status of the run in the runs list (filtered by ``params``), or None if absent."""
    page = client.get(RUNS, params).content.decode()
    found = re.search(
        rf'<tr class="hatchet-run" data-run-id="{re.escape(run_id)}">.*?'
        r'<span class="hatchet-badge status-(\w+)">',
        page,
        re.S,
    )
    return found.group(1) if found else None


def logged(run_id: str, what: str) -> bool:
    """Whether the admin's log records the action on the run."""
    return LogEntry.objects.filter(object_id=run_id, change_message__icontains=what).exists()


def status_becomes(client: Client, run_id: str, status: str, timeout: float = 60) -> bool:
    """Whether the run's page shows ``status`` within ``timeout``. The engine's run list (which
    the page reads) can lag its gRPC state by a moment, so a 404 meanwhile is waited out."""

    def shows() -> bool:
        response = client.get(f"{RUNS}{run_id}/change/")
        return response.status_code == 200 and page_status(response.content.decode()) == status

    return bool(wait_for(shows, timeout))


@on_engine
def test_runs_appear_with_the_engines_statuses_through_their_lifecycle(worker, operator):
    # Enqueued and executed.
    done = tasks.echo.delay("hello", n=1)
    assert done.get(timeout=60) == {"args": ["hello"], "kwargs": {"n": 1}}
    assert wait_for(lambda: listed_status(operator, done.id, job="tests.echo") == "COMPLETED")
    page = run_page(operator, done.id)
    assert page_status(page) == "COMPLETED"
    assert "hello" in page
    assert 'id="run-output"' in page

    # Failed, then retried from its page: the engine runs it again, with the same input.
    failed = tasks.fail.delay("boom")
    with pytest.raises(Exception, match="boom"):
        failed.get(timeout=60)
    assert wait_for(
        lambda: listed_status(operator, failed.id, status="FAILED") == "FAILED", timeout=30
    )
    page = run_page(operator, failed.id)
    assert page_status(page) == "FAILED"
    assert "JobBroke: boom" in html.unescape(page)
    assert 'id="retry-run"' in page
    response = operator.post(f"{RUNS}{failed.id}/retry/")
    assert response.status_code == 302
    assert LogEntry.objects.filter(
        object_id=failed.id, change_message__icontains="retried"
    ).exists()
    # A second attempt of the same run, which fails the same way.
    assert wait_for(
        lambda: (
            page_status(p := run_page(operator, failed.id)) == "FAILED"
            and re.search(r"<th>Attempts</th><td>(\d+)</td>", p)[1] != "1"  # type: ignore[index]
        ),
        timeout=60,
    ), run_page(operator, failed.id)

    # Cancelled while it runs, from its page.
    slow = tasks.sleeper.delay(120)
    assert wait_for(lambda: slow.status is RunStatus.RUNNING, timeout=30)
    assert status_becomes(operator, slow.id, "RUNNING", timeout=30)
    assert 'id="cancel-run"' in run_page(operator, slow.id)
    response = operator.post(f"{RUNS}{slow.id}/cancel/")
    assert response.status_code == 302
    assert status_becomes(operator, slow.id, "CANCELLED", timeout=60)
    assert listed_status(operator, slow.id, job="tests.testapp.tasks.sleeper") == "CANCELLED"
    assert LogEntry.objects.filter(
        object_id=slow.id, change_message__icontains="cancelled"
    ).exists()


@on_engine
def test_run_now_enqueues_on_the_engine(worker, operator):
    response = operator.post(
        f"{OVERVIEW}run/tests.testapp.tasks.add/", {"args": json.dumps([2, 3]), "kwargs": "{}"}
    )
    assert response.status_code == 302, response.content.decode()
    run_id = response["Location"].rstrip("/").split("/")[-2]
    assert status_becomes(operator, run_id, "COMPLETED", timeout=60)
    assert re.search(r'id="run-output">5<', run_page(operator, run_id))


@on_engine
def test_the_overview_shows_the_engine_and_its_workers(worker, operator):
    page = operator.get(OVERVIEW).content.decode()
    assert "mode-engine" in page
    # The engine lists a worker once it has registered and sent a heartbeat.
    assert wait_for(lambda: "test-session" in operator.get(OVERVIEW).content.decode(), 60)


@on_engine
def test_a_run_whose_worker_is_killed_shows_the_engines_status(start_worker, operator):
    """A worker killed mid-run (SIGKILL: no drain, no goodbye) leaves its run to the engine.
    What we saw from this engine (hatchet v0.105): sometimes, about 30 s later (its heartbeat
    timeout), it puts the run back in the queue as attempt 2, even with no retries left, and
    another worker of the queue runs it; sometimes it keeps the run RUNNING for minutes. The
    pages show either, as the engine reports it, and the admin can cancel an orphaned run."""
    doomed = start_worker("--queue", "drain", "--name", "doomed")
    run = tasks.drain_sleeper.delay(5)
    assert wait_for(lambda: run.status is RunStatus.RUNNING, timeout=30)
    doomed.process.kill()
    doomed.process.wait()

    # The engine may not know yet (RUNNING), or (seen under load) may have requeued it already.
    assert page_status(run_page(operator, run.id)) in ("RUNNING", "QUEUED")
    requeued = status_becomes(operator, run.id, "QUEUED", timeout=120)
    page = run_page(operator, run.id)
    assert "0001" not in page  # The engine's "not yet" times are shown as "-".
    if requeued:
        assert re.search(r"<th>Attempts</th><td>2</td>", page), page
        assert re.search(r"<th>Started</th><td>-</td>", page), page
        assert listed_status(operator, run.id, job="tests.testapp.tasks.drain_sleeper") == "QUEUED"
        start_worker("--queue", "drain", "--name", "rescuer")
        assert status_becomes(operator, run.id, "COMPLETED", timeout=60), run_page(operator, run.id)
        page = run_page(operator, run.id)
        assert re.search(r"<th>Attempts</th><td>2</td>", page), page
        assert re.search(r'id="run-output">5<', page), page
    else:  # Still the engine's RUNNING, on the dead worker: cancel it from the admin.
        assert page_status(page) == "RUNNING"
        # The run ran on "doomed"; once its process group is gone this engine has been seen
        # to name its durable twin "doomed-durable" instead (noted on issue 14).
        assert re.search(r"<th>Worker</th><td>doomed(-durable)?</td>", page), page
        assert listed_status(operator, run.id, status="RUNNING") == "RUNNING"
        assert 'id="cancel-run"' in page
        assert operator.post(f"{RUNS}{run.id}/cancel/").status_code == 302
        assert status_becomes(operator, run.id, "CANCELLED", timeout=60), run_page(operator, run.id)


def test_times_the_engine_has_not_reached_are_shown_as_none():
    never = datetime(1, 1, 1, tzinfo=timezone.utc)
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    summary = SimpleNamespace(
        additional_metadata={JOB_KEY: "tests.echo", RUN_ID_KEY: "run-1"},
        workflow_run_external_id="engine-1",
        metadata=SimpleNamespace(id="task-1", created_at=created),
        input={"input": {"args": [], "kwargs": {}}},
        output={},
        status=SimpleNamespace(value="QUEUED"),
        created_at=created,
        started_at=never,
        finished_at=never,
        duration=0,
        attempt=2,
        error_message=None,
    )
    row = row_from(summary)
    assert (row.started_at, row.finished_at, row.duration_ms) == (None, None, None)
    assert (row.id, row.engine_id, row.job, row.attempts) == ("run-1", "engine-1", "tests.echo", 2)
    summary.status.value, summary.started_at, summary.finished_at, summary.duration = (
        "COMPLETED",
        created,
        created,
        1500,
    )
    assert row_from(summary).duration_ms == 1500


@on_engine
def test_cancelling_a_canvas_from_the_admin_cancels_its_steps(worker, operator):
    from django_hatchet import group

    canvas = group(tasks.sleeper.si(120), tasks.sleeper.si(120)).delay()
    assert wait_for(
        lambda: all(step.status is RunStatus.RUNNING for step in canvas.children), timeout=60
    )
    assert status_becomes(operator, canvas.id, "RUNNING", timeout=30)
    response = operator.post(f"{RUNS}{canvas.id}/cancel/")
    assert response.status_code == 302
    assert wait_for(lambda: canvas.status is RunStatus.CANCELLED, timeout=60)
    assert wait_for(
        lambda: all(step.status is RunStatus.CANCELLED for step in canvas.children), timeout=60
    ), [step.known_status for step in canvas.children]


def graph_nodes(page: str) -> list[tuple[str, str]]:
    return re.findall(r'class="hatchet-graph-node" data-step="([^"]+)" data-status="([^"]+)"', page)


@on_engine
def test_a_canvas_run_page_draws_its_steps_from_the_engine(worker, operator):
    from django_hatchet import chord

    canvas = chord([tasks.add.s(1, 2), tasks.add.s(3, 4)], tasks.echo.s()).delay()
    canvas.get(timeout=60)
    expected = [
        ("tests.testapp.tasks.add", "COMPLETED"),
        ("tests.testapp.tasks.add", "COMPLETED"),
        ("tests.echo", "COMPLETED"),
    ]
    # The engine's REST API lists each step's status a moment after the canvas's.
    assert wait_for(lambda: graph_nodes(run_page(operator, canvas.id)) == expected), graph_nodes(
        run_page(operator, canvas.id)
    )
    page = run_page(operator, canvas.id)
    header = canvas.children[0]
    for step in [*header.children, canvas.children[1]]:  # type: ignore[attr-defined]
        assert f'href="/admin/django_hatchet/run/{step.id}/change/"' in page
    # Its steps are listed as its steps; the top-level filter leaves them out.
    listed = operator.get(RUNS, {"job": "tests.echo"}).content.decode()
    assert f'step of <a href="/admin/django_hatchet/run/{canvas.id}/change/">' in listed
    top = operator.get(RUNS, {"job": "tests.echo", "top": "1"}).content.decode()
    assert f'data-run-id="{canvas.children[1].id}"' not in top


@on_engine
def test_a_workflow_run_page_draws_its_steps_from_the_engines_shape(worker, operator):
    from tests.testapp import workflows

    run = workflows.breaks.delay(1)
    with pytest.raises(Exception, match="boom"):
        run.get(timeout=60)
    # The engine's REST API writes each task's status a moment after the run's.
    assert wait_for(
        lambda: (
            {("sibling", "COMPLETED"), ("explode", "FAILED")}
            <= set(graph_nodes(run_page(operator, run.id)))
        )
    ), graph_nodes(run_page(operator, run.id))
    nodes = dict(graph_nodes(run_page(operator, run.id)))
    assert nodes["first"] == "COMPLETED"
    assert nodes["after"] in ("CANCELLED", "not started")
    assert "Each step is a task of this run" in run_page(operator, run.id)


@on_engine
def test_bulk_cancel_of_a_canvas_from_the_list_cancels_its_steps(worker, operator):
    from django_hatchet import group

    canvas = group(tasks.sleeper.si(120), tasks.sleeper.si(120)).delay()
    assert wait_for(
        lambda: all(step.status is RunStatus.RUNNING for step in canvas.children), timeout=60
    )
    listed = operator.get(RUNS, {"job": "django_hatchet.canvas"}).content.decode()
    choice = re.search(rf'value="({canvas.id} [0-9a-f-]+ django_hatchet\.canvas)"', listed)
    assert choice, listed[:3000]
    response = operator.post(RUNS, {"action": "cancel", "run": [choice[1]]}, follow=True)
    assert "1 run(s) cancelled." in response.content.decode()
    assert wait_for(
        lambda: all(step.status is RunStatus.CANCELLED for step in canvas.children), timeout=60
    ), [step.known_status for step in canvas.children]


@on_engine
def test_a_failed_workflow_retried_from_the_admin_runs_its_steps_again(
    worker, operator, transactional_db
):
    # transactional_db: the worker writes Notes, which the database flush then removes.
    from tests.testapp import workflows

    run = workflows.flaky.delay(f"flaky-{time.time()}")
    with pytest.raises(Exception, match="the first try fails"):
        run.get(timeout=60)
    assert wait_for(lambda: page_status(run_page(operator, run.id)) == "FAILED", timeout=30)
    response = operator.post(f"{RUNS}{run.id}/retry/")
    assert response.status_code == 302
    assert wait_for(
        lambda: (
            dict(graph_nodes(run_page(operator, run.id)))
            == {"attempt": "COMPLETED", "after_attempt": "COMPLETED"}
        ),
        timeout=60,
    ), graph_nodes(run_page(operator, run.id))
    assert page_status(run_page(operator, run.id)) == "COMPLETED"


def _cell(page: str, header: str) -> str:
    found = re.search(rf"<tr><th>{header}</th><td[^>]*>(.*?)</td></tr>", page, re.S)
    assert found, header
    return html.unescape(found.group(1)).strip()


def _listed(client: Client, run_id: str) -> dict[str, str]:
    """The enqueued time and duration of the run in the runs list."""
    page = client.get(RUNS, {"job": "tests.testapp.tasks.fail"}).content.decode()
    row = page.split(f'<tr class="hatchet-run" data-run-id="{run_id}">')[1].split("</tr>")[0]
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row.split("<td")[1:]]
    return {"enqueued": cells[4].split(">")[-1].strip(), "duration": cells[5].split(">")[-1]}


@on_engine
def test_a_retried_runs_page_keeps_its_enqueue_time_and_agrees_with_the_list(worker, operator):
    failed = tasks.fail.delay("boom")
    with pytest.raises(Exception, match="boom"):
        failed.get(timeout=60)
    assert wait_for(lambda: listed_status(operator, failed.id, status="FAILED") == "FAILED")
    first = run_page(operator, failed.id)
    enqueued = _cell(first, "Enqueued")
    time.sleep(1.5)  # The retry comes in another second than the enqueue.
    assert operator.post(f"{RUNS}{failed.id}/retry/").status_code == 302
    assert wait_for(
        lambda: (
            _cell(run_page(operator, failed.id), "Attempts") == "2"
            and page_status(run_page(operator, failed.id)) == "FAILED"
        ),
        timeout=60,
    )
    page = run_page(operator, failed.id)
    # Enqueued is still the enqueue's time, not the retry's.
    assert _cell(page, "Enqueued") == enqueued
    # The page's duration is the list's, and is a duration.
    listed = _listed(operator, failed.id)
    assert listed["enqueued"] in enqueued  # "m-d H:i:s" in "Y-m-d H:i:s T".
    assert _cell(page, "Duration") == listed["duration"]
    assert "-" not in _cell(page, "Duration")
    # Each attempt's events have their times.
    table = page.split("<h2>Attempts</h2>")[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td[^>]*>([^<]*)</td>", table)
    assert rows, table
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", when) for _, _, when in rows), rows
    events = [(n, what) for n, what, _ in rows]
    assert ("1", "failed") in events
    assert ("1", "retried (replayed)") in events
    assert ("2", "failed") in events
    assert events.index(("1", "failed")) < events.index(("2", "failed"))


@on_engine
def test_a_jobs_log_lines_reach_its_page_whatever_the_loggers_propagation(worker, operator):
    # tests.settings gives "tests.quiet" "propagate": False, as testproject does its loggers.
    run = tasks.log_both_ways.delay("hello")
    run.get(timeout=60)

    def log() -> str:
        page = run_page(operator, run.id)
        section = page.split("<h2>Log</h2>")[1].split("</div>")[0]
        return section if "quiet: hello" in section and "loud: hello" in section else ""

    section = wait_for(log, timeout=30)
    assert section, run_page(operator, run.id)
    assert str(section).count("quiet: hello") == 1
    assert str(section).count("loud: hello") == 1
