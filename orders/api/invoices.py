"""Invoice endpoints (read only): thin views over ``orders.selectors`` and the invoice PDF."""

import django_filters
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.downloads import FileAnswerNegotiation, file_response
from oms.api.fields import MoneyField
from oms.api.pagination import CursorOrderingFilter
from oms.api.representation import represent, represent_many
from oms.api.schema import error_responses

from ..documents_invoices import invoice_pdf
from ..models import Invoice, InvoiceStatus
from ..selectors import invoice_by_number, invoices_listing, invoices_overdue

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The invoice number, e.g. `INV-2026-000123`.")


class InvoiceLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units of the order line this invoice's shipment shipped.")
    unit_price = MoneyField(currency="invoice.currency")
    discount = MoneyField(currency="invoice.currency", help_text="This invoice's share of the line's discount.")
    tax = MoneyField(currency="invoice.currency", help_text="This invoice's share of the line's tax.")
    line_total = MoneyField(currency="invoice.currency", help_text="units × unit price − discount + tax.")


class InvoiceSerializer(serializers.Serializer):
    number = serializers.CharField()
    order = serializers.CharField(source="order.number")
    customer_id = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    issued_on = serializers.DateField()
    due_on = serializers.DateField()
    terms = serializers.CharField(help_text='As printed: "Net 30", "End of month + 30".')
    subtotal = MoneyField()
    discount_total = MoneyField()
    tax_total = MoneyField()
    shipping = MoneyField(help_text="Charged on an order's first invoice.")
    total = MoneyField()
    amount_paid = MoneyField()
    amount_credited = MoneyField(help_text="The sum of the credit notes issued against it (refunds).")
    balance = MoneyField(help_text="What is left to pay: total − amount_paid − amount_credited, never below 0.")
    days_overdue = serializers.SerializerMethodField(help_text="Days past the due date while unpaid; 0 otherwise.")
    created_at = serializers.DateTimeField()

    def get_days_overdue(self, invoice) -> int:
        return invoice.days_overdue(timezone.localdate())


class InvoiceDetailSerializer(InvoiceSerializer):
    billing_address = serializers.JSONField(help_text="The buyer as invoiced: billing address, company and VAT number.")
    lines = InvoiceLineSerializer(many=True)


class InvoiceFilter(django_filters.FilterSet):
    # Bounded like the column: a number beyond it is a malformed request (400), not a database error.
    customer = django_filters.NumberFilter(
        field_name="customer_id", help_text="A customer's id.", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_overdue", help_text="`true`: open and past due; `false`: all others."
    )

    class Meta:
        model = Invoice
        fields = ["customer", "status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = invoices_overdue(queryset, timezone.localdate())
        return overdue if value == "true" else queryset.exclude(pk__in=overdue.values("pk"))


class InvoicesView(GenericAPIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at"]
    ordering = "-created_at"

    def get_queryset(self):
        return invoices_listing()

    @extend_schema(
        operation_id="invoices_list", summary="List invoices",
        description="Newest first; cursor-paginated. `customer` (id), `status` and `overdue` filter and combine with AND. "
        "An order bought on payment terms gets one invoice per shipment.",
        responses={200: InvoiceSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(InvoiceSerializer, page))


class InvoiceDetailView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}

    @extend_schema(operation_id="invoices_retrieve", summary="One invoice with its lines", parameters=[NUMBER],
                   responses={200: InvoiceDetailSerializer, **error_responses(404)})
    def get(self, request, number: str):
        return Response(represent(InvoiceDetailSerializer, invoice_by_number(number)))


class InvoicePdfView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="invoices_pdf", summary="An invoice as PDF",
        description="Numbered pages naming the invoice; seller, buyer (company, VAT number, billing address), lines, totals, due date and terms.",
        parameters=[NUMBER],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The invoice."), **error_responses(404)},
    )
    def get(self, request, number: str):
        return file_response(invoice_pdf(invoice_by_number(number).pk), filename=f"{number}.pdf", content_type="application/pdf")
