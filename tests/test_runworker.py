from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_hatchet.testing.processes import ManagedProcess
from tests.admin_fixtures import FAKE_TOKEN

ROOT = Path(__file__).resolve().parent.parent


def run_command() -> str:
    out = StringIO()
    call_command("runworker", stdout=out)
    return out.getvalue()


def test_without_a_token_it_explains_and_returns():
    message = run_command()
    assert "HATCHET_CLIENT_TOKEN is not set" in message
    assert "jobs run inline" in message
    assert "crons (HATCHET_CRONS) do not run" in message


@override_settings(HATCHET_CLIENT_TOKEN="a-token", HATCHET_ALWAYS_INLINE=True)
def test_always_inline_says_why():
    message = run_command()
    assert "HATCHET_ALWAYS_INLINE is True" in message
    assert "crons (HATCHET_CRONS) do not run" in message


def test_exits_0_without_a_token_in_a_real_process():
    env = {k: v for k, v in os.environ.items() if k != "HATCHET_CLIENT_TOKEN"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    result = subprocess.run(
        [sys.executable, "-m", "django", "runworker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "HATCHET_CLIENT_TOKEN" in result.stdout
    assert "Traceback" not in result.stderr


def test_reload_with_embedded_is_refused_even_without_an_engine():
    with pytest.raises(CommandError, match="--reload and --embedded do not go together"):
        call_command("runworker", "--reload", "--embedded")


def test_reload_started_on_a_broken_jobs_module_waits_for_a_fix(tmp_path):
    """The parent leaves the system checks to the worker: their error does not end it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHET_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.broken_jobs_settings",
        PYTHONPATH=str(ROOT),
        HATCHET_CLIENT_TOKEN=FAKE_TOKEN,  # Never used: the worker stops at the checks.
    )
    process = ManagedProcess(
        [sys.executable, "manage.py", "runworker", "--reload"],
        tmp_path / "out.log",
        env=env,
        cwd=ROOT,
    ).start()
    try:
        process.wait_for("Waiting for a file to change to start it again", 60)
        output = process.output()
        assert "(django_hatchet.E011) The jobs module tests.testapp.broken_jobs" in output
        assert "The worker exited with status 1." in output
        assert process.running
    finally:
        assert process.stop() == 0, process.output()
