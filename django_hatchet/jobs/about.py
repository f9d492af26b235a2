"""Which model instance a run is about, so that the admin shows an object's runs.

    @about("orders.Order", "order_id")
    @job(retries=3)
    def send_receipt(order_id: int) -> dict: ...

Each run of ``send_receipt`` then carries ``django_hatchet_object = "orders.order:7"`` in its
metadata on the engine, and ``RunHistoryMixin`` lists the runs of an order on its page.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from .job import Job

J = TypeVar("J", bound="Job[Any, Any]")

#: Job name -> (model label, lowercased; the parameter that holds the primary key).
ABOUT: dict[str, tuple[str, str]] = {}


def about(model: type[models.Model] | str, argument: str) -> Any:
    """Declare that each run of the job is about the ``model`` instance whose primary key
    the job receives as ``argument``. Put it above ``@job``."""
    if isinstance(model, str):
        app_label, _, name = model.partition(".")
        if not app_label or not name or "." in name:
            raise ValueError(f'@about({model!r}): name the model as "app_label.ModelName".')
        label = model.lower()
    else:
        label = model._meta.label_lower

    def declare(job: J) -> J:
        from .job import Job, describe_function

        if not isinstance(job, Job):
            raise TypeError(f"@about({model!r}, {argument!r}) goes above @job, on a job.")
        if argument not in job.signature.parameters:
            raise TypeError(
                f"@about({model!r}, {argument!r}) on {describe_function(job.func)}: the job "
                f"has no parameter {argument!r} (it takes {job.signature})."
            )
        ABOUT[job.name] = (label, argument)
        return job

    return declare


def object_label(obj: models.Model) -> str:
    """``app_label.model:pk``, as runs about ``obj`` carry it."""
    return f"{obj._meta.label_lower}:{obj.pk}"


def label_for(job: Job[Any, Any], args: Any, kwargs: dict[str, Any]) -> str | None:
    declared = ABOUT.get(job.name)
    if declared is None:
        return None
    label, argument = declared
    try:
        bound = job.signature.bind(*args, **kwargs)
    except TypeError:
        return None
    value = bound.arguments.get(argument, inspect.Parameter.empty)
    if value is inspect.Parameter.empty or value is None:
        return None
    return f"{label}:{value}"


def payload_label(job: Job[Any, Any], payload: str) -> str | None:
    """The label of the object a run with this payload is about, if its job declares one."""
    if job.name not in ABOUT:
        return None
    from ..encoding import loads

    call = loads(payload)
    return label_for(job, call["args"], call["kwargs"])
