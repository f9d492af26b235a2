"""Row 2: what a web process with no token pays for django_hatchet, in a fresh interpreter.

    python bench/web_boot.py plain|hatchet|integrations|sdk

``hatchet`` hides OpenTelemetry and Sentry as if they were not installed (the bench's
virtualenv has them, for the tests); ``integrations`` is the same with them installed but not
configured (``docs/integrations.md``).

Prints JSON: the seconds (wall, and this process's CPU time) from the script's first line to
the end of the first dispatch, and how many ``grpc`` / ``hatchet_sdk`` modules were loaded.
"""

from __future__ import annotations

import time

START = time.perf_counter()
START_CPU = time.process_time()  # Interpreter start-up is not counted in either.

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = str(Path(__file__).resolve().parent.parent)
if ROOT not in sys.path:  # After PYTHONPATH: row 2 puts a copy of django_hatchet first.
    sys.path.append(ROOT)


def main(mode: str) -> None:
    for key in [k for k in os.environ if k.startswith("HATCHET_")]:
        del os.environ[key]
    if mode == "hatchet":  # As if not installed: importlib's find_spec() answers None.
        sys.modules.update(opentelemetry=None, sentry_sdk=None)
    elif mode == "integrations":
        mode = "hatchet"
    if mode == "sdk":
        import hatchet_sdk  # noqa: F401
    else:
        import django
        from django.conf import settings

        apps = ["django.contrib.contenttypes", "django.contrib.auth"]
        if mode == "hatchet":
            apps += ["django_hatchet", "bench.benchapp"]
        settings.configure(
            SECRET_KEY="bench",
            USE_TZ=True,
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            INSTALLED_APPS=apps,
            LOGGING_CONFIG=None,
        )
        django.setup()
        if mode == "hatchet":
            from bench.benchapp.tasks import noop

            noop.delay("", 0.0).get()
        else:
            from bench.plain_tasks import noop as plain_noop

            plain_noop("", 0.0)
    elapsed = time.perf_counter() - START
    cpu = time.process_time() - START_CPU
    modules = [m for m in sys.modules if m.split(".")[0] in ("grpc", "hatchet_sdk")]
    hatchet = sys.modules.get("django_hatchet")
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu": cpu,
                "sdk_modules": len(modules),
                "hatchet_from": getattr(hatchet, "__file__", None) or "",
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
