"""Payments against invoices (one invoice, or a customer's remittance across several) and the
receivables ageing: thin views over ``orders.services.invoicing`` and ``.receivables``."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import request_actor
from oms.api.fields import MAX_BIGINT, MoneyField
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import represent, represent_many, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses

from ..models import InvoicePayment
from ..selectors import invoice_by_number
from ..services import PaymentRecorded, customer_remittance_record, invoice_payment_record
from ..services.receivables import BUCKET_KEYS, receivables_ageing
from .invoices import NUMBER

AMOUNT_HELP = "In the invoice's currency, at most its minor unit (e.g. `120.50` USD); above 0."
REFERENCE_HELP = (
    "The bank's or the payer's reference. The same reference and amount already recorded on the invoice is not recorded "
    "again: the answer is the payment on file (200 instead of 201)."
)


class PaymentInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=None, decimal_places=None, help_text=AMOUNT_HELP)
    received_on = serializers.DateField(help_text="The day the money arrived, YYYY-MM-DD.")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100, help_text=REFERENCE_HELP)


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    invoice = serializers.CharField(source="invoice.number")
    amount = MoneyField(currency="invoice.currency")
    currency = serializers.CharField(source="invoice.currency")
    received_on = serializers.DateField()
    reference = serializers.CharField()
    recorded_by = serializers.CharField()
    created_at = serializers.DateTimeField()


class InvoiceBalanceSerializer(serializers.Serializer):
    number = serializers.CharField()
    currency = serializers.CharField()
    total = MoneyField()
    amount_paid = MoneyField()
    balance = MoneyField(help_text="What is left to pay.")
    status = serializers.CharField(help_text="`paid` once the balance is 0.")


class PaymentRecordedSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    invoice = InvoiceBalanceSerializer(help_text="The invoice after this payment.")
    created = serializers.BooleanField(help_text="False: this payment was on file already (same reference and amount); nothing was recorded.")


class RemittanceInvoiceSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=20, help_text="One of the customer's invoices, e.g. `INV-2026-000123`.")
    amount = serializers.DecimalField(max_digits=None, decimal_places=None, help_text="What this remittance pays on it.")


class RemittanceInputSerializer(PaymentInputSerializer):
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT, help_text="The customer's id.")
    customer_external_id = serializers.CharField(
        required=False, max_length=64, help_text="Instead of `customer`: the customer's number in your accounting system."
    )
    currency = serializers.CharField(
        required=False, default="", max_length=3, help_text="Needed only when the customer owes in more than one currency."
    )
    invoices = RemittanceInvoiceSerializer(
        many=True, required=False, max_length=500,
        help_text="What the remittance pays on which invoice (the amounts add up to `amount`). Omitted: the customer's open "
        "invoices oldest due first, the last one partly.",
    )


class RemittanceSerializer(serializers.Serializer):
    payments = PaymentRecordedSerializer(many=True)
    created = serializers.BooleanField(help_text="False: this remittance (reference, day and total) was on file already; nothing was recorded.")


class InvoicePaymentsView(APIView):
    required_scopes = {"GET": "invoices:read", "POST": "invoices:write"}
    required_permissions = {"GET": "orders.view_invoicepayment", "POST": "orders.add_invoicepayment"}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="invoices_payments_list", summary="The payments of an invoice", parameters=[NUMBER],
                   description="Oldest received first.", responses={200: PaymentSerializer(many=True), **error_responses(404)})
    def get(self, request, number: str):
        invoice = invoice_by_number(number)
        return Response(represent_many(PaymentSerializer, InvoicePayment.objects.filter(invoice=invoice).select_related("invoice")))

    @extend_schema(
        operation_id="invoices_payments_create", summary="Record a payment against an invoice",
        description="Partial payments are allowed; never more than the balance (400, nothing recorded). The payment that settles "
        "the balance marks the invoice paid (event `invoice.paid`). The order's audit trail records each payment.",
        parameters=[NUMBER, IDEMPOTENCY_KEY], request=PaymentInputSerializer,
        responses={201: PaymentRecordedSerializer, 200: PaymentRecordedSerializer, **error_responses(400, 404, 409, 422)},
    )
    @idempotent
    def post(self, request, number: str):
        data = validated(PaymentInputSerializer, request.data)
        recorded = invoice_payment_record(number=number, actor=request_actor(request), **data)
        return Response(represent(PaymentRecordedSerializer, recorded), status=status.HTTP_201_CREATED if recorded.created else status.HTTP_200_OK)


class RemittancesView(APIView):
    required_scopes = {"POST": "invoices:write"}
    required_permissions = {"POST": "orders.add_invoicepayment"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="payments_create", summary="Record a customer's remittance across invoices",
        description="All or nothing: with `invoices`, each listed invoice gets its amount (they must add up to `amount`); "
        "without, the customer's open invoices are paid oldest due first, the last one partly. Money beyond what the "
        "customer owes is refused (400) and nothing is recorded. The same reference on the same day for the same total "
        "answers the payments on file (200) instead of recording them again.",
        parameters=[IDEMPOTENCY_KEY], request=RemittanceInputSerializer,
        responses={201: RemittanceSerializer, 200: RemittanceSerializer, **error_responses(400, 409, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(RemittanceInputSerializer, request.data)
        invoices = [(item["number"], item["amount"]) for item in data.pop("invoices", [])] or None
        recorded: list[PaymentRecorded] = customer_remittance_record(
            customer_id=data.pop("customer", None), invoices=invoices, actor=request_actor(request), **data
        )
        created = any(item.created for item in recorded)
        body = {"payments": [represent(PaymentRecordedSerializer, item) for item in recorded], "created": created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AgeingQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="YYYY-MM-DD; default today.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_BIGINT, help_text="One customer's id.")


class AgeingBucketsSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(allow_null=True, help_text="Null on a totals row.")
    customer = serializers.CharField()
    currency = serializers.CharField()
    current = MoneyField(source="buckets.current", help_text="Not due yet (or due on `as_of`).")
    days_1_30 = MoneyField(source="buckets.days_1_30", help_text="1 to 30 days past due.")
    days_31_60 = MoneyField(source="buckets.days_31_60", help_text="31 to 60 days past due.")
    days_61_90 = MoneyField(source="buckets.days_61_90", help_text="61 to 90 days past due.")
    over_90 = MoneyField(source="buckets.over_90", help_text="More than 90 days past due.")
    total = MoneyField(help_text="All buckets.")


class AgeingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    buckets = serializers.ListField(child=serializers.CharField(), help_text=f"The bucket keys in order: {', '.join(BUCKET_KEYS)}.")
    customers = AgeingBucketsSerializer(many=True, source="rows", help_text="One row per customer and currency.")
    totals = AgeingBucketsSerializer(many=True, help_text="One row per currency.")


class ReceivablesAgeingView(APIView):
    required_scopes = {"GET": "invoices:read"}
    required_permissions = {"GET": "orders.view_invoice"}

    @extend_schema(
        operation_id="receivables_ageing", summary="Open balances by customer, aged",
        description="Each customer's open invoices (issued up to `as_of`) in buckets by days past due on `as_of`: current "
        "(not due yet, or due that day), 1–30, 31–60, 61–90, over 90; per currency, with a totals row per currency.",
        parameters=[AgeingQuerySerializer], responses={200: AgeingSerializer, **error_responses(400)},
    )
    def get(self, request):
        query = validated(AgeingQuerySerializer, request.query_params.dict())
        ageing = receivables_ageing(as_of=query.get("as_of") or timezone.localdate(), customer_id=query.get("customer"))
        body = represent(AgeingSerializer, {"as_of": ageing.as_of, "buckets": list(BUCKET_KEYS), "rows": ageing.rows, "totals": ageing.totals})
        return Response(body)
