from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

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
