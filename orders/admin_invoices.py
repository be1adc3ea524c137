"""Invoices in the console: a dense list for accounting and customer service (balance, overdue)
and a read-only page with the lines, the payments and the PDF."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from oms.addresses import address_lines
from oms.admin import ReadOnlyAdmin, ReadOnlyInline
from oms.money import money_text

from .documents_invoices import invoice_pdf
from .models import CreditNote, Invoice, InvoiceLine, InvoicePayment, invoice_open_balance_expression
from .selectors import invoices_overdue


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = invoices_overdue(queryset, timezone.localdate())
        if self.value() == "yes":
            return overdue
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue.values("pk"))
        return queryset


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = ("sku", "name", "quantity", "unit_price", "discount", "tax", "line_total")
    ordering = ("order_line__line_number", "id")


class InvoicePaymentInline(ReadOnlyInline):
    model = InvoicePayment
    fields = ("received_on", "amount", "reference", "recorded_by", "created_at")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "order_link", "issued_on", "due_on", "total_text", "paid_text", "balance_text", "status", "overdue")
    list_filter = ("status", OverdueFilter, "currency")
    list_select_related = ("customer", "order")
    search_fields = ("number", "order__number", "customer__email", "customer__company_name")
    date_hierarchy = "issued_on"
    show_full_result_count = False
    inlines = (InvoiceLineInline, InvoicePaymentInline)
    change_form_template = "admin/orders/invoice/change_form.html"
    fields = (
        "number", "status", "order_link", "customer", "currency", ("issued_on", "due_on", "terms"), "buyer",
        ("subtotal", "discount_total", "shipping", "tax_total"), ("total_text", "paid_text", "balance_text"), "created_at",
    )
    readonly_fields = ("order_link", "buyer", "total_text", "paid_text", "balance_text")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(balance_due=invoice_open_balance_expression())

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, invoice):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[invoice.order_id]), invoice.order.number)

    @admin.display(description="Total", ordering="total")
    def total_text(self, invoice):
        return money_text(invoice.total, invoice.currency)

    @admin.display(description="Paid", ordering="amount_paid")
    def paid_text(self, invoice):
        return money_text(invoice.amount_paid, invoice.currency)

    @admin.display(description="Balance", ordering="balance_due")
    def balance_text(self, invoice):
        return money_text(invoice.balance, invoice.currency)

    @admin.display(description="Overdue")
    def overdue(self, invoice):
        days = invoice.days_overdue(timezone.localdate())
        return f"{days} day{'s' if days != 1 else ''}" if days else "—"

    @admin.display(description="Bill to")
    def buyer(self, invoice):
        address = invoice.billing_address or {}
        lines = address_lines(address) + ([f"VAT {address['vat_number']}"] if address.get("vat_number") else [])
        return format_html("<br>".join(["{}"] * len(lines)), *lines) if lines else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/pdf/", wrap(self.pdf_view), name="orders_invoice_pdf"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"invoice_pdf_url": reverse("admin:orders_invoice_pdf", args=[object_id])}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def pdf_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=object_id if str(object_id).isdigit() else None)
        response = HttpResponse(invoice_pdf(invoice.pk), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response


