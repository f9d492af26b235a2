"""Models without tables: they give the admin its entries and permissions.

Runs live in the Hatchet engine, not in this database (see docs/admin.md). ``Run`` and
``Overview`` exist so that the admin lists the pages under "Hatchet jobs", and so that access
is granted like any other: ``django_hatchet.view_run`` to see the pages, ``change_run`` to run,
retry and cancel.
"""

from __future__ import annotations

from django.db import models


class Overview(models.Model):
    """The status page: mode, engine, workers, jobs, crons and the last 24 hours."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "overview"
        verbose_name_plural = "overview"

    def __str__(self) -> str:
        return "Hatchet jobs overview"


class Run(models.Model):
    """One run of a job, as the engine (or, inline, this process) knows it."""

    id = models.CharField(primary_key=True, max_length=64)
    job = models.CharField(max_length=200)

    class Meta:
        managed = False
        default_permissions = ("view", "change")
        verbose_name = "run"
        verbose_name_plural = "runs"

    def __str__(self) -> str:
        return f"{self.job} run {self.id}" if self.job else f"run {self.id}"
