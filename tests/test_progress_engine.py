"""Progress (issue 14, item 3) on the real engine: a running job's report read from another
process, and the last report held back by the throttle sent when the job ends."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_hatchet import Progress
from tests.engine import from_another_process
from tests.test_cron_sync import wait_for
from tests.testapp import tasks
from tests.testapp.models import Note

pytestmark = [
    pytest.mark.engine,
    pytest.mark.django_db(transaction=True),  # The worker reads the note.
    pytest.mark.usefixtures("engine_settings", "worker", "dispatch_at_once"),
]


def test_a_running_jobs_progress_from_another_process_and_in_the_admin(
    hatchet_engine: dict[str, str], namespace: str, viewer: Client
) -> None:
    run = tasks.progress_then_wait.delay("progress-go")
    wait_for(lambda: run.progress is not None, 60, "the first report")
    assert run.status == "RUNNING"
    seen = from_another_process(
        hatchet_engine,
        namespace,
        run.id,
        "[run.status.value, run.progress.done, run.progress.total, run.progress.message]",
    )
    assert seen == ["RUNNING", 3, 10, "waiting for the note"]
    # The admin's page of the run shows it as a bar, refreshed by its script while it runs.
    page = wait_for(
        lambda: (lambda text: text if "3/10 (30 %)" in text else None)(
            viewer.get(reverse("admin:django_hatchet_run_change", args=[run.id])).content.decode()
        ),
        30,
        "the admin's page to show the report",
    )
    cell = page.split('id="run-progress"')[1].split("</td>")[0]
    assert 'value="30.0"' in cell
    assert "3/10 (30 %): waiting for the note" in cell
    assert "data-live" in cell
    assert "django_hatchet_progress" not in page  # Not a line of the log.
    live = viewer.get(reverse("admin:django_hatchet_run_live"), {"id": run.id}).json()
    assert live["runs"][run.id]["status"] == "RUNNING"
    assert live["runs"][run.id]["progress"]["text"] == "3/10 (30 %): waiting for the note"
    Note.objects.create(text="progress-go")
    assert run.get(timeout=60) == 10
    progress = run.progress
    assert progress is not None
    assert (progress.done, progress.total, progress.message) == (10, 10, "item 10")
    assert progress.updated_at is not None


def test_the_last_report_held_back_is_sent_when_the_job_ends() -> None:
    # Four reports at once: the first is sent, the next two are replaced, the last is sent
    # when the job returns.
    run = tasks.count_up.delay(None, steps=4)
    assert run.get(timeout=60) == 4
    wait_for(lambda: run.progress is not None and run.progress.done == 4, 30, "report 4")
    assert run.progress == Progress(4, None, "step 4", 1, run.progress.updated_at)


def test_a_run_that_reports_nothing_has_no_progress() -> None:
    run = tasks.add.delay(1, 2)
    assert run.get(timeout=60) == 3
    assert run.progress is None


def test_any_handle_of_the_run_has_it(hatchet_engine: dict[str, str], namespace: str) -> None:
    from django_hatchet import get_run

    run = tasks.count_up.delay(7, steps=7)
    run.get(timeout=60)
    wait_for(lambda: get_run(run.id).progress is not None, 30, "the report")
    progress: Any = get_run(run.id).progress
    assert (progress.done, progress.percent) == (7, 100)
