from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class Order(models.Model):
    """An order placed in the shop; the ``send_receipt`` job fills in ``receipt_sent_at``."""

    email = models.EmailField("customer email")
    total = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    #: The id of the ``send_receipt`` run, recorded when the order is placed.
    receipt_run_id = models.CharField(max_length=36, blank=True)
    #: Set by the ``send_receipt`` job: when it ran, the receipt was sent.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    #: Set by the durable ``wait_for_approval`` job when the approval event reaches it.
    approved_by = models.CharField(max_length=100, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.email}, {self.total})"

    @property
    def receipt_sent(self) -> bool:
        return self.receipt_sent_at is not None


class DailyReport(models.Model):
    """One day's sales, written by the ``build_daily_report`` job (and its nightly cron)."""

    day = models.DateField(unique=True)
    order_count = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=12, decimal_places=2)
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-day",)

    def __str__(self) -> str:
        return f"Report for {self.day}"
