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

from django_hatchet import about, job

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
