"""The web process never pays for the Hatchet SDK: no hatchet_sdk or grpc import inline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HATCHET_", "DJANGO_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


HEAVY = "[m for m in sys.modules if m.split('.')[0] in ('hatchet_sdk', 'grpc')]"


def test_setup_import_tasks_and_dispatch_inline_never_import_the_sdk():
    result = run_python(
        f"""
        import json, sys
        import django_hatchet
        import django
        django.setup()
        from django.core import checks
        from django.core.management import call_command
        from tests.testapp import tasks
        assert not django_hatchet.jobs_enabled()
        assert tasks.add.delay(1, 2).get() == 3
        assert tasks.async_add.delay(1, 2).get() == 3
        checks.run_checks()
        print(json.dumps({HEAVY}))
        """,
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_importing_the_package_reads_no_settings():
    # With no settings configured at all, reading one would raise ImproperlyConfigured.
    result = run_python(
        """
        import django_hatchet
        from django_hatchet import (checks, conf, crons, encoding, exceptions, jobs, runs,
                                    job_registry, worker)
        from django_hatchet.backends import inline
        """
    )
    assert result.returncode == 0, result.stderr


def test_the_sdk_import_warning_is_filtered_exactly():
    # hatchet_sdk fails under -W error::DeprecationWarning; pytest's filter names that one
    # warning (pyproject.toml), so that every other warning still fails the suite.
    result = run_python("import hatchet_sdk", PYTHONWARNINGS="error::DeprecationWarning")
    assert result.returncode != 0
    assert "The 'initial' parameter is deprecated" in result.stderr


def test_the_sdk_imports_under_the_suites_warning_filters():
    import hatchet_sdk

    assert hasattr(hatchet_sdk, "Hatchet")
