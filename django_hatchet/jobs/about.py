"""Which model instance a run is about, so that the admin shows an object's runs.

    @about("orders.Order", "order_id")
    @job(retries=3)
    def send_receipt(order_id: int) -> dict: ...

Each run of ``send_receipt`` then carries ``django_hatchet_object = "orders.order:7"`` in its
metadata on the engine, and ``RunHistoryMixin`` lists the runs of an order on its page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from ..runs.metadata import object_label

if TYPE_CHECKING:
    from .job import Job

J = TypeVar("J", bound="Job[Any, Any]")

__all__ = ["about", "object_label"]


def about(model: type[models.Model] | str, argument: str) -> Callable[[J], J]:
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
        job.about = (label, argument)
        return job

    return declare
