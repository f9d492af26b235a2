from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.home, name="home"),
    path("orders/", views.place_order, name="place-order"),
    path("jobs/report/", views.run_report, name="run-report"),
    path("jobs/sync-stock/", views.run_sync_stock, name="run-sync-stock"),
    path("jobs/sales-report/", views.run_sales_report, name="run-sales-report"),
    path("orders/<int:pk>/ask-approval/", views.ask_approval, name="ask-approval"),
    path("orders/<int:pk>/approve/", views.approve, name="approve"),
    path("orders/<int:pk>/fulfil/", views.run_fulfil, name="fulfil"),
]
