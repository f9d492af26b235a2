"""Every kind of bad input a user can give, and the exact error they see (docs/bad-input.md)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

import django_hatchet
from django_hatchet import Concurrency, JobFailed, RunStatus
from django_hatchet.checks import check_jobs_modules, check_settings
from django_hatchet.conf import conf
from django_hatchet.encoding import PayloadError, max_payload_bytes
from django_hatchet.jobs.registry import JobRegistry, registry
from django_hatchet.testing.processes import READY_LINE
from tests.admin_fixtures import FAKE_TOKEN, client_for, make_user
from tests.engine import worker_environment
from tests.testapp import jobs, tasks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = f"more than the {max_payload_bytes():,} bytes that fit in one message to the Hatchet engine"


def runworker(
    env: dict[str, str], *args: str, checks: bool = False
) -> subprocess.CompletedProcess[str]:
    """``manage.py runworker`` as a user runs it; without the system checks unless asked,
    so that each test sees the error it is about."""
    return subprocess.run(
        [sys.executable, "manage.py", "runworker", *args, *([] if checks else ["--skip-checks"])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def offline_env(**changes: str) -> dict[str, str]:
    """A worker's environment with a well-formed token, for errors raised before connecting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=ROOT,
        HATCHET_CLIENT_TOKEN=FAKE_TOKEN,
        HATCHET_CLIENT_TLS_STRATEGY="none",
    )
    env.update(changes)
    return env


# Arguments -------------------------------------------------------------------------------


def test_non_json_argument():
    with pytest.raises(TypeError) as info:
        tasks.add.delay(1, {2})  # type: ignore[arg-type]
    assert str(info.value) == (
        "tests.testapp.tasks.add: argument 'b' is a value of type set, which is not JSON "
        "serializable. Job arguments travel as JSON; pass only JSON values: str, int, float, "
        "bool, None, and lists and dicts of them (dict keys must be strings)."
    )


def test_huge_payload_is_refused_before_sending_inline():
    size = max_payload_bytes() + 1
    with pytest.raises(PayloadError) as info:
        tasks.echo.delay("x" * size)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith(f"tests.echo: the arguments are {size + 25:,} bytes as JSON, ")
    assert LIMIT in message
    assert "(its gRPC limit, 4,194,304 bytes, less 16 KiB for the rest of the request)" in message
    assert "Nothing was enqueued." in message


def test_huge_payload_is_refused_before_sending_on_an_engine(monkeypatch):
    from django_hatchet.engine import dispatch as engine

    monkeypatch.setattr(engine, "trigger", lambda *d: pytest.fail("sent to the engine"))
    monkeypatch.setattr(engine, "start_many", lambda *d: pytest.fail("sent to the engine"))
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN):
        with pytest.raises(PayloadError, match=f"the arguments are .* bytes as JSON, {LIMIT}"):
            tasks.echo.delay("é" * (max_payload_bytes() // 2))  # Two bytes each in UTF-8.
        with pytest.raises(PayloadError, match=LIMIT):
            tasks.echo.delay_many([("x" * max_payload_bytes(),)])


def test_the_limit_follows_the_sdks_message_length_setting(monkeypatch):
    monkeypatch.setenv("HATCHET_CLIENT_GRPC_MAX_SEND_MESSAGE_LENGTH", str(64 * 1024))
    conf.reset()
    with pytest.raises(PayloadError, match="more than the 49,152 bytes"):
        tasks.echo.delay("x" * 50_000)


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda: tasks.echo.delay("a\x00b"), "positional argument 0"),
        (
            lambda: tasks.echo.delay(note={"text": ["ok", "a\x00"]}),
            "argument 'note' (at note['text'][1])",
        ),
        (lambda: tasks.echo.delay(note={"k\x00": 1}), "argument 'note' (at note key 'k\\x00')"),
    ],
)
def test_nul_character_in_an_argument_is_refused_naming_where(call, where):
    with pytest.raises(PayloadError) as info:
        call()
    assert str(info.value) == (
        f"tests.echo: {where} is a string holding the NUL character (\\u0000), which the "
        "engine cannot store. Job arguments travel as JSON to the engine; remove the character "
        "(text.replace('\\x00', '')), or send binary data as base64."
    )


