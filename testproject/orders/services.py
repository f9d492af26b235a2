"""What the views and ``seed_demo`` do with orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from django_hatchet import JobRun

from .models import Order
from .tasks import send_receipt


def place_order(
    email: str, total: Decimal, *, created: datetime | None = None
) -> tuple[Order, JobRun[dict[str, Any]]]:
    """Save an order and enqueue its receipt, which is sent once the order is committed."""
    with transaction.atomic():
        order = Order.objects.create(email=email, total=total, created=created or timezone.now())
        # Pass the pk, not the order: job arguments travel as JSON. The run is dispatched
        # when this transaction commits, so the job always finds the order.
        run = send_receipt.delay(order.pk)
        order.receipt_run_id = run.id
        order.save(update_fields=["receipt_run_id"])
    return order, run
