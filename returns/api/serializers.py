"""The API's shapes of a return: input serializers per operation, one output for reading."""

from rest_framework import serializers

from oms.api.fields import MoneyField

from ..models import Condition, Disposition, RefundMethod, RefundStatus, Resolution, ReturnEvent, ReturnStatus
from ..services import InspectionData, ReceivedItem, ReturnLineData

MAX_LINES = 500
MAX_TEXT = 500


class ReturnLineInputSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=32767, help_text="The order line's number (`lines[].line_number` of the order).")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000_000)
    reason = serializers.CharField(max_length=32, help_text="A reason code: damaged, wrong_item, too_small, too_large, not_as_described, changed_mind, other...")
    reason_text = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT, help_text="Required with `other`.")
    exchange_sku = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64,
        help_text="Exchanges: the SKU sent in place of these units (e.g. another size); a sellable product priced in the order's currency.",
    )
    exchange_quantity = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=100_000_000,
        help_text="Exchanges: units of `exchange_sku` sent; default: as many as returned.",
    )


class ReturnCreateSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=20, help_text="The order number, e.g. `SO-0000042`.")
    lines = ReturnLineInputSerializer(many=True, min_length=1, max_length=MAX_LINES)
    resolution = serializers.ChoiceField(choices=Resolution.choices, default=Resolution.REFUND)
    customer_comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    @staticmethod
    def line_data(data: dict) -> list[ReturnLineData]:
        return [ReturnLineData(line_number=line["line_number"], quantity=line["quantity"], reason=line["reason"], reason_text=line["reason_text"],
                               exchange_sku=line["exchange_sku"], exchange_quantity=line["exchange_quantity"])
                for line in data["lines"]]


class ReturnNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class ReturnRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT, help_text="Why the return is turned down; the customer is told.")


class ReturnExchangeSerializer(serializers.Serializer):
    """Nothing to send: the replacement comes from the return's lines."""


class ReturnCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class ReceivedItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text="The SKU scanned.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000_000, default=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class ReturnReceiveSerializer(serializers.Serializer):
    location = serializers.CharField(max_length=32, help_text="The code of the location receiving the parcel.")
    items = ReceivedItemSerializer(many=True, min_length=1, max_length=MAX_LINES)
    complete = serializers.BooleanField(
        default=False, help_text="Nothing more will come: units still expected are recorded as missing and the return is received.",
    )

    @staticmethod
    def items_data(data: dict) -> list[ReceivedItem]:
        return [ReceivedItem(sku=item["sku"], quantity=item["quantity"], note=item["note"]) for item in data["items"]]


class InspectionLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(min_value=1, max_value=32767)
    condition = serializers.ChoiceField(choices=Condition.choices)
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    quantity_accepted = serializers.IntegerField(
        min_value=0, max_value=100_000_000, required=False, allow_null=True, default=None, help_text="Units accepted for a refund; default: all received.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class ReturnInspectSerializer(serializers.Serializer):
    lines = InspectionLineSerializer(many=True, min_length=1, max_length=MAX_LINES, help_text="One entry per line with units received.")

    @staticmethod
    def inspection_data(data: dict) -> list[InspectionData]:
        return [InspectionData(line_number=line["line_number"], condition=line["condition"], disposition=line["disposition"],
                               quantity_accepted=line["quantity_accepted"], note=line["note"]) for line in data["lines"]]


class ReturnLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField(source="order_line.line_number")
    sku = serializers.CharField(source="order_line.sku")
    quantity = serializers.IntegerField(help_text="Units asked to return.")
    reason = serializers.CharField(source="reason.code")
    reason_text = serializers.CharField()
    quantity_received = serializers.IntegerField()
    quantity_missing = serializers.IntegerField(help_text="Expected, not in the parcel when receiving was completed.")
    quantity_accepted = serializers.IntegerField(help_text="Received units accepted at inspection.")
    condition = serializers.CharField(help_text="Set at inspection: new, opened, damaged, wrong_item; empty before.")
    disposition = serializers.CharField(help_text="Set at inspection: restock, refurbish, quarantine, scrap, return_to_vendor; empty before.")
    exchange_sku = serializers.CharField(source="exchange_product.sku", allow_null=True, default=None, help_text="Exchanges: the replacement's SKU.")
    exchange_quantity = serializers.IntegerField(help_text="Exchanges: units of the replacement; 0 without one.")


class UnexpectedItemSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    note = serializers.CharField()


class ReturnRefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, default=None,
        help_text="Set the amount by hand (needs `reason`); omitted: computed from what was paid for the units, less fees.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT, help_text="Why the amount is set by hand.")


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RefundStatus.choices, help_text="pending (sent to the provider), succeeded or failed.")
    amount = serializers.DecimalField(max_digits=None, decimal_places=None)
    computed_amount = serializers.DecimalField(max_digits=None, decimal_places=None, help_text="What the arithmetic gave.")
    currency = serializers.CharField()
    method = serializers.ChoiceField(choices=RefundMethod.choices)
    provider = serializers.CharField(help_text="builtin, shopify or store_credit; credit_note when an invoice's credit notes settled it all.")
    provider_refund_id = serializers.CharField()
    provider_reason = serializers.CharField(help_text="What the provider said when it refused; empty otherwise.")
    override_reason = serializers.CharField(help_text="Why the amount was set by hand; empty when computed.")
    breakdown = serializers.JSONField(help_text=(
        "Per line: units, price after discounts, tax, restocking fee; shipping; label cost; cap. For an invoiced order, how it was "
        "settled: `invoice_balance_reduced` (taken off what the invoices still asked) and `paid_back` (sent to the original "
        "payment) or `store_credit`."))
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)


class ReturnSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The RMA number, e.g. `RMA-000123`.")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    order = serializers.CharField(source="order.number")
    channel = serializers.CharField(source="order.channel.code")
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    customer_comment = serializers.CharField()
    needs_attention = serializers.CharField(help_text="Why a person must decide (outside the policy, unexpected items); empty otherwise.")
    decision_note = serializers.CharField()
    exchange_order = serializers.CharField(
        source="exchange_order.number", allow_null=True, default=None, help_text="Exchanges: the replacement order's number, once placed.",
    )
    exchange_balance = MoneyField(
        currency="order.currency", allow_null=True, help_text="Replacement value less the returned units' value: positive, the customer pays it; negative, it is refunded.",
    )
    label_paid_by = serializers.CharField(help_text="Who pays the return label: merchant or customer (deducted from the refund); empty before a label.")
    label_cost = MoneyField(currency="label_currency", allow_null=True, help_text="The return label's quoted price, in `label_currency`.")
    label_currency = serializers.CharField()
    location = serializers.CharField(source="location.code", allow_null=True, default=None, help_text="Where the parcel was received.")
    unexpected_items = UnexpectedItemSerializer(many=True)
    lines = ReturnLineSerializer(many=True, source="line_list")
    refunds = RefundSerializer(many=True, source="refund_list", help_text="Money given back for this return, oldest first.")
    created_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    inspected_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(help_text="Rises with every change; the ETag.")


class ReturnEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReturnEvent.Kind.choices)
    message = serializers.CharField()
    from_status = serializers.CharField(help_text="Status changes only; empty otherwise.")
    to_status = serializers.CharField(help_text="Status changes only; empty otherwise.")
    data = serializers.JSONField()
    actor = serializers.CharField(source="actor_label", help_text="Who made the change: a user, `api:<key name>` or `system`.")
    created_at = serializers.DateTimeField()
