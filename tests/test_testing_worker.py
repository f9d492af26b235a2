"""The ``hatchet_worker`` fixture (django_hatchet.testing.worker), as a project uses it.

The engine tests run a small project's own test session with pytester: the plugin comes from
the installed package's entry point, the engine is the SDK's embedded one, started by the
fixture, and the worker runs the project's jobs on the project's test database.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from django_hatchet.backends import Dispatch
from django_hatchet.runs import JobRun
from django_hatchet.testing.worker import (
    TEST_KEY,
    EngineUnavailable,
    check_test_databases,
    option,
    start_engine,
    tagging,
    worker_databases,
)
from tests.testapp import tasks

ROOT = Path(__file__).resolve().parent.parent

# A project with one app, as a user would have it; its settings come after these lines.
SETTINGS = """
SECRET_KEY = "project"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_hatchet",
    "shop",
]
# As docs/testing.md recommends: jobs run inline in tests, unless hatchet_worker says otherwise.
HATCHET_ALWAYS_INLINE = True
"""

SHOP_TASKS = """
import time

from django.contrib.auth.models import User

from django_hatchet import job


@job
def add(a, b):
    return a + b


@job
def user_exists(username):
    return User.objects.filter(username=username).exists()


@job
def fan_out(n):
    return [add.delay(i, i).id for i in range(n)]


@job(timeout=120)
def sleeper(seconds):
    time.sleep(seconds)


@job
def broken():
    raise RuntimeError("the shop is closed")
"""

PROJECT_TESTS = """
import time

import pytest
from django.contrib.auth.models import User

from django_hatchet import RunStatus, get_run
from shop import tasks

LEFT_RUNNING = []


