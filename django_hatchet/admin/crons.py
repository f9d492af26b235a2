"""Crons in the admin: those made here (rows of ``django_hatchet.models.Cron``, added, edited,
paused, resumed, deleted and run now), and those of ``HATCHET_CRONS``, shown read-only.

A save applies the rows to the engine once its transaction commits
(``django_hatchet.crons.stored``); the page then says whether the engine has it, and if not,
why and when it will.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from ..conf import conf
from ..crons import load_crons, next_fire
from ..crons.stored import row_problems
from ..jobs.registry import registry
from ..models import Cron
from .display import call_text, scrub
from .forms import args_field, kwargs_field


class CronForm(forms.ModelForm):  # type: ignore[type-arg]
    job = forms.ChoiceField(help_text="The job or workflow it runs.")
    args = args_field()
    kwargs = kwargs_field()

    class Meta:
        model = Cron
        fields = ("name", "job", "schedule", "args", "kwargs", "enabled", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = list(registry.names())
        current = self.instance.job if self.instance.pk else ""
        choices = [("", "---------")] + [(name, name) for name in names]
        if current and current not in names:  # Orphaned: keep it visible, and refuse it.
            choices.append((current, f"{current} (not registered)"))
        job_field = self.fields["job"]
        assert isinstance(job_field, forms.ChoiceField)
        job_field.choices = choices

    def clean_schedule(self) -> str:
        return str(self.cleaned_data["schedule"]).strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not all(key in data for key in ("name", "job", "schedule", "args", "kwargs")):
            return data  # A field error is shown already.
        problems = row_problems(
            data["name"], data["job"], data["schedule"], data["args"], data["kwargs"]
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return data


@admin.register(Cron)
class CronAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CronForm
    list_display = ("name", "job_name", "schedule", "arguments", "state", "next_run", "engine")
    search_fields = ("name", "job", "description")
    actions = ("pause", "resume", "run_now")
    readonly_fields = ("engine", "next_run", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "job", "schedule", "args", "kwargs", "enabled")}),
        ("Notes", {"fields": ("description",)}),
        ("State", {"fields": ("engine", "next_run", "created_at", "updated_at")}),
    )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        extra = {
            "title": "Crons",
            "inline_mode": conf.INLINE,
            "interval": int(conf.CRON_SYNC_INTERVAL.total_seconds()),
            **settings_crons(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        extra = {"inline_mode": conf.INLINE, **(extra_context or {})}
        response = super().changeform_view(request, object_id, form_url, extra)
        if request.method == "POST" and response.status_code == 302:
            self._say_where(request)
        return response

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "POST" and response.status_code == 302:
            self._say_where(request)
        return response

    def _say_where(self, request: HttpRequest) -> None:
        """After a change (applied on commit, by now): where the engine stands."""
        interval = int(conf.CRON_SYNC_INTERVAL.total_seconds())
        if conf.INLINE:
            self.message_user(
                request,
                "Saved. No Hatchet engine is configured (inline mode): crons do not fire "
                "until one is (HATCHET_CLIENT_TOKEN) and a worker runs.",
                messages.WARNING,
            )
            return
        behind = [row for row in Cron.objects.all() if not row.applied and row.sync_error]
        for row in behind:
            self.message_user(
                request,
                f"The cron {row.name!r} is saved, but not on the engine yet: "
                f"{scrub(row.sync_error)} A running worker applies it within {interval} s "
                "of the engine's return; nothing is lost.",
                messages.WARNING,
            )

    # Columns ---------------------------------------------------------------------------

    @admin.display(description="job", ordering="job")
    def job_name(self, row: Cron) -> str:
        if row.job in registry:
            return row.job
        return format_html(
            '{} <span class="errornote hatchet-orphan">orphaned: no such job</span>', row.job
        )

    @admin.display(description="arguments")
    def arguments(self, row: Cron) -> str:
        return call_text({"args": row.args, "kwargs": row.kwargs}) or "()"

    @admin.display(description="state", ordering="enabled")
    def state(self, row: Cron) -> str:
        return "active" if row.enabled else "paused"

    @admin.display(description="next run")
    def next_run(self, row: Cron) -> str:
        if not row.pk or not row.enabled:
            return "-"
        when = next_fire(row.schedule)
        return date_format(localtime(when), "Y-m-d H:i T") if when is not None else "never"

    @admin.display(description="on the engine")
    def engine(self, row: Cron) -> str:
        if not row.pk:
            return "-"
        if conf.INLINE:
            return "no engine (inline): it does not fire"
        if row.job not in registry:
            return "kept as it was: its job is not registered"
        if row.applied:
            return "applied"
        if row.sync_error:
            return f"not yet: {scrub(row.sync_error)}"
        return "being applied"

    # Actions ---------------------------------------------------------------------------

    @admin.action(description="Pause the selected crons", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Cron]) -> None:
        self._set_enabled(request, queryset, False)

    @admin.action(description="Resume the selected crons", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Cron]) -> None:
        self._set_enabled(request, queryset, True)

    def _set_enabled(self, request: HttpRequest, queryset: QuerySet[Cron], enabled: bool) -> None:
        rows = list(queryset.exclude(enabled=enabled))
        for row in rows:
            row.enabled = enabled
            # A save each, not update(): the save applies it to the engine, and the history
            # records who paused it.
            row.save(update_fields=["enabled", "updated_at"])
            self.log_change(request, row, "Resumed." if enabled else "Paused.")
        self.message_user(
            request, f"{len(rows)} cron(s) {'resumed' if enabled else 'paused'}.", messages.SUCCESS
        )
        self._say_where(request)

    @admin.action(description="Run the selected crons' jobs now", permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[Cron]) -> None:
        from .actions import run_now

        if not request.user.has_perm("django_hatchet.change_run"):
            self.message_user(
                request, "Running a job needs the permission to change runs.", messages.ERROR
            )
            return
        for row in queryset:
            job = registry.get(row.job)
            if job is None:
                self.message_user(
                    request, f"{row.name}: the job {row.job!r} is not registered.", messages.ERROR
                )
                continue
            try:
                run_id = run_now(request, job, list(row.args), dict(row.kwargs))
            except Exception as exc:  # The engine refused it, or the arguments no longer fit.
                self.message_user(
                    request, scrub(f"{row.name}: the run was not enqueued: {exc}"), messages.ERROR
                )
                continue
            url = reverse("admin:django_hatchet_run_change", args=[run_id])
            self.message_user(
                request,
                format_html(
                    '{}: <a href="{}">{} run {}</a> enqueued.', row.name, url, job.name, run_id
                ),
                messages.SUCCESS,
            )


def settings_crons() -> dict[str, Any]:
    """The crons of ``HATCHET_CRONS``, for the read-only table; or why they cannot be read."""
    try:
        crons = load_crons()
    except ImproperlyConfigured as exc:
        return {"settings_crons": [], "settings_error": str(exc)}
    return {
        "settings_crons": [
            {
                "name": cron.name,
                "job": cron.job,
                "schedule": cron.schedule,
                "call": call_text({"args": cron.args, "kwargs": cron.kwargs}) or "()",
                "enabled": cron.enabled,
                "next": next_fire(cron.schedule) if cron.enabled else None,
            }
            for cron in crons
        ],
        "settings_error": "",
    }
