"""Settings of the benchmarks' Django side: the test suite's database choice (DATABASE_URL,
PostgreSQL in ``make bench``), django-hatchet with its defaults, and the bench jobs."""

import os

import environ

env = environ.Env()

SECRET_KEY = "django-hatchet-bench"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_hatchet",
    "bench.benchapp",
]
LOGGING_CONFIG = None
# The workflow of row 9 lives in flows.py (see its docstring).
HATCHET_AUTODISCOVER_MODULES = ["tasks", "flows"]
HATCHET_WORKER_NAME = os.environ.get("BENCH_WORKER_NAME", "bench")
