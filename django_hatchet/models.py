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


class OutboxEntry(models.Model):
    """A run waiting to reach the engine: written when the engine could not be reached
    (``HATCHET_ON_UNREACHABLE = "outbox"``), or in the caller's transaction for a run enqueued
    on commit, and deleted once the engine has it. See ``django_hatchet.outbox``."""

    #: The run's id: the handle's, and the engine run's ``django_hatchet_run_id``.
    id = models.CharField(primary_key=True, max_length=36)
    job = models.CharField(max_length=200)
    #: ``{"args": [...], "kwargs": {...}}`` as JSON, exactly as it is sent to the engine.
    payload = models.TextField()
    #: The run's additional metadata on the engine.
    metadata = models.JSONField(default=dict)
    run_at = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    #: Dispatch attempts so far (by the process that enqueued it, then by relays).
    attempts = models.PositiveIntegerField(default=0)
    #: Until then a relay (or the enqueuing process) owns the entry; others leave it alone.
    claimed_until = models.DateTimeField(null=True, blank=True, db_index=True)
    #: True when an attempt may have reached the engine: look there before sending again.
    uncertain = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox"
        ordering = ("created_at",)
        default_permissions = ("view", "delete")

    def __str__(self) -> str:
        return f"{self.job} run {self.id}"
