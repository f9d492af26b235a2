"""The additional metadata django-hatchet puts on each run on the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db import models

#: django-hatchet's id of the run (the handle's ``id``), by which any process finds it.
RUN_ID_KEY = "django_hatchet_run_id"
#: The job's name.
JOB_KEY = "django_hatchet_job"
#: The model instance a run is about (``app_label.model:pk``; ``@about``).
OBJECT_KEY = "django_hatchet_object"
#: The canvas run (its id) that started this run as one of its steps.
CANVAS_KEY = "django_hatchet_canvas"
#: The engine's id of the run whose job started this one while it ran (the engine sets it).
PARENT_KEY = "hatchet__parent_workflow_run_id"
#: The cron (its name in ``HATCHET_CRONS``) and the namespace of a cron this app owns on the
#: engine; the runs it starts carry them too.
OWNER_KEY = "django_hatchet_cron"
NAMESPACE_KEY = "django_hatchet_namespace"
#: Who owns a cron: ``DATABASE_SOURCE`` for one made in the admin (``django_hatchet.models.Cron``);
#: a cron of ``HATCHET_CRONS`` has no such key (so that the crons made before the key existed
#: keep their names on the engine).
SOURCE_KEY = "django_hatchet_cron_source"
SETTINGS_SOURCE = "settings"
DATABASE_SOURCE = "database"

#: The trace context of the call that enqueued the run (W3C Trace Context and Baggage, as
#: OpenTelemetry's default propagators write them: ``django_hatchet.integrations.tracing``); a
#: canvas's steps carry it too.
TRACE_KEYS = ("traceparent", "tracestate", "baggage")

#: Metadata added to every run this process triggers, from any thread (the ``hatchet_worker``
#: test fixture tags a test's runs with it).
EXTRA_METADATA: dict[str, str] = {}


def run_metadata(run_id: str, job_name: str, object_label: str | None) -> dict[str, str]:
    """The metadata of a run: its ids, the object it is about, and this process's extras."""
    data = {RUN_ID_KEY: run_id, JOB_KEY: job_name}
    if EXTRA_METADATA:
        data.update(EXTRA_METADATA)
    if object_label:
        data[OBJECT_KEY] = object_label
    return data


def object_label(obj: models.Model) -> str:
    """``app_label.model:pk``, as the runs about ``obj`` carry it (``OBJECT_KEY``)."""
    return f"{obj._meta.label_lower}:{obj.pk}"
