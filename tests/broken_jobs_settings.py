"""tests.settings, with a jobs module that fails to import (tests/testapp/broken_jobs.py)."""

from tests.settings import *  # noqa: F403

HATCHET_AUTODISCOVER_MODULES = ["tasks", "jobs", "celery_tasks", "broken_jobs"]