def eventually(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_delay_and_get_run_on_the_engine(hatchet_worker):
    run = tasks.add.delay(2, 3)
    assert run.get(timeout=60) == 5
    assert run.engine_run_id is not None


def test_the_worker_sees_the_tests_rows(hatchet_worker):
    User.objects.create(username="alice")
    assert tasks.user_exists.delay("alice").get(timeout=60) is True
    assert tasks.user_exists.delay("bob").get(timeout=60) is False


def test_runs_enqueued_by_jobs_are_the_tests_too(hatchet_worker):
    tasks.fan_out.delay(3).get(timeout=60)
    children = hatchet_worker.wait_for(tasks.add, count=3, timeout=60)
    assert sorted(run.get() for run in children) == [0, 2, 4]
    assert [run.job_name for run in hatchet_worker.runs("shop.tasks.fan_out")] == [
        "shop.tasks.fan_out"
    ]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_each_test_sees_only_its_own_runs(hatchet_worker, n):
    if LEFT_RUNNING:  # The previous test's sleeper was cancelled when it ended.
        assert eventually(lambda: get_run(LEFT_RUNNING[-1]).status is RunStatus.CANCELLED)
    done = tasks.add.delay(n, n)
    assert done.get(timeout=60) == 2 * n
    running = tasks.sleeper.delay(30)
    LEFT_RUNNING.append(running.id)
    assert eventually(lambda: len(hatchet_worker.runs()) >= 2)
    assert sorted(run.id for run in hatchet_worker.runs()) == sorted([done.id, running.id])
    [finished] = hatchet_worker.wait_for()
    assert (finished.id, finished.result) == (done.id, 2 * n)


def test_a_failure_shows_the_workers_output(hatchet_worker):
    tasks.broken.delay()
    [run] = hatchet_worker.wait_for(tasks.broken, timeout=60)
    assert run.status is RunStatus.COMPLETED, "the job failed, as it should"
"""


def write_project(pytester: pytest.Pytester, database: dict[str, Any]) -> None:
    pytester.makeini(
        """
        [pytest]
        DJANGO_SETTINGS_MODULE = project_settings
        pythonpath = .
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
        """
    )
    pytester.makepyfile(
        project_settings=SETTINGS + f"DATABASES = {{'default': {database!r}}}\n",
        test_project=PROJECT_TESTS,
    )
    shop = pytester.mkpydir("shop")
    (shop / "tasks.py").write_text(textwrap.dedent(SHOP_TASKS))


def project_environment(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    for name in list(os.environ):
        if name.startswith(("HATCHET_", "DJANGO_")):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def embedded_engine_variables() -> dict[str, str]:
    """How the project's session starts its engine here: this repository's sidecar, on a
    database of its own; the sidecar's cache and keys from the real home directory (pytester
    gives the project another one)."""
    script = str(ROOT / "scripts" / "hatchet-engine")

    def run(*args: str, **env: str) -> str:
        result = subprocess.run(
            [script, *args], env={**os.environ, **env}, capture_output=True, text=True
        )
        if result.returncode:
            pytest.fail(f"scripts/hatchet-engine {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout.strip()

    database = os.environ.get("TEST_HATCHET_FIXTURE_ENGINE_DB", "hatchet_engine_fixture")
    home = Path.home()
    return {
        "HATCHET_CLIENT_EMBEDDED_BINARY_PATH": run("build"),
        "HATCHET_CLIENT_EMBEDDED_DATABASE_URL": run("database-url", HATCHET_ENGINE_DB=database),
        "HATCHET_ENGINE_CACHE_DIR": str(Path(run("cache-dir")).parent),
        "HATCHET_ENGINE_STATE_DIR": os.environ.get(
            "HATCHET_ENGINE_STATE_DIR",
            str(home / ".local" / "state" / "django-hatchet" / "hatchet-engine"),
        ),
    }


def project_database() -> dict[str, Any]:
    """The project's own PostgreSQL database: its test database is test_<name>, not this
    session's."""
    database = dict(settings.DATABASES["default"])
    if not database["ENGINE"].endswith("postgresql"):
        pytest.fail("The engine tests run on PostgreSQL: set DATABASE_URL (scripts/postgres).")
    database = {
        key: database[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
    }
    database["NAME"] = str(database["NAME"]).removeprefix("test_") + "_project"
    return database


@pytest.mark.engine
def test_a_project_runs_its_jobs_on_a_real_worker(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    embedded_engine_variables: dict[str, str],
) -> None:
    write_project(pytester, project_database())
    project_environment(monkeypatch, **embedded_engine_variables)

    result = pytester.runpytest_subprocess("-p", "no:randomly", "-v", timeout=600)

    output = result.stdout.str()
    result.assert_outcomes(passed=6, failed=1)
    assert "test_a_failure_shows_the_workers_output FAILED" in output
    # The failed test's report shows what the worker printed during it: the job's error.
    assert "hatchet worker output" in output
    assert "RuntimeError: the shop is closed" in output


@pytest.mark.engine
def test_a_project_can_use_the_engine_its_ci_started(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, hatchet_engine: dict[str, str]
) -> None:
    write_project(pytester, project_database())
    project_environment(
        monkeypatch,
        HATCHET_TEST_CLIENT_TOKEN=hatchet_engine["HATCHET_CLIENT_TOKEN"],
        HATCHET_TEST_CLIENT_HOST_PORT=hatchet_engine["HATCHET_CLIENT_HOST_PORT"],
        HATCHET_TEST_CLIENT_SERVER_URL=hatchet_engine["HATCHET_CLIENT_SERVER_URL"],
        HATCHET_TEST_CLIENT_TLS_STRATEGY="none",
        # Never used: with a token, the fixture starts no engine.
        HATCHET_CLIENT_EMBEDDED_BINARY_PATH="/bin/false",
    )

    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-k", "delay_and_get or own_runs", timeout=600
    )

    result.assert_outcomes(passed=4)


def test_the_fixture_fails_when_the_engine_cannot_start(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(pytester.path / "db")}
    write_project(pytester, {**database, "TEST": {"NAME": str(pytester.path / "test_db")}})
    project_environment(monkeypatch, HATCHET_CLIENT_EMBEDDED_BINARY_PATH="/bin/false")

    result = pytester.runpytest_subprocess("-p", "no:randomly", "-k", "delay_and_get")

    result.assert_outcomes(errors=1)  # An error, not a skip: the run fails.
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "The Hatchet engine for the tests did not start" in output
    assert "HATCHET_CLIENT_EMBEDDED_BINARY_PATH" in output
    assert "HATCHET_CLIENT_EMBEDDED_DATABASE_URL" in output
    assert "HATCHET_TEST_CLIENT_TOKEN" in output
    # Said once, as the test's error: not again as the exception it was raised from.
    report = output.partition("short test summary info")[0]
    assert report.count("HATCHET_CLIENT_EMBEDDED_DATABASE_URL to a PostgreSQL") == 1, report
    assert "During handling of the above exception" not in report
    assert "direct cause" not in report


