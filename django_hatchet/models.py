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


class Cron(models.Model):
    """A cron made in the admin (or with the ORM): a job to run on a schedule, owned by the
    database and applied to the engine without a deploy (see ``django_hatchet.crons.stored``).
    The crons of ``HATCHET_CRONS`` are not rows: the settings own them."""

    name = models.CharField(
        max_length=200,
        unique=True,
        help_text="A name for the cron: letters, digits, '.', '_' and '-', e.g. nightly-report.",
    )
    job = models.CharField(max_length=200, help_text="The job or workflow it runs.")
    schedule = models.CharField(
        max_length=100,
        help_text="A cron expression in UTC (five fields, or six with seconds first), "
        "e.g. 0 3 * * * for 03:00 UTC every day, or @hourly.",
    )
    args = models.JSONField(
        default=list, blank=True, help_text='Positional arguments, as a JSON list: [1, "a"].'
    )
    kwargs = models.JSONField(
        default=dict,
        blank=True,
        help_text='Keyword arguments, as a JSON object: {"limit": 10}.',
    )
    enabled = models.BooleanField(default=True, help_text="Untick to pause the cron.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    #: When the engine last matched this row (None: not applied yet).
    applied_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: Why the row is not on the engine as it is, after the last try ("" when it is).
    sync_error = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = "cron"
        verbose_name_plural = "crons"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def applied(self) -> bool:
        """Is the engine's copy this version of the row?"""
        return self.applied_at is not None and self.applied_at >= self.updated_at
