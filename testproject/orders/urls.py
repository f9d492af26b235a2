from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.place_order, name="place-order"),
    path("jobs/report/", views.run_report, name="run-report"),
    path("jobs/sync-stock/", views.run_sync_stock, name="run-sync-stock"),
]
