"""What docs/security.md guarantees: no secret in logs, pages or errors; redacted input;
permission-checked, CSRF-protected actions; job names looked up in the registry only."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

import django_hatchet
from django_hatchet.conf import scrub
from django_hatchet.jobs.registry import registry
from tests.admin_fixtures import FAKE_TOKEN, client_for, make_user, row
from tests.testapp import jobs, tasks

#: A token no page, log line or error may show: JWT-shaped, with a recognisable signature.
SIGNATURE = "c2VjcmV0LWNhbmFyeS1zaWduYXR1cmUtOTQ3MQ"
TOKEN = FAKE_TOKEN.rsplit(".", 1)[0] + "." + SIGNATURE
CANARY = "tests.security_canary"
OVERVIEW = "/admin/django_hatchet/overview/"
RUNS = "/admin/django_hatchet/run/"


def assert_no_secret(text: str) -> None:
    for secret in (TOKEN, SIGNATURE, SIGNATURE[:12], SIGNATURE[-12:], FAKE_TOKEN):
        assert secret not in text, f"{secret!r} leaked in:\n{text}"


@pytest.fixture
def canary() -> Iterator[None]:
    """Fail if anything imports tests.security_canary (as a crafted job name would)."""
    sys.modules.pop(CANARY, None)
    os.environ.pop("DJANGO_HATCHET_CANARY_IMPORTED", None)
    yield
    assert CANARY not in sys.modules, "a job name imported a module"
    assert "DJANGO_HATCHET_CANARY_IMPORTED" not in os.environ


# Secrets ---------------------------------------------------------------------------------


def test_scrub_removes_the_token_whole_cut_or_jwt_shaped():
    with override_settings(HATCHET_CLIENT_TOKEN=TOKEN):
        assert scrub(f"refused {TOKEN}!") == "refused ********!"
        cut = f"input_value={{'token': '{TOKEN[:20]}...{TOKEN[-20:]}'}}"
        assert_no_secret(scrub(cut))
        assert scrub("Check HATCHET_CLIENT_TOKEN, it expired") == (
            "Check HATCHET_CLIENT_TOKEN, it expired"
        )
    assert scrub(f"any JWT: {FAKE_TOKEN} here") == "any JWT: ******** here"


@pytest.mark.django_db  # runworker looks for unapplied migrations
def test_runworker_never_prints_a_token_the_sdk_refuses(capsys, caplog):
    secret = "not-a-jwt-" + SIGNATURE
    with (
        override_settings(HATCHET_CLIENT_TOKEN=secret),
        caplog.at_level(logging.DEBUG),
        pytest.raises(CommandError) as info,
    ):
        call_command("runworker")
    # The SDK's error quotes the token (pydantic's input_value); the command does not.
    assert str(info.value).startswith("The Hatchet client settings are not valid: ")
    assert "Token must be a valid JWT" in str(info.value)
    out = capsys.readouterr()
    for text in (str(info.value), out.out, out.err, caplog.text):
        assert_no_secret(text)


@pytest.mark.django_db  # runworker looks for unapplied migrations
def test_runworker_never_prints_the_token_when_the_engine_is_unreachable(capsys, caplog):
    settings = {"HATCHET_CLIENT_TOKEN": TOKEN, "HATCHET_CLIENT_HOST_PORT": "127.0.0.1:1"}
    with (
        override_settings(**settings),
        caplog.at_level(logging.DEBUG),
        pytest.raises(CommandError) as info,
    ):
        call_command("runworker", "--connect-attempts", "1")
    assert "Cannot reach the Hatchet engine at 127.0.0.1:1" in str(info.value)
    out = capsys.readouterr()
    for text in (str(info.value), out.out, out.err, caplog.text):
        assert_no_secret(text)


def test_a_setting_error_never_quotes_the_token():
    from django_hatchet.checks import check_settings

    with override_settings(HATCHET_CLIENT_TOKEN=TOKEN.encode()):
        [error] = check_settings()
    assert_no_secret(error.msg)
    assert error.msg.endswith("not bytes.")


@pytest.mark.django_db
def test_admin_pages_with_the_engine_down_never_show_the_token(fake_engine, caplog):
    fake_engine.answers = False
    viewer = client_for(make_user("viewer", "view_run"))
    with caplog.at_level(logging.DEBUG):
        pages = [viewer.get(url) for url in (OVERVIEW, RUNS, RUNS + "some-id/change/")]
    assert [p.status_code for p in pages] == [200, 200, 200]
    text = "".join(p.content.decode() for p in pages)
    assert "engine refused the connection (token ********)" in text
    assert_no_secret(text + caplog.text)


# Redaction -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_now_records_the_call_with_secrets_redacted():
    operator = client_for(make_user("operator", "view_run", "change_run"))
    url = "/admin/django_hatchet/overview/run/tests.testapp.jobs.takes_a_password/"
    response = operator.post(url, {"args": '["ann"]', "kwargs": '{"password": "hunter2-x"}'})
    assert response.status_code == 302
    entry = LogEntry.objects.get()
    assert entry.change_message == (
        'Ran now from the admin: tests.testapp.jobs.takes_a_password("ann", password="********")'
    )


@pytest.mark.django_db
@override_settings(HATCHET_ADMIN_REDACT_KEYS=["iban"])
def test_list_and_page_redact_the_configured_keys_at_any_depth(fake_engine):
    secret_input = {"args": [{"payer": {"IBAN": "DE00-hunter2"}}], "kwargs": {"note": "ok"}}
    fake_engine.rows = [row(input=secret_input, output={"customer_iban": "DE00-hunter2"})]
    viewer = client_for(make_user("viewer", "view_run"))
    list_page = viewer.get(RUNS).content.decode()
    run_page = viewer.get(f"{RUNS}{fake_engine.rows[0].id}/change/").content.decode()
    for page in (list_page, run_page):
        assert "hunter2" not in page
        assert "********" in page
    assert "ok" in run_page


def test_enqueue_errors_never_quote_argument_values():
    with pytest.raises(TypeError) as info:
        jobs.takes_a_password.delay("ann", password={"hunter2-x"})  # type: ignore[arg-type]
    assert "argument 'password' is a value of type set" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_inline_failures_log_no_arguments(caplog):
    with caplog.at_level(logging.DEBUG):
        run = tasks.fail.delay("it broke")
    assert run.status == "FAILED"
    # The job's own message is its business; the arguments are never logged by the app.
    assert (
        caplog.records[0].getMessage()
        == f"Job tests.testapp.tasks.fail (inline run {run.id}) failed"
    )


# Admin actions ---------------------------------------------------------------------------

ACTIONS = [
    (OVERVIEW + "run/tests.echo/", {"args": "[]", "kwargs": "{}"}),
    (RUNS + "01a203ba-e29c-7adc-99c4-96a95169b675/cancel/", {}),
    (RUNS + "01a203ba-e29c-7adc-99c4-96a95169b675/retry/", {}),
    (RUNS, {"action": "cancel", "run": "01a203ba-e29c-7adc-99c4-96a95169b675 cf79"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_every_action_needs_change_permission(fake_engine, url, data):
    fake_engine.rows = [row(status="RUNNING")]
    viewer = client_for(make_user("viewer", "view_run"))
    assert viewer.post(url, data).status_code == 403
    assert not fake_engine.cancelled
    assert not fake_engine.replayed
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "data"), ACTIONS)
def test_every_action_needs_the_csrf_token(fake_engine, url, data):
    fake_engine.rows = [row(status="RUNNING")]
    operator = client_for(make_user("operator", "view_run", "change_run"), csrf=True)
    assert operator.post(url, data).status_code == 403
    assert not fake_engine.cancelled
    assert not fake_engine.replayed
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["cancel", "retry"])
def test_cancel_and_retry_refuse_get(fake_engine, action):
    fake_engine.rows = [row(status="RUNNING")]
    operator = client_for(make_user("operator", "view_run", "change_run"))
    response = operator.get(f"{RUNS}{fake_engine.rows[0].id}/{action}/")
    assert response.status_code == 405
    assert not fake_engine.cancelled
    assert not fake_engine.replayed


# Job names -------------------------------------------------------------------------------

CRAFTED = [f"{CANARY}.payload", "os.system", "django.core.management.call_command"]


@pytest.mark.parametrize("name", CRAFTED)
@pytest.mark.usefixtures("canary")
def test_the_registry_never_imports_a_name(name):
    assert registry.get(name) is None
    assert name not in registry
    with pytest.raises(KeyError, match="No job is registered as"):
        registry[name]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CRAFTED)
@pytest.mark.usefixtures("canary")
def test_admin_run_now_of_a_crafted_name_is_404(name):
    operator = client_for(make_user("operator", "view_run", "change_run"))
    url = f"{OVERVIEW}run/{name}/"
    assert operator.post(url, {"args": '["true"]', "kwargs": "{}"}).status_code == 404
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("canary")
def test_admin_run_page_of_a_run_with_a_crafted_job_name(fake_engine):
    fake_engine.rows = [row(job=f"{CANARY}.payload")]
    viewer = client_for(make_user("viewer", "view_run"))
    response = viewer.get(f"{RUNS}{fake_engine.rows[0].id}/change/")
    assert response.status_code == 200
    assert f"{CANARY}.payload" in response.content.decode()


@pytest.mark.django_db  # runworker looks for unapplied migrations
@pytest.mark.usefixtures("canary")
def test_crons_and_runworker_never_import_a_name():
    from django_hatchet.checks import check_crons

    crons = {"c": {"job": f"{CANARY}.payload", "schedule": "0 3 * * *"}}
    with override_settings(HATCHET_CRONS=crons):
        assert [e.id for e in check_crons()] == ["django_hatchet.E004"]
    with (
        override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN),
        pytest.raises(CommandError, match=r"No job matches 'tests\.security_canary\.payload'"),
    ):
        call_command("runworker", "--jobs", f"{CANARY}.payload")


def test_the_django_tasks_backend_never_imports_a_name():
    from django_hatchet.tasks_backend import backend

    sys.modules.pop(CANARY, None)
    try:
        assert backend._task_named(f"{CANARY}.payload") is None
        assert CANARY not in sys.modules, "the job name imported a module"
    finally:
        sys.modules.pop(CANARY, None)
        os.environ.pop("DJANGO_HATCHET_CANARY_IMPORTED", None)


# On a real engine ------------------------------------------------------------------------


@pytest.mark.engine
@pytest.mark.django_db
@pytest.mark.usefixtures("engine_settings", "canary")
def test_engine_get_run_of_a_run_with_a_crafted_job_name(worker):
    from django_hatchet.engine.client import get_client
    from django_hatchet.runs import metadata as engine
    from django_hatchet.runs.ids import new_run_id

    run_id = new_run_id()
    get_client().runs.create(
        "tests.echo",
        {"args": [], "kwargs": {}},
        additional_metadata={engine.RUN_ID_KEY: run_id, engine.JOB_KEY: f"{CANARY}.payload"},
    )
    found = django_hatchet.get_run(run_id)
    assert found.job_name == f"{CANARY}.payload"
    assert found.get(timeout=60) == {"args": [], "kwargs": {}}


@pytest.mark.engine
@pytest.mark.usefixtures("engine_settings")
def test_engine_the_worker_logs_neither_the_token_nor_the_arguments(worker, hatchet_engine):
    run = jobs.takes_a_password.delay("ann", password="hunter2-x")
    assert run.get(timeout=60) == "ann"
    output = worker.output()
    assert "tests.testapp.jobs.takes_a_password" in output  # The banner lists it.
    assert hatchet_engine["HATCHET_CLIENT_TOKEN"] not in output
    assert hatchet_engine["HATCHET_CLIENT_TOKEN"].rsplit(".", 1)[1][:12] not in output
    assert "hunter2" not in output