def test_nul_character_is_refused_on_an_engine_too(monkeypatch):
    from django_hatchet.engine import dispatch as engine

    monkeypatch.setattr(engine, "trigger", lambda *d: pytest.fail("sent to the engine"))
    with (
        override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN),
        pytest.raises(PayloadError, match="argument 'text' is a string holding the NUL"),
    ):
        jobs.measure.delay("\x00")


def test_an_escaped_backslash_u0000_is_not_a_nul():
    assert tasks.echo.delay("\\u0000").get() == {"args": ["\\u0000"], "kwargs": {}}


def test_lone_surrogate_is_refused():
    with pytest.raises(PayloadError, match="argument 'text' is a string holding a lone surrogate"):
        jobs.measure.delay("\ud800")


def test_nul_in_a_send_event_payload():
    with pytest.raises(PayloadError, match=r"send_event\('tests:note'\): argument 'payload'"):
        django_hatchet.send_event("tests:note", {"text": "\x00"})


def test_nul_in_a_cron_argument_is_check_e006():
    from django_hatchet.checks import check_crons

    crons = {"n": {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *", "args": ["\x00", 1]}}
    with override_settings(HATCHET_CRONS=crons):
        [error] = check_crons()
    assert error.id == "django_hatchet.E006"
    assert "HATCHET_CRONS['n']: argument 'args' (at args[0]) is a string holding the NUL" in (
        error.msg
    )


@pytest.mark.django_db
def test_run_now_in_the_admin_with_a_nul_shows_why_and_enqueues_nothing():
    operator = client_for(make_user("operator", "view_run", "change_run"))
    url = "/admin/django_hatchet/overview/run/tests.echo/"
    response = operator.post(url, {"args": '["a\\u0000b"]', "kwargs": "{}"})
    assert response.status_code == 200
    assert "The run was not enqueued: tests.echo: positional argument 0 is a " in (
        response.content.decode()
    )
    assert not LogEntry.objects.exists()


# Return values ---------------------------------------------------------------------------


def test_return_value_with_a_nul_fails_the_run_inline():
    run = jobs.returns_nul.delay()
    assert run.status is RunStatus.FAILED
    with pytest.raises(PayloadError) as info:
        run.get()
    assert str(info.value).startswith(
        "tests.testapp.jobs.returns_nul returned a string holding the NUL character (\\u0000), "
        "which the engine cannot store (at return value['name']). "
    )


def test_return_value_too_large_fails_the_run_inline():
    run = jobs.returns_too_much.delay(max_payload_bytes())
    with pytest.raises(PayloadError, match=f"returns_too_much returned .* bytes as JSON, {LIMIT}"):
        run.get()


# Times and options -----------------------------------------------------------------------


def test_naive_eta():
    with pytest.raises(ValueError, match="eta must be timezone-aware") as info:
        tasks.add.apply_async((1, 2), eta=datetime(2030, 1, 1))
    assert str(info.value) == (
        "tests.testapp.tasks.add.apply_async(): eta must be timezone-aware, so that it means the "
        "same instant everywhere; use django.utils.timezone.now() + timedelta(...)."
    )


def test_negative_countdown():
    with pytest.raises(ValueError, match="countdown must be 0 or more") as info:
        tasks.add.apply_async((1, 2), countdown=-5)
    assert str(info.value) == (
        "tests.testapp.tasks.add.apply_async(): countdown must be 0 or more, not -5."
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"retries": -1}, ValueError, "retries must be 0 or more, not -1."),
        ({"timeout": 0}, ValueError, "timeout must be positive, not 0:00:00."),
        ({"timeout": -0.5}, ValueError, "timeout must be positive, not -1 day, 23:59:59.500000."),
        (
            {"concurrency": Concurrency(max_runs=1, strategy="FIFO")},
            ValueError,
            "concurrency strategy 'FIFO' is not one of GROUP_ROUND_ROBIN, CANCEL_IN_PROGRESS, "
            "CANCEL_NEWEST, QUEUE_NEWEST, DROP_NEWEST.",
        ),
        ({"retries": "3"}, TypeError, "retries must be an int, not str."),
    ],
)
def test_invalid_option_values(define, options, error, message):
    source = f"""
        from django_hatchet import job
        def report(): ...
        job(**{options!r})(report)
    """
    if "concurrency" in options:
        source = source.replace("import job", "import job, Concurrency")
    with pytest.raises(error) as info:
        define(source)
    assert str(info.value) == (f"@job on tests.defined.report (/src/tests/defined.py:3): {message}")


