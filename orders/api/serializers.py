"""Order API shapes. Input serializers check JSON shape and types only; what the values mean
(a known channel, a real country, a positive quantity) is the intake service's to judge, so
every channel gets the same answer for the same mistake."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.api.fields import MAX_INTEGER, MoneyField
from oms.api.schema import ErrorDetailSerializer
from orders.models import HoldReason, OrderEvent, OrderStatus, PaymentStatus
from orders.routing import BACKORDER, HOLD, TERMS
from orders.routing.explain import latest_replan, replan_text
from orders.services.changes import MAX_NOTE_LENGTH
from orders.services import AddressData, LineData, OrderIntakeData
from orders.services.intake import INTAKE_PAYMENT_STATUSES

# --- input -----------------------------------------------------------------------------------


def _optional_text(**kwargs):
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


def _amount(**kwargs):
    # No precision limits here: the service quantizes to the currency and bounds the values.
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


class AddressInputSerializer(serializers.Serializer):
    name = _optional_text()
    line1 = _optional_text()
    line2 = _optional_text()
    city = _optional_text()
    region = _optional_text(help_text="State or province; required for US, CA, AU, BR, MX and IN addresses.")
    postal_code = _optional_text()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2, e.g. `US`.")
    phone = _optional_text(help_text="E.164, e.g. `+14155550123`.")


class ShippingAddressInputSerializer(AddressInputSerializer):
    pickup_point = _optional_text(
        help_text="The carrier's id of the pickup point or locker the customer chose; the parcel goes there with a pickup-point "
        "service. Empty: delivery to the door."
    )
    pickup_point_name = _optional_text(help_text="The pickup point's name as the customer saw it, e.g. `Locker Main Station`.")


class CustomerInputSerializer(serializers.Serializer):
    email = serializers.CharField()
    first_name = _optional_text()
    last_name = _optional_text()
    phone = _optional_text(help_text="E.164, e.g. `+14155550123`.")


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(max_value=MAX_INTEGER, help_text="Whole units, at least 1.")
    unit_price = _amount(
        required=False, allow_null=True, default=None,
        help_text="Price of one unit before discount and tax, in the order's currency. Omitted or null: the customer's contract "
        "price list prices the line (400 when none does); given, a price that departs from the contract holds the order "
        "(`quantity_price`).",
    )
    discount = _amount(required=False, default=0, help_text="Discount on the whole line.")
    tax = _amount(required=False, default=0, help_text="Tax on the whole line.")


class OrderCreateSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="Code of the sales channel, e.g. `web`.")
    external_id = serializers.CharField(help_text="The order's id in the channel; the same id again answers the order already recorded.")
    currency = serializers.CharField(help_text="ISO 4217, e.g. `USD`.")
    customer = CustomerInputSerializer()
    shipping_address = ShippingAddressInputSerializer()
    billing_address = AddressInputSerializer(required=False, allow_null=True, default=None)
    lines = LineInputSerializer(many=True)
    shipping_price = _amount(required=False, default=0)
    payment_status = serializers.ChoiceField(choices=list(INTAKE_PAYMENT_STATUSES), default=PaymentStatus.PENDING)
    store_credit = _amount(
        required=False, default=0,
        help_text="Paid from the customer's store credit in the order's currency; refused (409 `insufficient_store_credit`, nothing "
        "recorded) when the balance does not cover it. Covering the whole total, the order is paid.",
    )
    po_reference = _optional_text(
        help_text="The buyer's purchase-order reference (at most 64 characters). Required (400 on `po_reference`) for customers "
        "whose account asks for one.",
    )
    promised_delivery_date = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="The day the customer was promised delivery by (YYYY-MM-DD), not before today; shipping picks a service that "
        "meets it. Omitted: the channel's promised delivery days decide, if it has them.",
    )

    @staticmethod
    def intake_data(data: dict) -> OrderIntakeData:
        """The intake service's input from this serializer's validated data."""
        customer = data["customer"]
        billing = data.get("billing_address")
        return OrderIntakeData(
            channel=data["channel"],
            external_id=data["external_id"],
            currency=data["currency"],
            email=customer["email"],
            first_name=customer["first_name"],
            last_name=customer["last_name"],
            phone=customer["phone"],
            shipping_address=AddressData(**data["shipping_address"]),
            billing_address=AddressData(**billing) if billing else None,
            lines=[LineData(**line) for line in data["lines"]],
            shipping_price=data["shipping_price"],
            payment_status=data["payment_status"],
            promised_delivery_date=data.get("promised_delivery_date"),
            store_credit=data["store_credit"],
            po_reference=data["po_reference"],
        )


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class OrderUpdateSerializer(serializers.Serializer):
    """A partial change: only the fields sent are changed."""

    shipping_address = ShippingAddressInputSerializer(required=False, help_text="Replaces the whole shipping address.")
    billing_address = AddressInputSerializer(required=False, allow_null=True, help_text="Replaces the billing address; null removes it.")
    email = serializers.CharField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE_LENGTH, help_text="Instructions for the people handling the order; replaces the current note.")

    def to_internal_value(self, data):
        # Silently dropping a field the caller meant to change (``status``) would look like success.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [f"Cannot be changed here; one of: {', '.join(self.fields)}."] for name in unknown})
        return super().to_internal_value(data)

    @staticmethod
    def changes(data: dict) -> dict:
        """``order_update``'s ``changes`` from this serializer's validated data."""
        changes = dict(data)
        for name in ("shipping_address", "billing_address"):
            if changes.get(name) is not None:
                changes[name] = AddressData(**changes[name])
        return changes


class OrderLinesSerializer(serializers.Serializer):
    lines = LineInputSerializer(many=True, help_text="Every line the order should have from now on.")

    @staticmethod
    def line_data(data: dict) -> list[LineData]:
        return [LineData(**line) for line in data["lines"]]


class OrderHoldSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=HoldReason.choices)
    detail = serializers.CharField(required=False, allow_blank=True, default="", max_length=500, help_text="Why, for the person who will release it.")


class OrderReleaseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=HoldReason.choices, required=False, allow_null=True, default=None, help_text="The hold to release; omitted: every open hold."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


MAX_BULK_ORDERS = 500


@extend_schema_field(OrderCreateSerializer(many=True))
class _OrderBodiesField(serializers.ListField):
    """Order bodies, each judged on its own later: one malformed item must not refuse the rest."""


class OrderBulkCreateSerializer(serializers.Serializer):
    orders = _OrderBodiesField(
        child=serializers.JSONField(), min_length=1, max_length=MAX_BULK_ORDERS, help_text=f"1 to {MAX_BULK_ORDERS} order bodies, as `POST /orders/` takes them."
    )


# --- output ----------------------------------------------------------------------------------
# The order serializer reads ``line_list``, ``active_holds`` and, on each line,
# ``allocation_list``: plain lists that either a prefetching queryset
# (``orders.selectors.orders_with_details``) or the intake result fills, so answering never
# costs a query per line.


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    line1 = serializers.CharField(required=False)
    line2 = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    region = serializers.CharField(required=False)
    postal_code = serializers.CharField(required=False)
    country = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


class ShippingAddressSerializer(AddressSerializer):
    pickup_point = serializers.CharField(required=False, help_text="The pickup point the customer chose; absent for delivery to the door.")
    pickup_point_name = serializers.CharField(required=False)


class OptionalAddressSerializer(AddressSerializer):
    """An address snapshot, or null when the order has none."""

    def get_attribute(self, instance):
        return super().get_attribute(instance) or None


class AllocationSerializer(serializers.Serializer):
    location = serializers.CharField(source="location.code", help_text="Code of the location holding the stock.")
    quantity = serializers.IntegerField()


class OrderLineSerializer(serializers.Serializer):
    line_number = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField(currency="order.currency")
    discount = MoneyField(currency="order.currency")
    tax = MoneyField(currency="order.currency")
    line_total = MoneyField(currency="order.currency")
    quantity_reserved = serializers.IntegerField(help_text="Units held in stock for this line.")
    quantity_shipped = serializers.IntegerField()
    price_list = serializers.CharField(
        source="price_list.code", allow_null=True, default=None,
        help_text="Code of the contract price list that priced the line (B2B); null otherwise.",
    )
    price_break = serializers.IntegerField(allow_null=True, help_text="The list's quantity break the price came from.")
    allocations = AllocationSerializer(many=True, source="allocation_list", help_text="Where the reserved units are held.")
    expected_date = serializers.DateField(
        allow_null=True, default=None,
        help_text="For a line waiting for stock (backordered units): the day open purchase orders bring enough of the SKU; "
        "null when nothing is missing or no purchase order covers it yet.",
    )


class HoldSerializer(serializers.Serializer):
    reason = serializers.CharField()
    detail = serializers.CharField()
    created_at = serializers.DateTimeField()


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)
    channel = serializers.CharField(source="channel.code")
    external_id = serializers.CharField()
    email = serializers.CharField()
    currency = serializers.CharField()
    subtotal = MoneyField()
    discount_total = MoneyField()
    tax_total = MoneyField()
    shipping_price = MoneyField()
    grand_total = MoneyField()
    shipping_address = ShippingAddressSerializer()
    billing_address = OptionalAddressSerializer(allow_null=True)
    holds = HoldSerializer(many=True, source="active_holds", help_text="Open holds; the order waits for a person while any is listed.")
    lines = OrderLineSerializer(many=True, source="line_list")
    note = serializers.CharField()
    po_reference = serializers.CharField(help_text="The buyer's purchase-order reference; empty when none was given.")
    version = serializers.IntegerField(help_text="Goes up with every change; the `ETag`. Send it as `If-Match` to change the order.")
    placed_at = serializers.DateTimeField()
    promised_ship_date = serializers.DateField(allow_null=True, help_text="The day the order should leave; null when none was set.")
    promised_delivery_date = serializers.DateField(
        allow_null=True, help_text="The day the customer was promised delivery by (from the order, else the channel's delivery days); null: no promise."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- routing decisions (``Order.routing``; written by ``orders.routing.explain``) -----------------

_TERMS_TEXT = ", ".join(f"`{term}`" for term in TERMS)


class RoutingCandidateSerializer(serializers.Serializer):
    locations = serializers.ListField(child=serializers.CharField(), help_text="Codes of the locations that would ship, in the order the plan took them.")
    shipments = serializers.IntegerField(help_text="Parcels this plan ships, counting those the order already had.")
    units = serializers.IntegerField(help_text="Units this plan covers.")
    estimated_cost = serializers.FloatField(
        help_text="Shipping cost of its parcels in the order's currency, from the carriers' rate tables where `cost_sources` says so, "
        "else the distance estimate (a score, never charged).",
    )
    km = serializers.FloatField(help_text="Distance to the destination, averaged over the units.")
    terms = serializers.DictField(
        child=serializers.FloatField(), help_text=f"The score's weighted terms by name ({_TERMS_TEXT}); they add up to `score`."
    )
    score = serializers.FloatField(help_text="Lower wins.")


class ReplanSerializer(serializers.Serializer):
    run_id = serializers.IntegerField(help_text="The re-planning run (plan) the move came from.")
    saving = serializers.FloatField(help_text="What the move saved this order, in routing score (below 0: it gave way so its move saved).")


class ReplannedSerializer(ReplanSerializer):
    text = serializers.CharField(help_text="`Re-planned: saved X (plan #id)`, as the order page shows it.")


class RoutingDecisionSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the engine decided.")
    trigger = serializers.CharField(help_text="What made it decide: `intake`, `released`, `stock arrived` or `re-planned`.")
    outcome = serializers.CharField(help_text="The order's status that followed, e.g. `allocated`, `backordered`, `on_hold`.")
    strategy = serializers.CharField(help_text="Name of the routing strategy applied.")
    weights = serializers.DictField(child=serializers.FloatField(), help_text=f"The strategy's weight per term ({_TERMS_TEXT}).")
    may_split = serializers.BooleanField(help_text="Whether the strategy lets one order ship from several locations.")
    on_shortage = serializers.ChoiceField(choices=[BACKORDER, HOLD], help_text="What the strategy does when stock is short.")
    destination = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True,
        help_text="Latitude and longitude routed to; null when the address could not be placed.",
    )
    considered = serializers.IntegerField(help_text="Candidates scored; `candidates` lists the best few.")
    excluded = serializers.ListField(child=serializers.CharField(), help_text="Locations the channel may not ship from.")
    cost_sources = serializers.DictField(
        child=serializers.CharField(), required=False,
        help_text="Per location in `candidates`: where its shipping costs came from (the carriers' rate tables for a lane, or the distance "
        "estimate). Absent from decisions made before costs came from rate tables.",
    )
    candidates = RoutingCandidateSerializer(many=True, help_text="The best candidates, the winner first.")
    winner = serializers.IntegerField(allow_null=True, help_text="Index of the winner in `candidates`; null when nothing could be reserved.")
    covered = serializers.BooleanField(help_text="Whether the winner covers every unit.")
    missing_units = serializers.IntegerField(help_text="Units no location could cover.")
    missing = serializers.DictField(child=serializers.IntegerField(), help_text="Units still missing per SKU.")
    reason = serializers.CharField(help_text="Why the winner won, in one sentence.")
    replan = ReplanSerializer(required=False, help_text="Only on decisions of rolling re-planning (trigger `re-planned`): the plan and its saving.")


class RoutingSerializer(serializers.Serializer):
    decisions = RoutingDecisionSerializer(
        many=True, help_text="Intake's decision first, then the latest re-routings (up to five in all); empty while nothing was routed (e.g. an order held at intake)."
    )

    def get_attribute(self, instance):
        # An order never routed stores ``{}``: that is no decisions yet, not a missing field.
        return {"decisions": [], **(super().get_attribute(instance) or {})}


class OrderDetailSerializer(OrderSerializer):
    """One order, with where its stock comes from and why. Lists leave ``routing`` out: a
    decision is a few kilobytes, and a page of 500 orders would mostly carry explanations."""

    routing = RoutingSerializer(read_only=True, help_text="The routing engine's decisions for this order: candidates, their score terms, the winner and why.")
    replanned = serializers.SerializerMethodField(help_text="The latest rolling re-planning that moved this order's reservations; null if none did.")

    @extend_schema_field(ReplannedSerializer(allow_null=True))
    def get_replanned(self, order) -> dict | None:
        replan = latest_replan(order.routing)
        return {**replan, "text": replan_text(order.routing)} if replan else None


class OrderEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrderEvent.Kind.choices)
    message = serializers.CharField()
    from_status = serializers.CharField(help_text="Status changes only; empty otherwise.")
    to_status = serializers.CharField(help_text="Status changes only; empty otherwise.")
    data = serializers.JSONField(help_text="Details, e.g. `{\"changes\": {\"email\": {\"from\": ..., \"to\": ...}}}`.")
    actor = serializers.CharField(source="actor_label", help_text="Who made the change: a user, `api:<key name>` or `system`.")
    created_at = serializers.DateTimeField()


class OrderBulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the order in the request's `orders`.")
    status = serializers.IntegerField(help_text="What `POST /orders/` would have answered: 201, 200 (recorded before), 400 or 409.")
    order = OrderSerializer(allow_null=True)
    error = ErrorDetailSerializer(allow_null=True)


class OrderBulkResponseSerializer(serializers.Serializer):
    results = OrderBulkResultSerializer(many=True)
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    failed = serializers.IntegerField()
