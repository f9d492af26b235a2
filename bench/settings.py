"""Settings of the benchmarks' Django side: the test suite's database choice (DATABASE_URL,
PostgreSQL in ``make bench``) with persistent connections, django-hatchet with its defaults,
the bench jobs, and the durable peers' apps on the same database: Procrastinate's Django
contrib and django-tasks-db (Django Tasks' database backend)."""

import os

import environ

env = environ.Env()

SECRET_KEY = "django-hatchet-bench"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite://:memory:")}
# Persistent connections, as each peer's docs recommend for its worker in production.
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_hatchet",
    "procrastinate.contrib.django",
    "django_tasks",
    "django_tasks_db",
    "bench.benchapp",
]
LOGGING_CONFIG = None
# The workflow of row 9 lives in flows.py (see its docstring).
HATCHET_AUTODISCOVER_MODULES = ["tasks", "flows"]
HATCHET_WORKER_NAME = os.environ.get("BENCH_WORKER_NAME", "bench")
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "procrastinate_tasks"
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
