"""``manage.py seed_demo``: an admin account and a few orders, for the demo. Safe to rerun."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...models import Order
from ...services import place_order

SAMPLE_ORDERS = [
    # (customer, total, hours ago)
    ("ada@example.com", Decimal("42.50"), 26),
    ("grace@example.com", Decimal("19.99"), 25),
    ("linus@example.com", Decimal("7.00"), 2),
    ("margaret@example.com", Decimal("120.00"), 1),
]


class Command(BaseCommand):
    help = "Create the demo's admin/admin superuser and sample orders, unless they exist."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates an admin account with the password 'admin'; it runs only "
                "with DEBUG = True, on a local demo."
            )
        self._seed_admin()
        self._seed_orders()

    def _seed_admin(self) -> None:
        user_model = get_user_model()
        if user_model._default_manager.filter(username="admin").exists():
            self.stdout.write("The user 'admin' already exists; left as it is.")
            return
        user_model._default_manager.create_superuser("admin", "admin@example.com", "admin")
        self.stdout.write(
            self.style.WARNING(
                "Created the superuser 'admin' with the password 'admin'. It is for this local "
                "demo only: never use this database anywhere reachable."
            )
        )

    def _seed_orders(self) -> None:
        if Order.objects.exists():
            self.stdout.write("There are orders already; no sample orders added.")
            return
        now = timezone.now()
        for email, total, hours_ago in SAMPLE_ORDERS:
            order, run = place_order(email, total, created=now - timedelta(hours=hours_ago))
            self.stdout.write(f"Created {order}; send_receipt run {run.id} is {run.status}.")
        self.stdout.write(self.style.SUCCESS(f"Created {len(SAMPLE_ORDERS)} sample orders."))
