"""Crons made in the admin on the real engine (issue 14, item 1): added, edited, paused,
resumed and deleted in the admin, they change the engine's crons with no worker restart; the
crons of the settings stay as they are; a running worker applies what a save could not; run
now runs the job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_hatchet import get_run
from django_hatchet.crons import load_crons
from django_hatchet.crons import sync as cron_sync
from django_hatchet.crons.stored import sync_stored
from django_hatchet.engine import crons as api
from django_hatchet.engine.crons import EngineCron
from django_hatchet.models import Cron
from django_hatchet.runs.metadata import DATABASE_SOURCE, SETTINGS_SOURCE
from tests.admin_fixtures import client_for
from tests.test_cron_sync import wait_for

pytestmark = [pytest.mark.engine, pytest.mark.django_db(transaction=True)]

ADD = reverse("admin:django_hatchet_cron_add")
LIST = reverse("admin:django_hatchet_cron_changelist")


@pytest.fixture
def admin_client(engine_settings: dict[str, Any]) -> Iterator[Client]:
    cron_sync.sync_crons(load_crons())  # The settings' crons, as the test settings have them.
    yield client_for(User.objects.create_superuser("root", "root@example.com", "pw"))
    Cron.objects.all().delete()
    sync_stored()


def of(source: str) -> dict[str, EngineCron]:
    found = {}
    for cron in api.list_owned(source=source):
        assert cron.name not in found, f"two engine crons for {cron.name}"
        found[cron.name] = cron
    return found


def form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "hourly-sum",
        "job": "tests.testapp.tasks.add",
        "schedule": "0 * * * *",
        "args": "[1, 2]",
        "kwargs": "",
        "enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_cron_added_edited_paused_and_deleted_in_the_admin_changes_the_engines(
    admin_client: Client,
) -> None:
    [settings_cron] = of(SETTINGS_SOURCE).values()  # nightly-sum, from tests.settings.

    response = admin_client.post(ADD, form(), follow=True)
    assert response.status_code == 200
    assert not any("not on the engine" in str(m) for m in response.context["messages"])
    cron = Cron.objects.get()
    assert cron.applied
    assert cron.sync_error == ""
    engine = of(DATABASE_SOURCE)["hourly-sum"]
    assert (engine.job, engine.schedule, engine.args, engine.enabled) == (
        "tests.testapp.tasks.add",
        "0 * * * *",
        [1, 2],
        True,
    )
    assert "applied" in admin_client.get(LIST).content.decode()

    change = reverse("admin:django_hatchet_cron_change", args=[cron.pk])
    admin_client.post(change, form(schedule="30 4 * * *", args="[5, 6]"))
    edited = of(DATABASE_SOURCE)["hourly-sum"]
    assert (edited.schedule, edited.args, edited.enabled) == ("30 4 * * *", [5, 6], True)
    assert edited.id != engine.id  # A new cron: the ticker would keep the old arguments.

    admin_client.post(LIST, {"action": "pause", "_selected_action": [cron.pk]})
    paused = of(DATABASE_SOURCE)["hourly-sum"]
    assert (paused.id, paused.enabled) == (edited.id, False)  # Paused in place.
    admin_client.post(LIST, {"action": "resume", "_selected_action": [cron.pk]})
    assert of(DATABASE_SOURCE)["hourly-sum"].enabled is True

    admin_client.post(reverse("admin:django_hatchet_cron_delete", args=[cron.pk]), {"post": "yes"})
    assert of(DATABASE_SOURCE) == {}
    # The settings' cron was never touched; and applying the settings leaves the admin's alone.
    assert list(of(SETTINGS_SOURCE).values()) == [settings_cron]
    admin_client.post(ADD, form())
    cron_sync.sync_crons(load_crons())
    assert set(of(DATABASE_SOURCE)) == {"hourly-sum"}
    assert list(of(SETTINGS_SOURCE).values()) == [settings_cron]


def test_a_worker_applies_what_a_save_did_not(admin_client: Client, start_worker: Any) -> None:
    # QuerySet.update() sends no signal: nothing applies it but a worker's pass.
    admin_client.post(ADD, form())
    Cron.objects.update(schedule="15 2 * * *")  # The engine keeps "0 * * * *" until a pass.
    worker = start_worker("--jobs", "tests.testapp.tasks.add", "--name", "cron-watch-test")
    assert "hourly-sum   admin     tests.testapp.tasks.add  15 2 * * *" in worker.output()
    wait_for(
        lambda: of(DATABASE_SOURCE)["hourly-sum"].schedule == "15 2 * * *",
        30,
        "the worker to apply the new schedule",
    )
    Cron.objects.update(enabled=False)  # While the worker runs: within its interval (10 s).
    wait_for(
        lambda: of(DATABASE_SOURCE)["hourly-sum"].enabled is False,
        30,
        "the worker to pause the cron",
    )
    assert Cron.objects.get().applied


def test_run_now_runs_the_job_on_the_engine(admin_client: Client, start_worker: Any) -> None:
    start_worker("--jobs", "tests.testapp.tasks.add", "--name", "cron-run-now-test")
    cron = Cron.objects.create(
        name="sum", job="tests.testapp.tasks.add", schedule="@daily", args=[20, 22]
    )
    response = admin_client.post(
        LIST, {"action": "run_now", "_selected_action": [cron.pk]}, follow=True
    )
    [shown] = [str(m) for m in response.context["messages"]]
    run_id = shown.split("run ")[1].split("<")[0]
    assert get_run(run_id).get(timeout=60) == 42
