"""Credit note endpoints (read only): thin views over ``orders.selectors`` and the credit note PDF."""

import django_filters
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

from ..documents_invoices import credit_note_pdf
from ..models import CreditNote, CreditNoteLine
from ..selectors import credit_note_by_number, credit_notes_listing

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="The credit note number, e.g. `CN-2026-000042`.")
BIGINT = 2**63 - 1
ID_FILTERS = [
    OpenApiParameter(name, {"type": "integer", "minimum": 1, "maximum": BIGINT}, description=text)
    for name, text in (("customer", "A customer's id."), ("refund", "A refund's id."))
]


class CreditNoteLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CreditNoteLine.Kind.choices, help_text="`units` returned, `shipping` refunded, `restocking_fee`, "
                                   "`deduction` (the return label, a cap), `adjustment` (an amount set by hand, an exchange's rest).")
    sku = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.IntegerField(help_text="Units credited (0 on lines that are not units).")
    unit_price = MoneyField(currency="credit_note.currency")
    discount = MoneyField(currency="credit_note.currency", help_text="The units' share of the discounts.")
    tax = MoneyField(currency="credit_note.currency", help_text="The tax credited.")
    amount = MoneyField(currency="credit_note.currency", help_text="Credited; negative for what is kept (a restocking fee).")


class CreditNoteSerializer(serializers.Serializer):
    number = serializers.CharField()
    invoice = serializers.CharField(source="invoice.number", help_text="The invoice it credits.")
    order = serializers.CharField(source="order.number")
    customer_id = serializers.IntegerField()
    refund_id = serializers.IntegerField(help_text="The refund it documents (`/api/v1/returns/...` refunds).")
    currency = serializers.CharField()
    issued_on = serializers.DateField()
    reason = serializers.CharField()
    total = MoneyField(help_text="What it credits: together, a refund's credit notes are its amount.")
    amount_repaid = MoneyField(help_text="The part the invoice had been paid already, which the refund paid back.")
    created_at = serializers.DateTimeField()


class CreditNoteDetailSerializer(CreditNoteSerializer):
    lines = CreditNoteLineSerializer(many=True)


class CreditNoteFilter(django_filters.FilterSet):
    # Bounded like the columns: a number beyond them is a malformed request (400), not a database error.
    customer = django_filters.NumberFilter(field_name="customer_id", help_text="A customer's id.", min_value=1, max_value=BIGINT, decimal_places=0)
    refund = django_filters.NumberFilter(field_name="refund_id", help_text="A refund's id.", min_value=1, max_value=BIGINT, decimal_places=0)
    invoice = django_filters.CharFilter(field_name="invoice__number", max_length=20, help_text="An invoice number.")
    issued_from = django_filters.DateFilter(field_name="issued_on", lookup_expr="gte", help_text="Issued on or after (YYYY-MM-DD).")
    issued_to = django_filters.DateFilter(field_name="issued_on", lookup_expr="lte", help_text="Issued on or before (YYYY-MM-DD).")

    class Meta:
        model = CreditNote
        fields = ["customer", "refund", "invoice", "issued_from", "issued_to"]


class CreditNotesView(GenericAPIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_creditnote"}
    serializer_class = CreditNoteSerializer
    filterset_class = CreditNoteFilter
    filter_backends = [DjangoFilterBackend, CursorOrderingFilter]
    ordering_fields = ["created_at"]
    ordering = "-created_at"

    def get_queryset(self):
        return credit_notes_listing()

    @extend_schema(
        operation_id="credit_notes_list", summary="List credit notes",
        description="Newest first; cursor-paginated. Filters combine with AND. A refund of an invoiced order issues one credit note "
        "per invoice it gives back of.",
        parameters=ID_FILTERS, responses={200: CreditNoteSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(represent_many(CreditNoteSerializer, page))


class CreditNoteDetailView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_creditnote"}

    @extend_schema(operation_id="credit_notes_retrieve", summary="One credit note with its lines", parameters=[NUMBER],
                   responses={200: CreditNoteDetailSerializer, **error_responses(404)})
    def get(self, request, number: str):
        return Response(represent(CreditNoteDetailSerializer, credit_note_by_number(number)))


class CreditNotePdfView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_creditnote"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="credit_notes_pdf", summary="A credit note as PDF",
        description="In the invoice's look: seller, buyer, the invoice it credits, its lines, total and reason.",
        parameters=[NUMBER],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The credit note."), **error_responses(404)},
    )
    def get(self, request, number: str):
        return file_response(credit_note_pdf(credit_note_by_number(number).pk), filename=f"{number}.pdf", content_type="application/pdf")