def test_malformed_hatchet_crons():
    from django_hatchet.checks import check_crons

    crons = {
        "nightly report": {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *"},
        "shape": {"job": "tests.testapp.tasks.add", "schedule": "0 3 * * *", "arguments": []},
        "names": {"job": "tests.testapp.tasks.add", "schedule": "0 9 * * MON", "args": [1, 2]},
        "nope": {"job": "orders.tasks.nope", "schedule": "0 3 * * *"},
    }
    with override_settings(HATCHET_CRONS=crons):
        found = {e.id: e.msg for e in check_crons()}
    assert (
        found["django_hatchet.E002"]
        == "HATCHET_CRONS: the cron name 'nightly report' is not valid."
    )
    assert found["django_hatchet.E003"] == "HATCHET_CRONS['shape'] has unknown keys: arguments."
    assert found["django_hatchet.E004"] == (
        "HATCHET_CRONS['nope'] names the job 'orders.tasks.nope', which is not registered."
    )
    assert found["django_hatchet.E005"].startswith(
        "HATCHET_CRONS['names'] has the schedule '0 9 * * MON', which Hatchet would refuse: "
        "the day of week field 'MON'"
    )
    with override_settings(HATCHET_CRONS=["not", "a", "dict"]):
        [error] = check_settings()
    assert error.id == "django_hatchet.E001"
    assert error.msg.startswith("HATCHET_CRONS must be a dict of cron name to")


# Job definitions -------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"name": "reports.nested"}])
def test_a_job_defined_inside_a_function_is_refused_even_with_a_name(define, options):
    source = f"""
        from django_hatchet import job
        def factory():
            @job(**{options!r})
            def nested(): ...
        factory()
    """
    with pytest.raises(TypeError) as info:
        define(source)
    assert str(info.value) == (
        "@job on tests.defined.factory.<locals>.nested (/src/tests/defined.py:4): jobs must be "
        "defined at module level, so that the worker can import them; this one is defined "
        "inside a function."
    )


def test_a_jobs_module_that_fails_to_import_is_recorded_and_check_e011():
    discovered = JobRegistry()
    with override_settings(HATCHET_AUTODISCOVER_MODULES=["tasks", "broken_jobs"]):
        discovered.autodiscover()
    error = (
        "ZeroDivisionError: the module broke on purpose at import "
        f"({ROOT}/tests/testapp/broken_jobs.py:10)"
    )
    assert discovered.import_errors == {"tests.testapp.broken_jobs": error}
    assert "tests.testapp.tasks.add" in registry  # The other modules were still discovered.


def test_check_e011_and_runworker_refuse_to_start_after_a_failed_import(monkeypatch):
    monkeypatch.setattr(registry, "import_errors", {"shop.tasks": "ImportError: no module x"})
    [error] = check_jobs_modules()
    assert error.id == "django_hatchet.E011"
    assert error.msg == (
        "The jobs module shop.tasks failed to import: ImportError: no module x. "
        "Its jobs are not registered."
    )
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN), pytest.raises(CommandError) as info:
        call_command("runworker")
    assert str(info.value) == (
        "A jobs module failed to import, so its jobs would not run here: shop.tasks: "
        "ImportError: no module x. Fix it (its traceback is logged above), or remove the "
        "module's name from HATCHET_AUTODISCOVER_MODULES."
    )


def test_runworker_with_a_broken_jobs_module_exits_1_naming_it():
    result = runworker(
        offline_env(DJANGO_SETTINGS_MODULE="tests.broken_jobs_settings"), checks=True
    )
    assert result.returncode == 1
    assert (
        "(django_hatchet.E011) The jobs module tests.testapp.broken_jobs failed to import: "
        "ZeroDivisionError: the module broke on purpose at import" in result.stderr
    )
    assert READY_LINE not in result.stdout


# Unknown job names -----------------------------------------------------------------------


def test_unknown_job_name_in_the_registry():
    with pytest.raises(KeyError, match=r"No job is registered as 'orders\.tasks\.nope'\."):
        registry["orders.tasks.nope"]


