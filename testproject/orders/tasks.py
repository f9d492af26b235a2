"""The shop's jobs, found by django-hatchet's autodiscovery (the ``tasks`` module of each app).

Their names default to ``<module>.<function>``, e.g. ``testproject.orders.tasks.send_receipt``.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from django_hatchet import JobContext, about, job, workflow

from .models import DailyReport, Order

logger = logging.getLogger(__name__)


class StockServiceError(Exception):
    """The (imaginary) stock service refused a request."""


@about("orders.Order", "order_id")  # The admin lists an order's receipt runs on its page.
@job(retries=3)
def send_receipt(order_id: int) -> dict[str, Any]:
    """Send the receipt of an order; safe to retry, it sends each receipt once."""
    order = Order.objects.get(pk=order_id)
    if order.receipt_sent_at is None:
        # A real shop would send an email here.
        order.receipt_sent_at = timezone.now()
        order.save(update_fields=["receipt_sent_at"])
        logger.info("Receipt for order #%s sent to %s", order.pk, order.email)
    return {
        "order_id": order.pk,
        "email": order.email,
        "total": str(order.total),
        "sent_at": order.receipt_sent_at.isoformat(),
    }


@job(retries=2, timeout=120)
async def build_daily_report(day: str | None = None) -> dict[str, Any]:
    """Sum up one day's orders (an ISO date; by default yesterday) into a DailyReport."""
    report_day = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    totals = await Order.objects.filter(created__date=report_day).aaggregate(
        count=Count("pk"), revenue=Sum("total")
    )
    # SQLite's SUM can come back as 213.650000000000: round to cents.
    revenue = (totals["revenue"] or Decimal(0)).quantize(Decimal("0.01"))
    report, _ = await DailyReport.objects.aupdate_or_create(
        day=report_day,
        defaults={
            "order_count": totals["count"],
            "revenue": revenue,
            "built_at": timezone.now(),
        },
    )
    logger.info("Report for %s: %s orders, %s", report_day, report.order_count, revenue)
    return {"day": report_day.isoformat(), "orders": report.order_count, "revenue": str(revenue)}


@job(retries=2)
def sync_stock(sku: str) -> dict[str, Any]:
    """Fail on purpose, to show what a failed run looks like."""
    raise StockServiceError(
        f"The stock service refused SKU {sku!r}: 503 Service Unavailable "
        "(this job fails on purpose, for the demo)."
    )


# A chord: a group of per-order jobs whose results go to a callback ---------------------------


@job
def order_total(order_id: int) -> str:
    """One order's total (a string: a Decimal is not JSON), a member of the sales report."""
    return str(Order.objects.get(pk=order_id).total)


@job
def sales_report(totals: list[str], title: str = "Sales") -> dict[str, Any]:
    """The chord's callback: it receives the list of the members' results, in order."""
    amounts = [Decimal(total) for total in totals]
    return {"title": title, "orders": len(amounts), "revenue": str(sum(amounts, Decimal(0)))}


# A durable job that waits for an event --------------------------------------------------------


def approval_event(order_id: int) -> str:
    """The event the demo page's Approve button sends for an order."""
    return f"orders.approved.{order_id}"


@job(durable=True, takes_context=True, timeout=timedelta(hours=2))
async def wait_for_approval(context: JobContext, order_id: int) -> dict[str, Any]:
    """Wait for an order's approval event, for up to an hour. On an engine the run gives its
    worker slot back while it waits, and survives a worker restart; inline a wait cannot
    block, so it ends at once, not approved."""
    event = await context.wait_for_event(approval_event(order_id), timeout=timedelta(hours=1))
    if event is None:
        return {"order_id": order_id, "approved": False}
    by = str(event.get("by", ""))
    await Order.objects.filter(pk=order_id).aupdate(approved_by=by, approved_at=timezone.now())
    return {"order_id": order_id, "approved": True, "by": by}


# A workflow: steps known in advance, each after its parents ----------------------------------

fulfil = workflow("orders.fulfil", retries=1)


@fulfil.step()
def load(order_id: int) -> dict[str, Any]:
    order = Order.objects.get(pk=order_id)
    return {"email": order.email, "total": str(order.total)}


@fulfil.step(parents=[load])
def reserve_stock(order_id: int, load: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": True}


@fulfil.step(parents=[load])
def charge(order_id: int, load: dict[str, Any]) -> dict[str, Any]:
    return {"charged": load["total"]}


@fulfil.step(parents=[reserve_stock, charge])
def ship(order_id: int, reserve_stock: dict[str, Any], charge: dict[str, Any]) -> str:
    return f"order #{order_id} shipped, {charge['charged']} charged"
