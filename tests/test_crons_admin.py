"""Crons made in the admin (issue 14, item 1): the pages, the form's errors, the actions, the
checks, and what the page says when no engine has them (inline, or the engine down).
On the real engine: test_crons_admin_engine."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from django_hatchet.checks import check_stored_crons
from django_hatchet.crons.stored import load_stored, row_problems
from django_hatchet.models import Cron
from django_hatchet.runs.history import inline_history
from tests.admin_fixtures import client_for, make_user
from tests.test_unreachable import closed_port, engine_at

pytestmark = pytest.mark.django_db

ADD = reverse("admin:django_hatchet_cron_add")
LIST = reverse("admin:django_hatchet_cron_changelist")
ADD_JOB = "tests.testapp.tasks.add"


@pytest.fixture
def admin_client() -> Client:
    return client_for(User.objects.create_superuser("root", "root@example.com", "pw"))


def form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "hourly-sum",
        "job": ADD_JOB,
        "schedule": "0 * * * *",
        "args": "[1, 2]",
        "kwargs": "",
        "enabled": "on",
        "description": "Adds up, every hour.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return {k: list(v) for k, v in response.context["adminform"].form.errors.items()}


# Adding, editing, pausing, deleting --------------------------------------------------------


def test_a_cron_added_in_the_admin_is_a_row(admin_client: Client) -> None:
    response = admin_client.post(ADD, form(), follow=True)
    assert response.status_code == 200
    cron = Cron.objects.get()
    assert (cron.name, cron.job, cron.schedule, cron.args, cron.kwargs, cron.enabled) == (
        "hourly-sum",
        ADD_JOB,
        "0 * * * *",
        [1, 2],
        {},
        True,
    )
    shown = [str(m) for m in response.context["messages"]]
    # Inline mode (no token): saved, and the page says nothing fires.
    assert any("No Hatchet engine is configured (inline mode)" in m for m in shown), shown
    page = response.content.decode()
    assert "no engine (inline): it does not fire" in page
    assert 'id="crons-inline"' in page


def test_the_change_form_shows_the_arguments_as_json(admin_client: Client) -> None:
    cron = Cron.objects.create(
        name="n", job="tests.echo", schedule="@hourly", args=["a"], kwargs={"b": True}
    )
    page = admin_client.get(reverse("admin:django_hatchet_cron_change", args=[cron.pk]))
    text = page.content.decode()
    assert "[&quot;a&quot;]" in text  # JSON, not Python's ['a'].
    assert "{&quot;b&quot;: true}" in text


def test_edit_pause_resume_and_delete(admin_client: Client) -> None:
    admin_client.post(ADD, form())
    cron = Cron.objects.get()
    change = reverse("admin:django_hatchet_cron_change", args=[cron.pk])
    admin_client.post(change, form(schedule=" 30 4 * * * ", args="[3, 4]"))
    cron.refresh_from_db()
    assert (cron.schedule, cron.args) == ("30 4 * * *", [3, 4])
    for action, enabled in (("pause", False), ("resume", True)):
        admin_client.post(LIST, {"action": action, "_selected_action": [cron.pk]})
        cron.refresh_from_db()
        assert cron.enabled is enabled
    page = admin_client.get(LIST).content.decode()
    assert "active" in page
    admin_client.post(reverse("admin:django_hatchet_cron_delete", args=[cron.pk]), {"post": "yes"})
    assert not Cron.objects.exists()


def test_run_now_runs_the_job_with_the_crons_arguments(admin_client: Client) -> None:
    cron = Cron.objects.create(name="sum", job=ADD_JOB, schedule="@daily", args=[20, 22])
    response = admin_client.post(
        LIST, {"action": "run_now", "_selected_action": [cron.pk]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1, shown
    assert shown[0].startswith("sum: <a href="), shown
    run_id = shown[0].split("run ")[1].split("<")[0]
    ran = inline_history.handle(run_id)
    assert ran is not None
    assert (ran.status, ran.get()) == ("COMPLETED", 42)


def test_run_now_needs_the_permission_to_run_jobs(db: None) -> None:
    user = make_user("cron-editor", "view_cron", "change_cron")
    cron = Cron.objects.create(name="sum", job=ADD_JOB, schedule="@daily", args=[1, 1])
    response = client_for(user).post(
        LIST, {"action": "run_now", "_selected_action": [cron.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Running a job needs the permission to change runs."
    ]


def test_settings_crons_are_listed_read_only_and_marked(admin_client: Client) -> None:
    page = admin_client.get(LIST).content.decode()
    settings_part = page[page.index('id="settings-crons"') :]
    assert "nightly-sum" in settings_part
    assert "from settings" in settings_part
    assert "<code>0 3 * * *</code>" in settings_part
    assert "(1, 2)" in settings_part
    assert "nightly-sum" not in page[: page.index('id="settings-crons"')]  # Not a row.


def test_the_overview_lists_both_kinds(admin_client: Client) -> None:
    cron = Cron.objects.create(name="hourly-sum", job=ADD_JOB, schedule="@hourly", args=[1, 1])
    page = admin_client.get(reverse("admin:django_hatchet_overview_changelist")).content.decode()
    assert 'nightly-sum(1, 2) <span class="hatchet-note">(settings)</span>' in page
    url = reverse("admin:django_hatchet_cron_change", args=[cron.pk])
    assert f'<a href="{url}">hourly-sum</a>(1, 1)' in page


# Bad input: form errors naming the field, never a 500 -------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"schedule": "0 9 * * MON"}, "schedule", "Hatchet would refuse this schedule"),
        ({"schedule": "0 0 30 2 *"}, "schedule", "never fires"),
        ({"schedule": ""}, "schedule", "This field is required."),
        ({"job": "tests.nope"}, "job", "Select a valid choice"),
        ({"args": "[1, 2"}, "args", "This is not valid JSON"),
        ({"args": '{"a": 1}'}, "args", "This must be a JSON list"),
        ({"kwargs": "[1]"}, "kwargs", "This must be a JSON object"),
        ({"args": "[1]"}, "args", "missing a required argument: 'b'"),
        ({"kwargs": '{"c": 1}'}, "kwargs", "unexpected keyword argument 'c'"),
        ({"name": "nightly sum"}, "name", "Use letters, digits"),
        ({"name": "nightly-sum"}, "name", "HATCHET_CRONS has a cron named 'nightly-sum'"),
    ],
)
def test_mistakes_are_form_errors_on_their_field(
    admin_client: Client, changes: dict[str, str], field: str, text: str
) -> None:
    found = errors(admin_client.post(ADD, form(**changes)))
    assert any(text in message for message in found.get(field, [])), found
    assert not Cron.objects.exists()


def test_a_duplicate_name_is_a_form_error(admin_client: Client) -> None:
    Cron.objects.create(name="hourly-sum", job=ADD_JOB, schedule="@hourly", args=[1, 1])
    found = errors(admin_client.post(ADD, form()))
    assert found["name"] == ["Cron with this Name already exists."]


def test_the_parameters_are_named_when_arguments_do_not_fit() -> None:
    problems = row_problems("x", ADD_JOB, "@daily", [1], {})
    assert problems == {
        "args": f"{ADD_JOB} cannot take these arguments: missing a required argument: 'b'. "
        "Its parameters: (a: int, b: int) -> int."
    }


# Orphaned crons: the job is gone from the code ---------------------------------------------


def test_an_orphaned_cron_is_marked_and_warned_about(admin_client: Client) -> None:
    Cron.objects.create(name="gone", job="shop.tasks.removed", schedule="@daily")
    page = admin_client.get(LIST).content.decode()
    assert "orphaned: no such job" in page
    assert check_stored_crons(databases=None) == []  # A database check.
    found = check_stored_crons(databases=["default"])
    assert [(m.id, m.level) for m in found] == [("django_hatchet.W001", checks.WARNING)]
    assert "runs the job 'shop.tasks.removed', which is not registered" in found[0].msg
    # Its form keeps the job visible, and refuses it until another is chosen.
    cron = Cron.objects.get()
    change = reverse("admin:django_hatchet_cron_change", args=[cron.pk])
    assert "shop.tasks.removed (not registered)" in admin_client.get(change).content.decode()
    found_errors = errors(admin_client.post(change, form(name="gone", job="shop.tasks.removed")))
    assert "No job named 'shop.tasks.removed' is registered" in found_errors["job"][0]


def test_a_row_saved_with_mistakes_through_the_orm_is_not_applied() -> None:
    Cron.objects.create(name="bad", job=ADD_JOB, schedule="every day", args=[1, 2])
    crons, refused = load_stored()
    assert crons == []
    assert "schedule: Hatchet would refuse this schedule" in refused["bad"]
    found = check_stored_crons(databases=["default"])
    assert [m.id for m in found] == ["django_hatchet.W002"]


# The engine down while saving: the change is kept, and the page says so --------------------


def token(address: str) -> str:
    """An unsigned token of a tenant (a UUID, as the SDK wants) at ``address``."""

    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "sub": "707d0855-80ab-4e1f-a156-f1c4546cbf52",
        "grpc_broadcast_address": address,
        "server_url": f"http://{address}",
    }
    return f"{part({'alg': 'none'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.django_db(transaction=True)
def test_a_save_while_the_engine_is_down_is_kept_and_said(admin_client: Client) -> None:
    address = f"127.0.0.1:{closed_port()}"
    with (
        engine_at(address),
        override_settings(HATCHET_CLIENT_TOKEN=token(address), HATCHET_CRON_SYNC_INTERVAL=7),
    ):
        response = admin_client.post(ADD, form(), follow=True)
    cron = Cron.objects.get()
    assert not cron.applied
    assert "cannot reach the Hatchet engine" in cron.sync_error
    shown = [str(m) for m in response.context["messages"]]
    assert any(
        "is saved, but not on the engine yet" in m
        and "A running worker applies it within 7 s of the engine's return; nothing is lost" in m
        for m in shown
    ), shown
