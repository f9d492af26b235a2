"""The demo's one page: place orders, enqueue jobs, and see what the runs did."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from django_hatchet import JobRun, Priority, RunStatus, chord, jobs_enabled, registry, send_event
from django_hatchet.admin.overview import current_mode  # The admin's status line's words.

from . import services
from .forms import OrderForm, ReportForm, StockForm
from .models import DailyReport, Order
from .tasks import (
    approval_event,
    build_daily_report,
    fulfil,
    order_total,
    sales_report,
    sync_stock,
    wait_for_approval,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _render_home(request)


@require_POST
def place_order(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST)
    if not form.is_valid():
        return _render_home(request, order_form=form, status=400)
    order, run = services.place_order(form.cleaned_data["email"], form.cleaned_data["total"])
    _report_run(request, f"Order #{order.pk} placed. send_receipt", run)
    return redirect("orders:home")


@require_POST
def run_report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _render_home(request, report_form=form, status=400)
    # apply_async takes Celery's options; the priority matters on the engine only.
    run = build_daily_report.apply_async(
        kwargs={"day": form.cleaned_data["day"].isoformat()}, priority=Priority.HIGH
    )
    _report_run(request, "build_daily_report", run)
    return redirect("orders:home")


@require_POST
def run_sync_stock(request: HttpRequest) -> HttpResponse:
    form = StockForm(request.POST)
    if not form.is_valid():
        return _render_home(request, stock_form=form, status=400)
    run = sync_stock.delay(form.cleaned_data["sku"])
    _report_run(request, "sync_stock", run)
    return redirect("orders:home")


@require_POST
def run_sales_report(request: HttpRequest) -> HttpResponse:
    """A chord: one ``order_total`` run per recent order, then ``sales_report`` on the list."""
    pks = list(Order.objects.values_list("pk", flat=True)[:10])
    if not pks:
        messages.error(request, "Place an order first: the sales report sums recent orders.")
        return redirect("orders:home")
    run = chord((order_total.s(pk) for pk in pks), sales_report.s("Last 10 orders")).delay()
    _report_run(request, f"sales report (a chord of {len(pks)} + 1 steps)", run)
    return redirect("orders:home")


@require_POST
def ask_approval(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    run = wait_for_approval.delay(order.pk)
    _report_run(request, f"wait_for_approval of order #{order.pk}", run)
    return redirect("orders:home")


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    send_event(approval_event(order.pk), {"by": "the demo page"})
    messages.info(
        request,
        f"Event {approval_event(order.pk)!r} sent: a wait_for_approval run waiting for it "
        "goes on (on an engine; reload the page to see the order approved).",
    )
    return redirect("orders:home")


@require_POST
def run_fulfil(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    run = fulfil.delay(order.pk)
    _report_run(request, f"the workflow orders.fulfil for order #{order.pk}", run)
    return redirect("orders:home")


def _report_run(request: HttpRequest, what: str, run: JobRun[Any]) -> None:
    """Tell the user, through a message, the run's id and where it is."""
    status = run.status
    link = reverse("admin:django_hatchet_run_change", args=[run.id])
    text = format_html('{}: run <a href="{}">{}</a> is {}.', what, link, run.id, status)
    if status is RunStatus.COMPLETED:
        messages.success(request, format_html("{} Result: {}", text, run.result))
    elif status is RunStatus.FAILED:
        error = run.error
        messages.error(request, format_html("{} Error: {}: {}", text, type(error).__name__, error))
    else:
        messages.info(
            request,
            format_html("{} A worker will run it; reload the page to see its effect.", text),
        )


def _render_home(
    request: HttpRequest,
    *,
    order_form: OrderForm | None = None,
    report_form: ReportForm | None = None,
    stock_form: StockForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "engine": jobs_enabled(),
        "mode": current_mode(),
        "order_form": order_form or OrderForm(),
        "report_form": report_form or ReportForm(),
        "stock_form": stock_form or StockForm(),
        "orders": Order.objects.all()[:10],
        "reports": DailyReport.objects.all()[:7],
        # Plain values: a template would *call* a Job object (jobs are callables).
        "jobs": [
            {"name": j.name, "is_async": j.is_async, "retries": j.options.retries} for j in registry
        ],
        "crons": getattr(settings, "HATCHET_CRONS", {}),
    }
    return render(request, "orders/home.html", context, status=status)
