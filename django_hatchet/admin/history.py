"""An object's runs on its own change page: ``RunHistoryMixin`` for any ModelAdmin."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from .source import engine_mode


class RunHistoryMixin:
    """Add to a ModelAdmin: its change page lists the runs about the object (the jobs
    declared with ``@about``), newest first, for users who may view runs."""

    change_form_template = "admin/django_hatchet/change_form_with_runs.html"
    #: How far back the runs are looked for.
    run_history_window = "7d"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        if request.user.has_perm("django_hatchet.view_run"):
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None:
                extra["hatchet_runs"] = self.run_history(request, obj)
                extra["inline_mode"] = not engine_mode()
        return super().change_view(  # type: ignore[misc,no-any-return]
            request, object_id, form_url, extra_context=extra
        )

    def run_history(self, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """The runs about ``obj``: ``runs_about()``'s, with their workers named."""
        from dataclasses import replace

        from ..jobs.query import build_query, run_query
        from .display import scrub
        from .runs import PER_PAGE, RANGES, row_view

        window = RANGES.get(self.run_history_window, RANGES["7d"])
        query = build_query(
            "runs_about()",
            None,
            status=None,
            since=window,
            until=None,
            about=obj,
            limit=PER_PAGE,
            offset=0,
        )
        try:
            runs = run_query(replace(query, with_workers=True))
        except Exception as exc:  # The engine does not answer: say so on the page.
            return {
                "object": query.object,
                "rows": [],
                "error": scrub(f"{type(exc).__name__}: {exc}"),
            }
        return {
            "object": query.object,
            "rows": [row_view(run.summary) for run in runs if run.summary is not None],
            "error": "",
        }
