"""Invoices in the console: a dense list for accounting and customer service (balance, overdue)
and a read-only page with the lines, the payments and the PDF; credit notes likewise; and a
customer's statement of account."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from customers.models import Customer
from oms.addresses import address_lines
from oms.errors import InvalidInput
from oms.admin import ReadOnlyAdmin, ReadOnlyInline
from oms.money import money_text

from .documents_invoices import credit_note_pdf, invoice_pdf
from .models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoicePayment, invoice_open_balance_expression
from .selectors import invoices_overdue
from .statements import customer_statement, statement_pdf, statement_period_check, statement_reference


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


class InvoiceCreditNoteInline(ReadOnlyInline):
    model = CreditNote
    fields = ("number", "issued_on", "total", "amount_repaid", "reason")
    show_change_link = True


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number", "customer", "order_link", "issued_on", "due_on", "total_text", "paid_text", "credited_text", "balance_text", "status", "overdue",
    )
    list_filter = ("status", OverdueFilter, "currency")
    list_select_related = ("customer", "order")
    search_fields = ("number", "order__number", "customer__email", "customer__company_name")
    date_hierarchy = "issued_on"
    show_full_result_count = False
    inlines = (InvoiceLineInline, InvoicePaymentInline, InvoiceCreditNoteInline)
    change_form_template = "admin/orders/invoice/change_form.html"
    fields = (
        "number", "status", "order_link", "customer", "currency", ("issued_on", "due_on", "terms"), "buyer",
        ("subtotal", "discount_total", "shipping", "tax_total"), ("total_text", "paid_text", "credited_text", "balance_text"), "created_at",
    )
    readonly_fields = ("order_link", "buyer", "total_text", "paid_text", "credited_text", "balance_text")

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

    @admin.display(description="Credited", ordering="amount_credited")
    def credited_text(self, invoice):
        return money_text(invoice.amount_credited, invoice.currency) if invoice.amount_credited else "—"

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


class CreditNoteLineInline(ReadOnlyInline):
    model = CreditNoteLine
    fields = ("kind", "sku", "description", "quantity", "unit_price", "discount", "tax", "amount")


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    """Credit notes issued by refunds of invoiced orders: read only, with their PDF; and the
    customers' statements of account (linked from the customer's page)."""

    list_display = ("number", "customer", "invoice_link", "order_link", "issued_on", "total_text", "repaid_text", "pdf_link")
    list_filter = ("currency",)
    list_select_related = ("customer", "order", "invoice")
    search_fields = ("number", "invoice__number", "order__number", "customer__email", "customer__company_name")
    date_hierarchy = "issued_on"
    show_full_result_count = False
    inlines = (CreditNoteLineInline,)
    change_form_template = "admin/orders/invoice/change_form.html"
    fields = ("number", "invoice_link", "order_link", "customer", "currency", "issued_on", "refund_id", "reason", ("total_text", "repaid_text"), "created_at")
    readonly_fields = ("invoice_link", "order_link", "total_text", "repaid_text")

    @admin.display(description="Invoice", ordering="invoice__number")
    def invoice_link(self, note):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_invoice_change", args=[note.invoice_id]), note.invoice.number)

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, note):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[note.order_id]), note.order.number)

    @admin.display(description="Total", ordering="total")
    def total_text(self, note):
        return money_text(note.total, note.currency)

    @admin.display(description="Paid back")
    def repaid_text(self, note):
        return money_text(note.amount_repaid, note.currency) if note.amount_repaid else "—"

    @admin.display(description="PDF")
    def pdf_link(self, note):
        return format_html('<a href="{}">PDF</a>', reverse("admin:orders_creditnote_pdf", args=[note.pk]))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/pdf/", wrap(self.pdf_view), name="orders_creditnote_pdf"),
            path("statement/<int:customer_id>/", wrap(self.statement_view), name="orders_customer_statement"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"invoice_pdf_url": reverse("admin:orders_creditnote_pdf", args=[object_id])}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def pdf_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        note = get_object_or_404(CreditNote, pk=object_id if str(object_id).isdigit() else None)
        response = HttpResponse(credit_note_pdf(note.pk), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{note.number}.pdf"'
        return response

    def statement_view(self, request, customer_id: int):
        """A customer's statement of account for a period (a GET form), on screen or as PDF."""
        if not request.user.has_perm("orders.view_invoice"):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=customer_id if 0 < customer_id < 2**63 else None)
        today = timezone.localdate()
        form = StatementPeriodForm(request.GET or {"start": today.replace(day=1), "end": today})
        statement = None
        if form.is_valid():
            statement = customer_statement(customer_id=customer.pk, start=form.cleaned_data["start"], end=form.cleaned_data["end"])
            if request.GET.get("format") == "pdf":
                response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
                response["Content-Disposition"] = f'inline; filename="{statement_reference(statement)}.pdf"'
                return response
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Statement of account: {customer}",
            "customer": customer, "form": form, "statement": statement,
            "customer_url": reverse("admin:customers_customer_change", args=[customer.pk]),
        }
        return TemplateResponse(request, "admin/orders/statement.html", context, status=400 if form.errors else 200)


class StatementPeriodForm(forms.Form):
    start = forms.DateField(label="From", help_text="YYYY-MM-DD")
    end = forms.DateField(label="To", help_text="YYYY-MM-DD")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            try:
                statement_period_check(data["start"], data["end"])
            except InvalidInput as error:
                for problem in error.fields.get("from", []):
                    self.add_error("start", problem)
        return data