@pytest.mark.django_db
def test_run_now_of_an_unknown_job_name_is_404():
    operator = client_for(make_user("operator", "view_run", "change_run"))
    response = operator.post("/admin/django_hatchet/overview/run/orders.tasks.nope/", {})
    assert response.status_code == 404
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_run_page_of_a_job_not_registered_here(fake_engine):
    from tests.admin_fixtures import row

    fake_engine.rows = [row(job="billing.tasks.elsewhere")]
    viewer = client_for(make_user("viewer", "view_run"))
    response = viewer.get(f"/admin/django_hatchet/run/{fake_engine.rows[0].id}/change/")
    assert response.status_code == 200
    assert "billing.tasks.elsewhere" in response.content.decode()


def test_get_run_in_inline_mode():
    with pytest.raises(django_hatchet.JobError) as info:
        django_hatchet.get_run("0190a000-0000-7000-8000-000000000000")
    assert str(info.value) == (
        "Cannot look up run 0190a000-0000-7000-8000-000000000000: jobs run inline (no "
        "HATCHET_CLIENT_TOKEN), and inline runs live only in the handle that .delay() returned."
    )


# Connection settings ---------------------------------------------------------------------


def test_tls_strategy_typo_in_settings_is_e001_and_improperly_configured():
    with override_settings(HATCHET_CLIENT_TLS_STRATEGY="tsl"):
        [error] = check_settings()
        assert error.id == "django_hatchet.E001"
        assert error.msg == (
            'HATCHET_CLIENT_TLS_STRATEGY must be "tls", "mtls", "none" or None, not str (\'tsl\').'
        )
        with pytest.raises(ImproperlyConfigured, match="HATCHET_CLIENT_TLS_STRATEGY must be"):
            _ = conf.CLIENT_OPTIONS


