"""The test settings with Django's Tasks framework pointed at django-hatchet (``TASKS``), for
a worker that runs the ``@task`` functions of ``tests/testapp/django_tasks_module.py``."""

from tests.settings import *  # noqa: F403
from tests.settings import HATCHET_AUTODISCOVER_MODULES

TASKS = {"default": {"BACKEND": "django_hatchet.tasks_backend.HatchetBackend"}}
HATCHET_AUTODISCOVER_MODULES = [*HATCHET_AUTODISCOVER_MODULES, "django_tasks_module"]
