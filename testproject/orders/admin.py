from django.contrib import admin

from django_hatchet.admin import RunHistoryMixin

from .models import DailyReport, Order


@admin.register(Order)
class OrderAdmin(RunHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "email", "total", "created", "receipt_sent_at", "receipt_run_id")
    list_filter = ("created", ("receipt_sent_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "receipt_run_id")
    readonly_fields = ("receipt_run_id", "receipt_sent_at")
    date_hierarchy = "created"


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("day", "order_count", "revenue", "built_at")
    readonly_fields = ("built_at",)
    date_hierarchy = "day"
