"""A customer's statement of account (read only): JSON and PDF over ``orders.statements``."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.downloads import FileAnswerNegotiation, file_response
from oms.api.schema import error_responses

from ..statements import customer_statement, statement_pdf, statement_reference

PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default: the first day of `to`'s month."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD); default: today. Not before `from`."),
]


class StatementPeriodSerializer(serializers.Serializer):
    """``from`` and ``to`` (``from`` is a Python keyword, hence the fields built here)."""

    def get_fields(self):
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)}


class StatementEntrySerializer(serializers.Serializer):
    # Amounts are strings in the currency's own decimals.
    on = serializers.DateField(help_text="The document's date: an invoice or credit note's issue, a payment's receipt.")
    kind = serializers.ChoiceField(choices=["invoice", "credit_note", "payment", "paid_back"],
                                   help_text="`paid_back`: the part of a credit note the invoice had been paid, returned by its refund.")
    reference = serializers.CharField(help_text="The invoice or credit note number (a payment names its invoice).")
    description = serializers.CharField()
    charge = serializers.CharField()
    credit = serializers.CharField()
    balance = serializers.CharField(help_text="After this entry.")


class CurrencyStatementSerializer(serializers.Serializer):
    currency = serializers.CharField()
    opening = serializers.CharField(help_text="Before the first day.")
    entries = StatementEntrySerializer(many=True)
    closing = serializers.CharField(help_text="After the last day.")
    current = serializers.CharField(help_text="Of the closing balance, not due yet.")
    overdue = serializers.CharField(help_text="Of the closing balance, past due.")


class StatementSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    customer_name = serializers.CharField()
    start = serializers.DateField(help_text="`from`.")
    end = serializers.DateField(help_text="`to`.")
    currencies = CurrencyStatementSerializer(many=True, help_text="One ledger per currency the customer was invoiced in.")


def _statement(request, customer_id: int):
    period = StatementPeriodSerializer(data=request.query_params)
    period.is_valid(raise_exception=True)
    end = period.validated_data.get("to") or timezone.localdate()
    start = period.validated_data.get("from") or end.replace(day=1)
    return customer_statement(customer_id=customer_id, start=start, end=end)


class CustomerStatementView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}

    @extend_schema(
        operation_id="customers_statement", summary="A customer's statement of account",
        description="Per currency: the opening balance, every invoice, credit note and payment of the period in date order with the "
        "balance after each, the closing balance and what of it is current or overdue on the last day. 400 on a bad date or `from` after `to`.",
        parameters=PERIOD, responses={200: StatementSerializer, **error_responses(400, 404)},
    )
    def get(self, request, customer_id: int):
        return Response(StatementSerializer(_statement(request, customer_id)).data)


class CustomerStatementPdfView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="customers_statement_pdf", summary="A customer's statement of account as PDF", parameters=PERIOD,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The statement."), **error_responses(400, 404)},
    )
    def get(self, request, customer_id: int):
        statement = _statement(request, customer_id)
        return file_response(statement_pdf(statement), filename=f"{statement_reference(statement)}.pdf", content_type="application/pdf")
