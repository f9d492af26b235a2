"""The web process never pays for the Hatchet SDK: no hatchet_sdk or grpc import inline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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


def test_saving_a_cron_in_the_admin_s_model_inline_never_imports_the_sdk():
    result = run_python(
        f"""
        import json, sys
        import django
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from django_hatchet.models import Cron
        cron = Cron.objects.create(name="nightly", job="tests.testapp.tasks.add",
                                   schedule="0 3 * * *")
        cron.delete()
        print(json.dumps({HEAVY}))
        """,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL="sqlite://:memory:",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_importing_the_package_reads_no_settings():
    # With no settings configured at all, reading one would raise ImproperlyConfigured.
    result = run_python(
        """
        import django_hatchet
        from django_hatchet import (checks, conf, crons, encoding, exceptions, jobs, runs,
                                    worker)
        from django_hatchet.jobs import registry
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


START_UP = """
    import json, sys
    # OpenTelemetry and Sentry as if not installed (the tests' virtualenv has them).
    sys.modules.update(opentelemetry=None, sentry_sdk=None)
    import django
    from django.conf import settings
    apps = ["django.contrib.contenttypes", "django.contrib.auth"]
    settings.configure(
        SECRET_KEY="x",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=apps + (["django_hatchet", "bench.benchapp"] if %(hatchet)s else []),
    )
    django.setup()
    if %(hatchet)s:
        from bench.benchapp.tasks import noop
        noop.delay("", 0.0).get()
    print(json.dumps(sorted(sys.modules)))
"""


def test_a_web_process_start_up_loads_nothing_but_django_hatchet_s_own_modules():
    # What benchmark row 2 times (docs/benchmarks.md), without timing it: a no-token process
    # that sets Django up, imports a tasks module and runs a job inline loads no module that
    # the same process without django_hatchet does not (no dataclasses, no SDK), and of ours
    # only what dispatching inline needs (no crons, no admin, no engine, no outbox), and, with
    # no library to tell, no integration but the test of which ones are installed.
    plain, ours = (run_python(START_UP % {"hatchet": flag}) for flag in (False, True))
    assert plain.returncode == 0, plain.stderr
    assert ours.returncode == 0, ours.stderr
    added = set(json.loads(ours.stdout)) - set(json.loads(plain.stdout))
    # __future__: our modules start with `from __future__ import annotations`; Django's do not.
    added.discard("__future__")
    assert {m for m in added if not m.startswith(("django_hatchet", "bench"))} == set()
    assert sorted(m for m in added if m.startswith("django_hatchet")) == [
        "django_hatchet",
        "django_hatchet.apps",
        "django_hatchet.backends",
        "django_hatchet.backends.base",
        "django_hatchet.backends.commit",
        "django_hatchet.backends.inline",
        "django_hatchet.calls",
        "django_hatchet.checks",
        "django_hatchet.conf",
        "django_hatchet.conf.spec",
        "django_hatchet.encoding",
        "django_hatchet.exceptions",
        "django_hatchet.hooks",
        "django_hatchet.integrations",
        "django_hatchet.jobs",
        "django_hatchet.jobs.decorator",
        "django_hatchet.jobs.job",
        "django_hatchet.jobs.registry",
        "django_hatchet.models",
        "django_hatchet.options",
        "django_hatchet.runs",
        "django_hatchet.runs.handle",
        "django_hatchet.runs.history",
        "django_hatchet.runs.ids",
        "django_hatchet.signals",
    ]


def test_the_public_names_loaded_on_first_use_are_the_real_ones():
    import django_hatchet
    from django_hatchet.celery.tasks import shared_task
    from django_hatchet.jobs.about import about
    from django_hatchet.jobs.context import JobContext

    assert django_hatchet.about is about
    assert django_hatchet.shared_task is shared_task
    assert django_hatchet.JobContext is JobContext
    assert {"about", "shared_task", "JobContext"} <= set(django_hatchet.__all__)
    with pytest.raises(AttributeError, match="module 'django_hatchet' has no attribute 'nope'"):
        django_hatchet.nope  # noqa: B018
