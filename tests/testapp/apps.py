import json
import os
from typing import Any

from django.apps import AppConfig


def record_signal(signal: Any, sender: Any, **kwargs: Any) -> None:
    """In a worker process of the tests: append each job signal to TEST_SIGNAL_LOG."""
    path = os.environ.get("TEST_SIGNAL_LOG")
    if not path:
        return
    names = {"job_started": "started", "job_finished": "finished"}
    from django_hatchet import signals

    name = next(n for n in names if getattr(signals, n) is signal)
    status = kwargs.get("status")
    line = {
        "signal": names[name],
        "job": sender.name,
        "run_id": kwargs["run_id"],
        "attempt": kwargs["attempt"],
        "status": str(status) if status else None,
    }
    with open(path, "a") as log:
        log.write(json.dumps(line) + "\n")


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_hatchet.signals import job_finished, job_started

        job_started.connect(record_signal, dispatch_uid="tests.started")
        job_finished.connect(record_signal, dispatch_uid="tests.finished")
        from tests import observability  # Its jobs, on their own queue, in every process.

        if os.environ.get("TEST_OBSERVABILITY"):  # A worker of tests/test_integrations_engine.py.
            observability.configure()