NO_ENGINE_CONFTEST = """
from django_hatchet.testing import worker


def started(*args, **kwargs):
    raise AssertionError("an engine was started")


worker.start_engine = started
"""


def test_an_in_memory_sqlite_database_is_refused_before_the_engine_starts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_project(pytester, {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})
    pytester.makeconftest(NO_ENGINE_CONFTEST)
    project_environment(monkeypatch, HATCHET_TEST_CLIENT_TOKEN="never-used")

    result = pytester.runpytest_subprocess("-p", "no:randomly", "-k", "delay_and_get")

    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "cannot see the in-memory SQLite test database of DATABASES['default']" in output
    assert "an engine was started" not in output


def test_the_test_database_the_worker_would_use_is_checked_before_it_exists():
    memory = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
    with pytest.raises(EngineUnavailable, match=r"\['TEST'\] = \{'NAME'"):
        check_test_databases({"default": memory})
    on_disk = {**memory, "TEST": {"NAME": "test.sqlite3"}}
    check_test_databases({"default": on_disk, "other": {"ENGINE": "x.postgresql", "NAME": ""}})


# The pieces, without an engine ----------------------------------------------------------


def test_options_come_from_the_environment_then_the_settings(monkeypatch):
    monkeypatch.delenv("HATCHET_TEST_WORKER_SLOTS", raising=False)
    assert option("HATCHET_TEST_WORKER_SLOTS", "10") == "10"
    with override_settings(HATCHET_TEST_WORKER_SLOTS=4):
        assert option("HATCHET_TEST_WORKER_SLOTS", "10") == "4"
        monkeypatch.setenv("HATCHET_TEST_WORKER_SLOTS", "6")
        assert option("HATCHET_TEST_WORKER_SLOTS", "10") == "6"


def test_an_engine_named_by_a_token_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("HATCHET_TEST_CLIENT_TOKEN", "a-token")
    monkeypatch.setenv("HATCHET_TEST_CLIENT_HOST_PORT", "ci-engine:7077")
    monkeypatch.setenv("HATCHET_TEST_CLIENT_TLS_STRATEGY", "none")
    connection = start_engine()
    values = connection.settings()
    assert values["HATCHET_CLIENT_TOKEN"] == "a-token"
    assert values["HATCHET_CLIENT_HOST_PORT"] == "ci-engine:7077"
    assert values["HATCHET_CLIENT_TLS_STRATEGY"] == "none"
    assert values["HATCHET_CLIENT_NAMESPACE"].startswith("pytest")
    assert values["HATCHET_ALWAYS_INLINE"] is False


def test_an_engine_that_does_not_start_says_what_to_set(monkeypatch):
    monkeypatch.delenv("HATCHET_TEST_CLIENT_TOKEN", raising=False)
    monkeypatch.setenv("HATCHET_CLIENT_EMBEDDED_BINARY_PATH", "/bin/false")
    with pytest.raises(EngineUnavailable, match="HATCHET_CLIENT_EMBEDDED_DATABASE_URL"):
        start_engine()


def test_the_worker_cannot_share_an_in_memory_sqlite_database():
    memory = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    with pytest.raises(EngineUnavailable, match=r"\['TEST'\] = \{'NAME'"):
        worker_databases(memory)
    on_disk = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/test.db"}}
    assert worker_databases(on_disk) == on_disk


def test_tagging_adds_the_tests_key_to_every_run_for_its_duration():
    run: JobRun[int] = JobRun("0190a0a0-0000-7000-8000-000000000000", "add", None)  # type: ignore[arg-type]
    payload = '{"args": [1, 2], "kwargs": {}}'
    dispatch = Dispatch(tasks.add, run, payload)
    with tagging("abc"):
        assert dispatch.metadata()[TEST_KEY] == "abc"
    assert dispatch.metadata()[TEST_KEY] == "abc"  # A run keeps the metadata it was sent with.
    assert TEST_KEY not in Dispatch(tasks.add, run, payload).metadata()
