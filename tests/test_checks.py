from __future__ import annotations

import pytest
from django.core import checks
from django.test import override_settings

from django_hatchet.checks import check_crons, check_settings


def ids(messages):
    return [m.id for m in messages]


def run_checks():
    return [m for m in checks.run_checks() if m.id.startswith("django_hatchet.")]


def test_the_test_settings_pass():
    assert run_checks() == []


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("HATCHET_CLIENT_TOKEN", 123, "HATCHET_CLIENT_TOKEN must be a string"),
        ("HATCHET_ALWAYS_INLINE", "yes", "HATCHET_ALWAYS_INLINE must be True or False, not str"),
        (
            "HATCHET_ENQUEUE_ON_COMMIT",
            1,
            "HATCHET_ENQUEUE_ON_COMMIT must be True or False, not int",
        ),
        ("HATCHET_INLINE_PROPAGATE_EXCEPTIONS", None, "must be True or False, not NoneType"),
        ("HATCHET_AUTODISCOVER_MODULES", "tasks", "must be a list of module names"),
        ("HATCHET_AUTODISCOVER_MODULES", ["tasks", 1], "must be a list of module names"),
        ("HATCHET_CRONS", [], "HATCHET_CRONS must be a dict"),
    ],
)
def test_e001_setting_of_the_wrong_type(setting, value, expected):
    with override_settings(**{setting: value}):
        [error] = check_settings()
    assert error.id == "django_hatchet.E001"
    assert expected in error.msg
    assert f"Set {setting} to" in error.hint


def cron_ids(crons):
    with override_settings(HATCHET_CRONS=crons):
        return ids(check_crons())


JOB = "tests.testapp.tasks.add"


def test_e001_crons_not_a_dict_is_reported_once():
    with override_settings(HATCHET_CRONS=["x"]):
        assert ids(run_checks()) == ["django_hatchet.E001"]


@pytest.mark.parametrize("name", ["bad name", "", "a/b", 7])
def test_e002_invalid_cron_name(name):
    assert cron_ids({name: {"job": JOB, "schedule": "@daily", "args": [1, 2]}}) == [
        "django_hatchet.E002"
    ]


@pytest.mark.parametrize(
    "entry",
    [
        "0 3 * * *",
        {"schedule": "@daily"},
        {"job": JOB},
        {"job": JOB, "schedule": "@daily", "arguments": [1]},
        {"job": JOB, "schedule": 5},
        {"job": JOB, "schedule": "@daily", "args": "1, 2"},
        {"job": JOB, "schedule": "@daily", "kwargs": [1]},
        {"job": JOB, "schedule": "@daily", "enabled": "yes"},
    ],
)
def test_e003_malformed_cron_entry(entry):
    assert cron_ids({"c": entry}) == ["django_hatchet.E003"]


def test_e004_unknown_job_lists_the_known_ones():
    with override_settings(HATCHET_CRONS={"c": {"job": "tests.nope", "schedule": "@daily"}}):
        [error] = check_crons()
    assert error.id == "django_hatchet.E004"
    assert "'tests.nope', which is not registered" in error.msg
    assert JOB in error.hint
    assert error.obj == "HATCHET_CRONS['c']"


def test_e005_invalid_schedule():
    with override_settings(
        HATCHET_CRONS={"c": {"job": JOB, "schedule": "0 9 * * MON", "args": [1, 2]}}
    ):
        [error] = check_crons()
    assert error.id == "django_hatchet.E005"
    assert "'0 9 * * MON', which Hatchet would refuse" in error.msg
    assert "Names such as MON or JAN are not accepted" in error.hint


def test_e006_cron_args_not_json():
    with override_settings(
        HATCHET_CRONS={"c": {"job": "tests.echo", "schedule": "@daily", "kwargs": {"when": {1, 2}}}}
    ):
        [error] = check_crons()
    assert error.id == "django_hatchet.E006"
    assert "value of type set" in error.msg


def test_e007_cron_args_do_not_fit_the_job():
    assert cron_ids({"c": {"job": JOB, "schedule": "@daily", "args": [1]}}) == [
        "django_hatchet.E007"
    ]
    assert cron_ids({"c": {"job": JOB, "schedule": "@daily", "kwargs": {"a": 1, "c": 2}}}) == [
        "django_hatchet.E007"
    ]


def test_several_mistakes_in_one_entry_are_all_reported():
    assert cron_ids({"bad name": {"job": "nope", "schedule": "bad", "args": [{1}]}}) == [
        "django_hatchet.E002",
        "django_hatchet.E004",
        "django_hatchet.E005",
        "django_hatchet.E006",
    ]


def test_checks_run_through_manage_py_check():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with (
        override_settings(
            HATCHET_CRONS={"c": {"job": JOB, "schedule": "61 * * * *", "args": [1, 2]}}
        ),
        pytest.raises(SystemCheckError, match=r"django_hatchet.E005"),
    ):
        call_command("check")


def test_e008_a_job_uses_an_undeclared_rate_limit():
    with override_settings(HATCHET_RATE_LIMITS={}):
        errors = [m for m in run_checks() if m.id == "django_hatchet.E008"]
    assert len(errors) == 1
    assert (
        "uses the rate limit 'tests-per-second', which HATCHET_RATE_LIMITS does not declare"
        in errors[0].msg
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("HATCHET_RATE_LIMITS", {"smtp": 10}),
        ("HATCHET_RATE_LIMITS", {"smtp": (10, "fortnight")}),
        ("HATCHET_DEFAULT_TIMEOUT", 0),
        ("HATCHET_DEFAULT_SCHEDULE_TIMEOUT", "1h"),
        ("HATCHET_WORKER_SLOTS", 0),
        ("HATCHET_WORKER_NAME", ""),
        ("HATCHET_WORKER_LABELS", {"zone": True}),
        ("HATCHET_WORKER_CONNECT_ATTEMPTS", -1),
        ("HATCHET_CLIENT_HOST_PORT", 7077),
        ("HATCHET_EMBEDDED", "yes"),
    ],
)
def test_e001_engine_and_worker_settings(setting, value):
    with override_settings(**{setting: value}):
        assert ids(check_settings()) == ["django_hatchet.E001"]


def test_e009_namespace_hatchet_would_refuse():
    with override_settings(HATCHET_CLIENT_NAMESPACE="my shop"):
        assert [m.id for m in run_checks()] == ["django_hatchet.E009"]
    with override_settings(HATCHET_CLIENT_NAMESPACE="shop-staging"):
        assert run_checks() == []


def test_e010_a_schedule_that_never_fires():
    assert cron_ids({"c": {"job": JOB, "schedule": "0 0 30 2 *", "args": [1, 2]}}) == [
        "django_hatchet.E010"
    ]
    assert cron_ids({"c": {"job": JOB, "schedule": "0 0 29 2 *", "args": [1, 2]}}) == []


def test_e012_w003_hatchet_embedded_from_the_environment(monkeypatch):
    monkeypatch.setenv("HATCHET_EMBEDDED", "maybe")
    assert ids(run_checks()) == ["django_hatchet.E012"]
    monkeypatch.setenv("HATCHET_EMBEDDED", "1")
    assert run_checks() == []
    with override_settings(HATCHET_EMBEDDED=False):
        assert ids(run_checks()) == ["django_hatchet.W003"]
    with override_settings(HATCHET_EMBEDDED="yes"):  # Reported, not raised by another check.
        assert ids(run_checks()) == ["django_hatchet.E001"]
