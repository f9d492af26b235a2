from django import forms
from django.utils import timezone

from .models import Order


class OrderForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Order
        fields = ("email", "total")


class ReportForm(forms.Form):
    day = forms.DateField(
        initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )


class StockForm(forms.Form):
    sku = forms.CharField(max_length=40, initial="DEMO-SKU-1")
