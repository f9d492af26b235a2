"""The admin's "Hatchet jobs" section: the overview, the runs, and their actions.

Pages need staff status and ``django_hatchet.view_run``; run now, retry and cancel need
``django_hatchet.change_run`` and a POST with Django's CSRF token. Nothing here imports the
Hatchet SDK: the engine is asked (``runs_source``) when a page is shown.

Imports flow one way: the ModelAdmins here use the helper modules (``actions``, ``forms``,
``history``, ``outbox``, ``overview``, ``runs``, ``stats``, ``display``), which import their
siblings by module (``from .display import ...``, never ``from . import``), never this package,
and only downward: ``history`` uses ``runs``; ``overview`` uses ``stats``; all use ``display``.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from ..jobs.job import signature_text
from ..jobs.registry import registry
from ..models import Overview, Run
from ..runs.history import inline_history
from ..runs.rows import STATUSES
from .crons import CronAdmin
from .history import RunHistoryMixin
from .outbox import OutboxEntryAdmin
from .source import engine_mode, get_run, listed_jobs

__all__ = ["CronAdmin", "OutboxEntryAdmin", "OverviewAdmin", "RunAdmin", "RunHistoryMixin"]


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        # Nothing here is edited (run now, retry and cancel are actions): the admin's index
        # offers "View", not "Change", to those who may also act.
        return {**super().get_model_perms(request), "change": False}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "has_view_permission": True,
            "can_change": self.has_change_permission(request),
            "inline_mode": not engine_mode(),
            "overview_url": reverse("admin:django_hatchet_overview_changelist"),
            "runs_url": reverse("admin:django_hatchet_run_changelist"),
            **extra,
        }


@admin.register(Overview)
class OverviewAdmin(_ReadOnly):
    """The status page, with run now for each job."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("django_hatchet.view_run") or request.user.has_perm(
            "django_hatchet.change_run"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("django_hatchet.change_run")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="django_hatchet_overview_changelist"),
            path(
                "run/<str:job_name>/",
                wrap(self.run_now_view),
                name="django_hatchet_overview_run_now",
            ),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        from . import overview

        return TemplateResponse(
            request,
            "admin/django_hatchet/overview.html",
            self.context(request, "Hatchet jobs", **overview.context()),
        )

    def run_now_view(self, request: HttpRequest, job_name: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        job = registry.get(job_name)
        if job is None:
            raise Http404(f"No job is registered as {job_name!r}.")
        from . import actions
        from .forms import RunNowForm

        form = RunNowForm(job, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                run_id = actions.run_now(
                    request, job, form.cleaned_data["args"], form.cleaned_data["kwargs"]
                )
            except Exception as exc:  # The engine refused it: show why, keep the form.
                from .display import scrub

                form.add_error(None, scrub(f"The run was not enqueued: {exc}"))
            else:
                self.message_user(request, f"{job.name} run {run_id} enqueued.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:django_hatchet_run_change", args=[run_id])
                )
        return TemplateResponse(
            request,
            "admin/django_hatchet/run_now.html",
            self.context(
                request,
                f"Run {job.name}",
                job=job,
                form=form,
                signature=signature_text(job.signature),
                doc=inspect.getdoc(job.func) or "",
            ),
        )


@admin.register(Run)
class RunAdmin(_ReadOnly):
    """The runs list (the model's changelist) and each run's page (its change page)."""

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="django_hatchet_run_changelist"),
            path("live/", wrap(self.live_view), name="django_hatchet_run_live"),
            path(
                "<str:object_id>/change/", wrap(self.change_view), name="django_hatchet_run_change"
            ),
            # A run's address without /change/ (a link written by hand, or a model's admin URL
            # as other apps form it) goes to its page, as Django's admin does.
            path(
                "<str:object_id>/",
                wrap(
                    RedirectView.as_view(
                        pattern_name=f"{self.admin_site.name}:django_hatchet_run_change",
                        permanent=False,
                    )
                ),
            ),
            path(
                "<str:object_id>/<str:action>/",
                wrap(require_POST(self.action_view)),
                name="django_hatchet_run_action",
            ),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        from . import runs

        if request.method == "POST":
            return self.bulk_action(request)
        query, params = runs.query_from(request)
        page, error = runs.page_context(query)
        return TemplateResponse(
            request,
            "admin/django_hatchet/runs.html",
            self.context(
                request,
                "Runs",
                page=page,
                rows=runs.page_rows(page),
                error=error,
                params=params,
                jobs=listed_jobs(),
                statuses=STATUSES,
                ranges=list(runs.RANGES),
                page_links=_page_links(page.num_pages if page else 1),
                inline_kept=inline_history.size,
            ),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        from . import runs

        try:
            detail = get_run(object_id)
        except Exception as exc:
            from .display import scrub

            return TemplateResponse(
                request,
                "admin/django_hatchet/run_detail.html",
                self.context(
                    request, f"Run {object_id}", error=scrub(f"{type(exc).__name__}: {exc}")
                ),
            )
        if detail is None:
            raise Http404(f"No run {object_id} was found.")
        return TemplateResponse(
            request,
            "admin/django_hatchet/run_detail.html",
            self.context(request, f"{detail.run.job} run", **runs.detail_view(detail)),
        )

    def live_view(self, request: HttpRequest) -> HttpResponse:
        """The status and progress of the runs ``?id=...`` (at most 25), as JSON: the run
        page and the runs list refresh their bars with it while runs are going."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from . import runs

        ids = request.GET.getlist("id")[: runs.PER_PAGE]
        try:
            return JsonResponse({"runs": runs.live_state(ids)})
        except Exception as exc:  # The engine does not answer: the page keeps its bars.
            from .display import scrub

            return JsonResponse({"error": scrub(f"{type(exc).__name__}: {exc}")}, status=503)

    def action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        if action not in ("cancel", "retry"):
            raise Http404(f"No action {action!r}.")
        if not engine_mode():
            raise Http404("Inline runs have finished when they are shown: there is nothing to do.")
        detail = get_run(object_id)
        if detail is None or detail.run.engine_id is None:
            raise Http404(f"No run {object_id} was found.")
        run, engine_id = detail.run, detail.run.engine_id
        from . import actions

        if action == "cancel":
            if not run.can_cancel:
                self.message_user(
                    request, f"Run {run.id} is {run.status.lower()}: not cancelled.", messages.ERROR
                )
            else:
                actions.cancel(request, [(run.id, engine_id, run.job)])
                self.message_user(request, f"Run {run.id} cancelled.", messages.SUCCESS)
        else:
            actions.retry(request, [(run.id, engine_id, run.job)])
            self.message_user(request, f"Run {run.id} retried.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:django_hatchet_run_change", args=[run.id]))

    def bulk_action(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        from . import actions

        action = request.POST.get("action", "")
        chosen = actions.parse_choices(request.POST.getlist("run"))
        back = request.get_full_path()
        if action not in ("cancel", "retry") or not chosen or not engine_mode():
            self.message_user(
                request, "Choose runs and an action (cancel or retry).", messages.WARNING
            )
            return HttpResponseRedirect(back)
        if action == "cancel":
            actions.cancel(request, chosen)
            self.message_user(request, f"{len(chosen)} run(s) cancelled.", messages.SUCCESS)
        else:
            actions.retry(request, chosen)
            self.message_user(request, f"{len(chosen)} run(s) retried.", messages.SUCCESS)
        return HttpResponseRedirect(back)


def _page_links(num_pages: int) -> list[int]:
    return list(range(1, min(num_pages, 50) + 1))
