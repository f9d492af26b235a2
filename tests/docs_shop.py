"""The shop the docs' examples talk about: the reader's own code, which they do not show.

The examples of README.md and docs/*.md are written as in a user's project: they enqueue
``send_receipt`` for an ``order``, price ``order_ids``, ``checkout(order)``. This module is that
project, for tests/test_docs_examples.py: the names in ``GIVEN`` (and those ``given()`` makes)
start every example's namespace, and ``orders.models`` is importable. Everything from
django_hatchet, Django and the standard library an example must import itself.

It is executed afresh for each example (its jobs are registered for that example only; the
suite restores the registry after each test), and its models live in an app registry of
their own, outside ``INSTALLED_APPS``: the test creates their tables and drops them.
"""

from __future__ import annotations

from typing import Any

from django.apps.registry import Apps
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

from django_hatchet import CanvasRun, job

shop_apps = Apps()


class OrderManager(models.Manager["Order"]):
    def create(self, *args: Any, **kwargs: Any) -> Order:
        # ``Order.objects.create(...)`` in an example: the ``...`` stands for the fields.
        return super().create(*(a for a in args if a is not Ellipsis), **kwargs)


class Order(models.Model):
    email = models.EmailField(default="ann@example.com")
    total = models.IntegerField(default=10)

    objects = OrderManager()

    class Meta:
        apps = shop_apps
        app_label = "orders"
        db_table = "docs_shop_order"

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def total_cents(self) -> int:
        return self.total * 100


class Row:
    def __init__(self, number: int) -> None:
        self.number = number


class Upload(models.Model):
    row_count = models.IntegerField(default=3)

    objects: models.Manager[Upload] = models.Manager()

    class Meta:
        apps = shop_apps
        app_label = "orders"
        db_table = "docs_shop_upload"

    def __str__(self) -> str:
        return f"Upload #{self.pk}"

    def rows(self) -> list[Row]:
        return [Row(number) for number in range(1, self.row_count + 1)]


MODELS: list[type[models.Model]] = [Order, Upload]


def mail_receipt(order: Order) -> None:
    send_mail(f"Your order #{order.pk}", "Thank you.", None, [order.email])


saved: list[Row] = []


def save(row: Row) -> None:
    saved.append(row)


@job
def send_receipt(order_id: int) -> dict[str, Any]:
    order = Order.objects.get(pk=order_id)
    mail_receipt(order)
    return {"order": order.pk, "sent": True}


@job
def refund(order_id: int) -> None: ...


@job
def send_reminder(user_id: int) -> None: ...


@job
def remind(order_id: int) -> None: ...


@job
def price(order_id: int) -> int:
    return Order.objects.get(pk=order_id).total_cents


@job
def add_tax(cents: int, rate: float = 0.2) -> int:
    return round(cents * (1 + rate))


@job
def total(amounts: list[int]) -> int:
    return sum(amounts)


@job
def notify(subject: str) -> None: ...


@job
def fetch(url: str) -> str:
    return f"<h1>{url}</h1>"


@job
def parse(page: str) -> dict[str, str]:
    return {"title": page.removeprefix("<h1>").removesuffix("</h1>")}


@job
def store(page: dict[str, str]) -> None: ...


@job
def resize(image: str, size: int) -> str:
    return f"{image}@{size}"


def checkout(order: Order) -> CanvasRun:
    """Price the order, with tax, as a chain (docs/workflows.md)."""
    return (price.s(order.pk) | add_tax.s(rate=0.1)).delay()


def checkout_view(request: HttpRequest) -> HttpResponse:
    """POST /checkout/ with an order's id: its receipt is sent when the transaction commits."""
    with transaction.atomic():
        order = Order.objects.get(pk=request.POST["order"])
        send_receipt.delay(order.pk)
    return HttpResponse(f"order #{order.pk} checked out")


urlpatterns = [path("checkout/", checkout_view)]

GIVEN: dict[str, Any] = {
    "Order": Order,
    "Upload": Upload,
    "mail_receipt": mail_receipt,
    "save": save,
    "checkout": checkout,
    # The README's example leaves out the imports of its views module.
    "transaction": transaction,
    **{j.__name__: j for j in (send_receipt, refund, send_reminder, remind)},
    **{j.__name__: j for j in (price, add_tax, total, notify, fetch, parse, store, resize)},
    "url": "https://example.com/",
    "img": "cat.png",
    "SIZES": [64, 128],
}


def given() -> dict[str, Any]:
    """The rows the examples use: ``order`` (and ``order_ids``, three orders), the upload
    ``7``, and ``user``; with ``GIVEN``."""
    orders = [Order.objects.create(total=total) for total in (10, 20, 30)]
    Upload.objects.create(pk=7, row_count=4)
    order_ids = [order.pk for order in orders]
    return {
        **GIVEN,
        "order": orders[0],
        "order_ids": order_ids,
        "ids": order_ids,
        "user": User.objects.create_user("ann"),
    }