def test_tls_strategy_typo_in_the_environment_stops_runworker():
    result = runworker(offline_env(HATCHET_CLIENT_TLS_STRATEGY="tsl"))
    assert result.returncode == 1
    assert (
        "CommandError: HATCHET_CLIENT_TLS_STRATEGY is 'tsl'; it must be 'tls', 'mtls' or "
        "'none' (the SDK would connect without TLS)." in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_mtls_without_its_files_stops_runworker(monkeypatch, tmp_path):
    monkeypatch.setenv("HATCHET_CLIENT_TLS_STRATEGY", "mtls")
    with override_settings(HATCHET_CLIENT_TOKEN=FAKE_TOKEN):
        with pytest.raises(CommandError) as info:
            call_command("runworker")
        assert str(info.value) == (
            "HATCHET_CLIENT_TLS_STRATEGY is 'mtls', which needs HATCHET_CLIENT_TLS_ROOT_CA_FILE, "
            "HATCHET_CLIENT_TLS_CERT_FILE, HATCHET_CLIENT_TLS_KEY_FILE (the environment "
            "variables naming the CA, certificate and key files)."
        )
        monkeypatch.setenv("HATCHET_CLIENT_TLS_STRATEGY", "tls")
        monkeypatch.setenv("HATCHET_CLIENT_TLS_ROOT_CA_FILE", str(tmp_path / "ca.pem"))
        with pytest.raises(CommandError) as info:
            call_command("runworker")
        assert str(info.value) == (
            f"HATCHET_CLIENT_TLS_ROOT_CA_FILE names '{tmp_path / 'ca.pem'}', which is not a file."
        )


def test_engine_at_a_wrong_address():
    result = runworker(
        offline_env(HATCHET_CLIENT_HOST_PORT="127.0.0.1:1"), "--connect-attempts", "1"
    )
    assert result.returncode == 1
    assert (
        "CommandError: Cannot reach the Hatchet engine at 127.0.0.1:1 after 1 attempts "
        "(UNAVAILABLE: " in result.stderr
    )
    assert "Is it running? Its address comes from the token, or HATCHET_CLIENT_HOST_PORT." in (
        result.stderr
    )
    assert FAKE_TOKEN not in result.stdout + result.stderr


def test_a_token_that_is_not_a_jwt_names_the_setting_not_the_token():
    token = "not-a-jwt-but-a-secret-3f9c1d7e5b"
    result = runworker(offline_env(HATCHET_CLIENT_TOKEN=token))
    assert result.returncode == 1
    assert "CommandError: The Hatchet client settings are not valid" in result.stderr
    assert "Token must be a valid JWT" in result.stderr
    assert "secret-3f9c1d7e5b" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_of_the_wrong_type_is_e001_without_its_value():
    with override_settings(HATCHET_CLIENT_TOKEN=b"bytes-secret-value"):
        [error] = check_settings()
        with pytest.raises(ImproperlyConfigured) as info:
            _ = conf.CLIENT_TOKEN
    assert error.msg == (
        "HATCHET_CLIENT_TOKEN must be a string (the Hatchet API token) or None, not bytes."
    )
    assert str(info.value) == error.msg


# On a real engine ------------------------------------------------------------------------


@pytest.mark.engine
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_arguments_just_under_the_limit_go_through():
    text = "x" * (max_payload_bytes() - 100)
    assert jobs.measure.delay(text).get(timeout=60) == len(text)


@pytest.mark.engine
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_a_return_value_just_under_the_limit_comes_back():
    size = max_payload_bytes() - 100
    assert jobs.returns_too_much.delay(size).get(timeout=60) == "x" * size


@pytest.mark.engine
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_a_large_input_and_output_together_give_a_clear_error():
    text = secrets.token_hex(max_payload_bytes() // 4 + 500)  # Incompressible: gzip on the wire.
    run = tasks.echo.delay(text)
    # Either the engine's answer fits (it compresses payloads), or get() says what to do;
    # never a bare grpc.RpcError.
    outcome: Any
    try:
        outcome = run.get(timeout=60)
    except django_hatchet.JobError as exc:
        outcome = exc
    if isinstance(outcome, Exception):
        assert "larger than a gRPC message may be" in str(outcome)
    else:
        assert outcome["args"] == [text]


@pytest.mark.engine
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_a_return_value_with_a_nul_fails_the_run_with_a_clear_error():
    run = jobs.returns_nul.delay()
    with pytest.raises(JobFailed) as info:
        run.get(timeout=60)
    assert info.value.exc_type == "PayloadError"
    assert info.value.exc_message.startswith(
        "tests.testapp.jobs.returns_nul returned a string holding the NUL character (\\u0000), "
        "which the engine cannot store (at return value['name'])."
    )
    assert run.status is RunStatus.FAILED


@pytest.mark.engine
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_a_return_value_too_large_fails_the_run_with_a_clear_error():
    run = jobs.returns_too_much.delay(max_payload_bytes())
    with pytest.raises(JobFailed) as info:
        run.get(timeout=60)
    assert info.value.exc_type == "PayloadError"
    assert LIMIT in info.value.exc_message


@pytest.mark.engine
@pytest.mark.django_db
@pytest.mark.usefixtures("worker", "engine_settings")
def test_engine_get_run_of_a_job_not_registered_in_this_process():
    run = tasks.add.apply_async((1, 2), enqueue_on_commit=False)
    assert run.get(timeout=60) == 3
    registry.unregister("tests.testapp.tasks.add")
    found = django_hatchet.get_run(run.id)
    assert found.job_name == "tests.testapp.tasks.add"
    assert found.status is RunStatus.COMPLETED
    assert found.get(timeout=10) == 3


@pytest.mark.engine
def test_engine_tls_against_an_engine_without_tls(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    env["HATCHET_CLIENT_TLS_STRATEGY"] = "tls"
    result = runworker(env, "--settings=tests.settings", "--connect-attempts", "1")
    assert result.returncode == 1
    assert f"Cannot reach the Hatchet engine at {env['HATCHET_CLIENT_HOST_PORT']}" in result.stderr
    assert (
        "This looks like a TLS mismatch: HATCHET_CLIENT_TLS_STRATEGY must match the engine"
        in result.stderr
    )
    assert env["HATCHET_CLIENT_TOKEN"] not in result.stdout + result.stderr


@pytest.mark.engine
def test_engine_a_token_the_engine_refuses_names_the_setting(hatchet_engine, namespace):
    env = worker_environment(hatchet_engine, namespace)
    header, payload, signature = env["HATCHET_CLIENT_TOKEN"].split(".")
    env["HATCHET_CLIENT_TOKEN"] = f"{header}.{payload}.{signature[::-1]}"
    result = runworker(env, "--settings=tests.settings", "--connect-attempts", "1")
    assert result.returncode == 1
    assert "refused the token" in result.stderr
    assert "Check HATCHET_CLIENT_TOKEN: it must be a token of this engine's tenant." in (
        result.stderr
    )
    assert signature[::-1][:12] not in result.stdout + result.stderr
