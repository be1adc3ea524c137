"""The order page's "Invoices" panel: the invoices of an order bought on payment terms, with their
due dates, what is paid and overdue, and their PDFs; for a role that reads invoices."""

from django.urls import reverse
from django.utils import timezone

from oms.money import money_text

from .admin_panels import OrderPagePanel
from .models import Invoice


def order_invoices_panel(request, order) -> OrderPagePanel | None:
    """The order page's Invoices panel, for a role that reads invoices and an order that has some. One query."""
    if not request.user.has_perm("orders.view_invoice"):
        return None
    invoices = list(Invoice.objects.filter(order=order).order_by("issued_on", "id"))
    if not invoices:
        return None
    today = timezone.localdate()
    rows = [
        {
            "invoice": invoice, "url": reverse("admin:orders_invoice_change", args=[invoice.pk]),
            "pdf_url": reverse("admin:orders_invoice_pdf", args=[invoice.pk]), "days_overdue": invoice.days_overdue(today),
            "total": money_text(invoice.total, invoice.currency), "paid": money_text(invoice.amount_paid, invoice.currency),
            "credited": money_text(invoice.amount_credited, invoice.currency) if invoice.amount_credited else "",
        }
        for invoice in invoices
    ]
    return OrderPagePanel(title="Invoices", template="admin/orders/order/invoices_panel.html", context={"invoice_rows": rows})

