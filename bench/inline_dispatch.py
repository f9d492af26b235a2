"""Benchmark: inline dispatch, ``job.delay(...).get()`` with a trivial job.

Peers, measured in the same process and the same run:
- Django Tasks' ImmediateBackend, ``task.enqueue(...)`` (``django.tasks`` on Django 6,
  the ``django-tasks`` backport on 5.2);
- Celery's eager mode, ``task.delay(...).get()``.

Prints the median time per call of each over several repetitions, with the spread, and
the ratios. Goal: django-hatchet at most 0.25x ImmediateBackend.

    python bench/inline_dispatch.py [--calls N] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:  # Django 6
    import django.tasks

    TASKS_MODULE = "django.tasks"
except ImportError:
    TASKS_MODULE = "django_tasks"

settings.configure(
    DEBUG=False,
    USE_TZ=True,
    SECRET_KEY="bench",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    INSTALLED_APPS=["django_hatchet"]
    + (["django_tasks"] if TASKS_MODULE == "django_tasks" else []),
    TASKS={"default": {"BACKEND": f"{TASKS_MODULE}.backends.immediate.ImmediateBackend"}},
    LOGGING_CONFIG=None,
)
django.setup()

from celery import Celery  # noqa: E402

from django_hatchet import job  # noqa: E402

if TASKS_MODULE == "django.tasks":
    from django.tasks import task
else:
    from django_tasks import task


def add(a: int, b: int) -> int:
    return a + b


hatchet_add = job(name="bench.add")(add)
django_add = task()(add)
celery_app = Celery("bench", set_as_current=False)
celery_app.conf.task_always_eager = True
celery_add = celery_app.task(name="bench.add")(add)


def candidates() -> dict[str, Callable[[], object]]:
    return {
        "django-hatchet job.delay().get()": lambda: hatchet_add.delay(1, 2).get(),
        "Django Tasks ImmediateBackend enqueue()": lambda: django_add.enqueue(1, 2).return_value,
        "Celery eager task.delay().get()": lambda: celery_add.delay(1, 2).get(),
    }


def time_per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000, help="calls per repetition")
    parser.add_argument("--repeat", type=int, default=9, help="repetitions (median reported)")
    options = parser.parse_args()

    fns = candidates()
    for fn in fns.values():  # warm up, and check they all compute the same thing
        assert fn() == 3
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(options.repeat):  # interleaved, so that drift hits every candidate alike
        for name, fn in fns.items():
            samples[name].append(time_per_call(fn, options.calls))

    medians = {name: statistics.median(s) for name, s in samples.items()}
    ours = medians["django-hatchet job.delay().get()"]
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, {TASKS_MODULE}")
    print(
        f"{options.repeat} repetitions of {options.calls} calls; "
        "median and spread (min-max) per call"
    )
    print(f"{'candidate':<42} {'median':>10} {'spread':>21} {'ratio':>7}")
    for name, s in samples.items():
        spread = f"{min(s) * 1e6:.1f}-{max(s) * 1e6:.1f} us"
        print(
            f"{name:<42} {medians[name] * 1e6:>7.1f} us {spread:>21} {ours / medians[name]:>6.2f}x"
        )
    immediate = medians["Django Tasks ImmediateBackend enqueue()"]
    celery = medians["Celery eager task.delay().get()"]
    print(f"\ndjango-hatchet / ImmediateBackend = {ours / immediate:.3f} (goal <= 0.25)")
    print(f"django-hatchet / Celery eager     = {ours / celery:.3f}")


if __name__ == "__main__":
    main()
