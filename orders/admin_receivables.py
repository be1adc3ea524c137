"""The receivables ageing in the console (*Reports & exports → Receivables ageing*, linked from the invoice list): what each
customer on terms owes, by how long it is overdue on a chosen day, with a totals row per currency
and the same table as CSV for the accountant's spreadsheet."""

import csv

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from oms.admin_pages import ConsolePage, console_page_register
from oms.money import quantize

from .models import Invoice
from .services.receivables import AGEING_BUCKETS, BUCKET_KEYS, receivables_ageing

PERMISSION = "orders.view_invoice"


class AgeingForm(forms.Form):
    as_of = forms.DateField(label="As of", required=False, help_text="YYYY-MM-DD; empty: today.",
                            widget=forms.DateInput(attrs={"type": "date"}))


def _amounts(row) -> list[str]:
    return [str(quantize(row.buckets[key], row.currency)) for key in BUCKET_KEYS] + [str(quantize(row.total, row.currency))]


def _ageing_page(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = AgeingForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    as_of = (form.cleaned_data.get("as_of") if form.is_bound and valid else None) or timezone.localdate()
    ageing = receivables_ageing(as_of=as_of) if valid else None
    if valid and request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="receivables-ageing-{as_of.isoformat()}.csv"'
        writer = csv.writer(response)
        writer.writerow(["customer_id", "customer", "currency", *BUCKET_KEYS, "total"])
        for row in [*ageing.rows, *ageing.totals]:
            writer.writerow([row.customer_id or "", row.customer, row.currency, *_amounts(row)])
        return response
    invoices_url = reverse("admin:orders_invoice_changelist")
    context = {
        **admin.site.each_context(request), "title": "Receivables ageing", "opts": Invoice._meta, "form": form, "as_of": as_of,
        "labels": [label for _, label, *_ in AGEING_BUCKETS],
        "rows": [(row, _amounts(row), f"{invoices_url}?customer={row.customer_id}&status__exact=open") for row in ageing.rows] if ageing else [],
        "totals": [(row, _amounts(row)) for row in ageing.totals] if ageing else [],
        "csv_url": f"{request.path}?as_of={as_of.isoformat()}&export=csv",
    }
    return TemplateResponse(request, "admin/orders/receivables_ageing.html", context, status=200 if valid else 400)


def receivables_pages_register() -> None:
    console_page_register(ConsolePage("orders_receivables_ageing", "orders/receivables/ageing/", "Receivables ageing", "reports", PERMISSION, _ageing_page))
