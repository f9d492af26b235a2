"""The outbox in the admin: runs waiting in the database for the engine (``HATCHET_ON_UNREACHABLE
= "outbox"``), with why they wait. "Send now" hands them to a relay pass in the request;
deleting one drops the run (it never reaches the engine)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ..models import OutboxEntry
from .display import as_json, scrub


class JobFilter(admin.SimpleListFilter):
    """By job, among the jobs of the runs waiting (none, and no filter, when none wait)."""

    title = "job"
    parameter_name = "job"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        jobs = OutboxEntry.objects.order_by("job").values_list("job", flat=True).distinct()
        return [(job, job) for job in jobs]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(job=self.value()) if self.value() else queryset


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "job", "created_at", "run_at", "attempts", "waits", "error")
    list_filter = (JobFilter,)
    search_fields = ("id", "job")
    ordering = ("created_at",)
    actions = ("send_now",)
    fields = (
        "id",
        "job",
        "arguments",
        "run_at",
        "priority",
        "created_at",
        "attempts",
        "claimed_until",
        "uncertain",
        "error",
    )
    readonly_fields = fields

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        title = {"title": "Outbox: runs waiting for the Hatchet engine"}
        return super().changelist_view(request, {**title, **(extra_context or {})})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="arguments")
    def arguments(self, entry: OutboxEntry) -> str:
        try:
            return as_json(json.loads(entry.payload))
        except ValueError:
            return "(not JSON)"

    @admin.display(description="last error")
    def error(self, entry: OutboxEntry) -> str:
        return scrub(entry.last_error)

    @admin.display(description="state")
    def waits(self, entry: OutboxEntry) -> str:
        if entry.claimed_until and entry.claimed_until > timezone.now():
            return "being sent" if not entry.last_error else "next try later"
        return "waiting for a relay"

    @admin.action(description="Send the selected runs now", permissions=["delete"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[OutboxEntry]) -> None:
        from ..conf import conf
        from ..worker.relay import Relay

        if conf.INLINE:
            self.message_user(request, "No engine is configured.", messages.ERROR)
            return
        ids = list(queryset.values_list("id", flat=True))
        # Only the entries that are due: one being sent, or backing off, keeps its claim.
        report = Relay(batch=len(ids)).run_once(only=ids)
        if report.unreachable:
            self.message_user(
                request,
                f"The engine cannot be reached ({scrub(report.unreachable)}); "
                f"{report.sent} sent, the others wait.",
                messages.WARNING,
            )
        else:
            self.message_user(
                request,
                f"{report.sent} run(s) sent; {report.found} were on the engine already; "
                f"{report.failed} failed; {len(ids) - report.sent - report.found - report.failed}"
                " are being sent or wait for their next try.",
                messages.SUCCESS if not report.failed else messages.WARNING,
            )
