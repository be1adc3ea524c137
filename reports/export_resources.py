"""What accountants export, defined once: a django-import-export resource per kind.

Each resource names its columns (``Field``: the column's header, the queryset path it reads and a
widget that makes the cell) and its rows (``get_queryset``: annotated so every column is a plain
path). The same resource serves the admin's export of a filtered list, the export form, the API
and ``resource.export()`` of django-import-export itself; the streaming writers
(:mod:`reports.export_files`) read rows as value lists through the same paths and widgets.

Cells: money is the exact stored decimal (never rounded, never a float) next to its currency
column; times are in the merchant's time zone (``TIME_ZONE``, named in the header); text that a
spreadsheet would run as a formula is prefixed with a quote (:mod:`oms.spreadsheets`); numbers,
negative quantities included, stay numbers.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat, Left, Length, Right
from django.db.models.lookups import Exact, In
from django.utils import timezone
from import_export import fields, resources, widgets

from fulfillment.models import FulfillmentOrder
from inventory.models import StockLevel, StockMovement
from oms.errors import InvalidInput
from oms.masking import personal_path
from oms.spreadsheets import FORMULA_STARTS, spreadsheet_text
from orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from returns.models import Refund, RefundMethod, RefundStatus
from shipping.models import Shipment, ShipmentDirection, ShipmentParcel, ShipmentStatus

# --- cells -----------------------------------------------------------------------------------


class TextCell(widgets.CharWidget):
    """Text, made safe for spreadsheets."""

    def render(self, value, obj=None, **kwargs):
        return spreadsheet_text(value)

    def converters(self):
        """``(csv, xlsx)``: what makes a CSV cell and an XLSX cell of a stored value (``None``:
        the value is written as it comes). Built once per export, so the zone is read once."""
        return spreadsheet_text, spreadsheet_text

    def in_database(self, path: str):
        """``(expression, convert)``: the CSV cell computed by PostgreSQL (the same text as
        ``converters()[0]`` gives), and what still turns it into the cell (``None``: nothing)."""
        return Case(When(In(Left(path, 1), FORMULA_STARTS), then=Concat(Value("'"), path)), default=path, output_field=CharField()), None


class NumberCell(widgets.IntegerWidget):
    """A whole number (quantities, counts): a number in both formats, negative or not."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value

    def converters(self):
        return None, None  # csv.writer writes an int as digits and None as ""


def _decimal_text(value: Decimal) -> str:
    # Amounts are stored with 3 decimal places; a third place of 0 is dropped ("12.300" -> "12.30")
    # and nothing else is touched, so the text is exactly the stored amount.
    text = str(value)
    return text[:-1] if len(text) > 4 and text[-4] == "." and text[-1] == "0" else text


def _money_text(value) -> str:
    return "" if value is None else _decimal_text(value)


def _money_number(value):
    return None if value is None else Decimal(_decimal_text(value))


class MoneyCell(widgets.DecimalWidget):
    """An amount: the exact stored decimal, as text in CSV and as a number in XLSX (its currency
    is in a column of its own)."""

    def render(self, value, obj=None, **kwargs):
        return _money_text(value)

    def converters(self):
        return _money_text, _money_number

    def in_database(self, path: str):
        # The amount as PostgreSQL writes it ("19.900"), its third decimal dropped when 0 as above.
        text = Cast(path, CharField())
        third_is_zero = When(Exact(Right(text, 1), "0"), then=Left(text, Length(text) - 1))
        three_places = When(Exact(Left(Right(text, 4), 1), "."), then=Case(third_is_zero, default=text))
        return Case(three_places, default=text, output_field=CharField()), None


def merchant_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class MomentCell(widgets.DateTimeWidget):
    """A moment, in the merchant's time zone (``YYYY-MM-DD HH:MM:SS``; the zone is in the header)."""

    def render(self, value, obj=None, **kwargs):
        return self.converters()[0](value)

    def converters(self):
        zone = merchant_zone()

        def local(value):
            if value is None:
                return None
            if timezone.is_naive(value):  # SQLite without time zone support: stored in UTC
                value = value.replace(tzinfo=datetime.UTC)
            return value.astimezone(zone).replace(tzinfo=None, microsecond=0)

        def text(value):
            return "" if value is None else local(value).isoformat(" ")

        return text, local

    def in_database(self, path: str):
        # PostgreSQL converts to the zone and formats (no datetime object made per cell).
        local = Func(Value(settings.TIME_ZONE), path, function="timezone", output_field=CharField())
        return Func(local, Value("YYYY-MM-DD HH24:MI:SS"), function="to_char", output_field=CharField()), None


def _day_text(value) -> str:
    return "" if value is None else value.isoformat()


class DayCell(widgets.DateWidget):
    def render(self, value, obj=None, **kwargs):
        return _day_text(value)

    def converters(self):
        return _day_text, None

    def in_database(self, path: str):
        return Cast(path, CharField()), None


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


class YesNoCell(widgets.BooleanWidget):
    def render(self, value, obj=None, **kwargs):
        return _yes_no(value)

    def converters(self):
        return _yes_no, _yes_no


def as_text(attribute: str, column: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=TextCell())


def as_number(attribute: str, column: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=NumberCell())


def as_money(attribute: str, column: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=MoneyCell())


def as_moment(attribute: str, column: str) -> fields.Field:
    # The header names the zone the times are in, e.g. "placed_at (Europe/Berlin)" (filled in
    # when the headers are asked for, so it is the zone of the moment).
    return fields.Field(attribute=attribute, column_name=f"{column} ({{zone}})", widget=MomentCell())


def as_day(attribute: str, column: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=DayCell())


def as_yes_no(attribute: str, column: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=column, widget=YesNoCell())


# --- filters (the API's and the export form's) ---------------------------------------------------


@dataclass(frozen=True)
class ExportFilter:
    """A filter an export takes by name: ``kind`` is ``from``/``to`` (a day, inclusive, in the
    merchant's time zone, on a moment), ``day`` (one day), ``code`` (exact text) or ``choice``."""

    lookup: str
    kind: str
    help: str
    choices: tuple[str, ...] = ()


def _day(name: str, value) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f'"{name}" must be a day as YYYY-MM-DD.', fields={f"filters.{name}": ["A day as YYYY-MM-DD is required."]}) from None


def day_start(day_value: datetime.date) -> datetime.datetime:
    """The first moment of ``day_value`` in the merchant's time zone."""
    return datetime.datetime.combine(day_value, datetime.time.min, tzinfo=merchant_zone())


def export_filters_apply(resource: "ExportResource", queryset: QuerySet, filters: dict) -> QuerySet:
    """``queryset`` narrowed by ``filters`` (name -> value) as the resource declares them; refuses
    an unknown name or a bad value with ``InvalidInput`` naming the field."""
    if not isinstance(filters, dict):
        raise InvalidInput('"filters" must be an object.', fields={"filters": ["An object of filter names and values."]})
    declared = resource.filters()
    for name, value in filters.items():
        spec = declared.get(name)
        if spec is None:
            known = ", ".join(sorted(declared)) or "none"
            raise InvalidInput(f'{resource.title} has no filter "{name}" (known: {known}).', fields={f"filters.{name}": ["Unknown filter."]})
        if value in (None, ""):
            continue
        if spec.kind in ("from", "to"):
            start = day_start(_day(name, value))
            if spec.kind == "to":
                start = day_start(_day(name, value) + datetime.timedelta(days=1))
            queryset = queryset.filter(**{f"{spec.lookup}__{'gte' if spec.kind == 'from' else 'lt'}": start})
        elif spec.kind == "day":
            _day(name, value)
        else:
            if not isinstance(value, str) or len(value) > 100 or "\x00" in value:
                raise InvalidInput(f'"{name}" must be text of at most 100 characters.', fields={f"filters.{name}": ["Text is required."]})
            if spec.kind == "choice" and value not in spec.choices:
                raise InvalidInput(f'"{name}" must be one of {", ".join(spec.choices)}.', fields={f"filters.{name}": [f"Not a valid choice: {value!r}."]})
            queryset = queryset.filter(**{spec.lookup: value})
    return queryset


# --- resources -------------------------------------------------------------------------------


class ExportResource(resources.Resource):
    """A kind of export. ``lists``: the admin lists it can export from, each with the path from
    this resource's rows to that list's rows (``pk`` when they are the same rows)."""

    kind: str = ""
    title: str = ""
    lists: dict[str, str] = {}
    # Set for whoever may not see personal data (oms.masking): the registry's personal columns
    # (the customer's e-mail of an order...) are left out of the file, header and cells alike.
    personal_data_hidden: bool = False

    @classmethod
    def filters(cls) -> dict[str, ExportFilter]:
        return {}

    def rows(self, *, filters: dict | None = None) -> QuerySet:
        """Every row of this export (filtered), in a stable order."""
        return export_filters_apply(self, self.get_queryset(), filters or {})

    def rows_of_list(self, *, list_label: str, list_rows: QuerySet, filters: dict | None = None) -> QuerySet:
        """The rows behind an admin list's rows (``list_rows``, the list's filtered queryset)."""
        path = self.lists[list_label]
        return self.rows(filters=filters).filter(**{f"{path}__in": list_rows.order_by().values("pk")})

    def export_fields(self) -> list[fields.Field]:
        return self.get_export_fields()

    def get_export_fields(self, selected_fields=None):
        columns = super().get_export_fields(selected_fields)
        if not self.personal_data_hidden:
            return columns
        model = self.get_queryset().model
        return [column for column in columns if not personal_path(model, column.attribute)]

    def get_export_headers(self, selected_fields=None):
        zone = settings.TIME_ZONE
        return [header.replace("{zone}", zone) for header in super().get_export_headers(selected_fields)]


def _period(lookup: str, what: str) -> dict[str, ExportFilter]:
    return {
        "from": ExportFilter(lookup, "from", f"YYYY-MM-DD: {what} on or after this day (merchant's time zone)."),
        "to": ExportFilter(lookup, "to", f"YYYY-MM-DD: {what} on or before this day (merchant's time zone)."),
    }


class OrdersExport(ExportResource):
    kind, title = "orders", "Orders"
    lists = {"orders.order": "pk", "orders.heldorder": "pk"}

    number = as_text("number", "order_number")
    channel = as_text("channel__code", "channel")
    external = as_text("external_id", "external_id")
    state = as_text("status", "status")
    payment = as_text("payment_status", "payment_status")
    placed = as_moment("placed_at", "placed_at")
    email_address = as_text("email", "customer_email")
    country = as_text("ship_country", "ship_country")
    money_currency = as_text("currency", "currency")
    sub = as_money("subtotal", "subtotal")
    discounts = as_money("discount_total", "discount_total")
    shipping = as_money("shipping_price", "shipping_price")
    taxes = as_money("tax_total", "tax_total")
    total = as_money("grand_total", "grand_total")


    @classmethod
    def filters(cls):
        return {
            **_period("placed_at", "orders placed"),
            "channel": ExportFilter("channel__code", "code", "The channel's code, e.g. `web`."),
            "status": ExportFilter("status", "choice", "The order's status.", tuple(OrderStatus.values)),
            "payment_status": ExportFilter("payment_status", "choice", "The payment status.", tuple(PaymentStatus.values)),
            "currency": ExportFilter("currency", "code", "ISO 4217 code, e.g. `EUR`."),
        }

    def get_queryset(self):
        return Order.objects.order_by("pk")


class OrderLinesExport(ExportResource):
    kind, title = "order_lines", "Order lines"
    lists = {"orders.order": "order", "orders.heldorder": "order"}

    number = as_text("order__number", "order_number")
    channel = as_text("order__channel__code", "channel")
    placed = as_moment("order__placed_at", "placed_at")
    order_status = as_text("order__status", "order_status")
    line = as_number("line_number", "line")
    code = as_text("sku", "sku")
    label = as_text("name", "name")
    ordered = as_number("quantity", "quantity")
    shipped = as_number("quantity_shipped", "quantity_shipped")
    returned = as_number("quantity_returned", "quantity_returned")
    money_currency = as_text("order__currency", "currency")
    price = as_money("unit_price", "unit_price")
    off = as_money("discount", "discount")
    taxes = as_money("tax", "tax")
    total = as_money("line_total", "line_total")


    @classmethod
    def filters(cls):
        return {
            **_period("order__placed_at", "orders placed"),
            "channel": ExportFilter("order__channel__code", "code", "The channel's code, e.g. `web`."),
            "status": ExportFilter("order__status", "choice", "The order's status.", tuple(OrderStatus.values)),
            "sku": ExportFilter("sku", "code", "The line's SKU."),
            "currency": ExportFilter("order__currency", "code", "ISO 4217 code, e.g. `EUR`."),
        }

    def get_queryset(self):
        return OrderLine.objects.order_by("pk")


class RefundsExport(ExportResource):
    kind, title = "refunds", "Refunds"
    lists = {"returns.refund": "pk", "returns.returnrequest": "request", "orders.order": "order"}

    refund = as_number("id", "refund_id")
    number = as_text("order__number", "order_number")
    rma = as_text("request__number", "return_number")
    channel = as_text("order__channel__code", "channel")
    state = as_text("status", "status")
    how = as_text("method", "method")
    through = as_text("provider", "provider")
    money_currency = as_text("currency", "currency")
    refunded = as_money("amount", "amount")
    computed = as_money("computed_amount", "computed_amount")
    why = as_text("override_reason", "override_reason")
    provider_id = as_text("provider_refund_id", "provider_refund_id")
    created = as_moment("created_at", "created_at")
    succeeded = as_moment("succeeded_at", "succeeded_at")
    who = as_text("actor_label", "by")


    @classmethod
    def filters(cls):
        return {
            **_period("created_at", "refunds made"),
            "channel": ExportFilter("order__channel__code", "code", "The order's channel code, e.g. `web`."),
            "status": ExportFilter("status", "choice", "The refund's status.", tuple(RefundStatus.values)),
            "method": ExportFilter("method", "choice", "How the money went back.", tuple(RefundMethod.values)),
            "currency": ExportFilter("currency", "code", "ISO 4217 code, e.g. `EUR`."),
        }

    def get_queryset(self):
        return Refund.objects.order_by("pk")


class ShipmentsExport(ExportResource):
    """Shipments with their cost: the carrier's quote at booking (``quoted_cost``). The OMS holds no
    carrier invoices, so there is no billed cost to set beside it yet."""

    kind, title = "shipments", "Shipments"
    lists = {"shipping.shipment": "pk", "shipping.shipmentexceptionqueue": "pk"}

    tracking = as_text("tracking_number", "tracking_number")
    carrier_code = as_text("carrier__code", "carrier")
    service_code = as_text("service__code", "service")
    way = as_text("direction", "direction")
    state = as_text("status", "status")
    ref = as_text("reference", "reference")
    number = as_text("order_number", "order_number")
    country = as_text("destination_country", "destination_country")
    created = as_moment("created_at", "booked_at")
    collection = as_day("collection_date", "collection_date")
    shipped = as_moment("shipped_at", "shipped_at")
    delivered = as_moment("delivered_at", "delivered_at")
    promised = as_day("promised_delivery_date", "promised_delivery_date")
    is_late = as_yes_no("late", "late")
    parcels = as_number("parcel_count", "parcels")
    weight = as_money("parcel_weight", "weight_kg")
    money_currency = as_text("currency", "currency")
    quoted = as_money("price", "quoted_cost")
    declared = as_money("declared_value", "declared_value")


    @classmethod
    def filters(cls):
        return {
            **_period("created_at", "shipments booked"),
            "carrier": ExportFilter("carrier__code", "code", "The carrier's code, e.g. `oms-post`."),
            "status": ExportFilter("status", "choice", "The shipment's status.", tuple(ShipmentStatus.values)),
            "direction": ExportFilter("direction", "choice", "Outbound or return.", tuple(ShipmentDirection.values)),
        }

    def get_queryset(self):
        parcels = ShipmentParcel.objects.filter(shipment=OuterRef("pk")).order_by().values("shipment")
        order_number = FulfillmentOrder.objects.filter(shipment=OuterRef("pk")).order_by("pk").values("order__number")[:1]
        return Shipment.objects.order_by("pk").annotate(
            order_number=Subquery(order_number),
            destination_country=KeyTextTransform("country", "destination"),
            parcel_count=Coalesce(Subquery(parcels.annotate(n=Count("pk")).values("n")), Value(0)),
            parcel_weight=Subquery(parcels.annotate(kg=Sum("weight_kg")).values("kg")),
        )


class StockMovementsExport(ExportResource):
    kind, title = "stock_movements", "Stock ledger"
    lists = {"inventory.stockmovement": "pk"}

    entry = as_number("id", "movement_id")
    created = as_moment("created_at", "created_at")
    what = as_text("kind", "kind")
    code = as_text("product__sku", "sku")
    label = as_text("product__name", "name")
    where = as_text("location__code", "location")
    on_hand = as_number("on_hand_delta", "on_hand_change")
    reserved = as_number("reserved_delta", "reserved_change")
    incoming = as_number("incoming_delta", "incoming_change")
    damaged = as_number("damaged_delta", "damaged_change")
    safety = as_number("safety_stock_delta", "safety_stock_change")
    ref = as_text("reference", "reference")
    why = as_text("reason", "reason")
    who = as_text("actor_label", "by")


    @classmethod
    def filters(cls):
        return {
            **_period("created_at", "movements"),
            "location": ExportFilter("location__code", "code", "The location's code."),
            "sku": ExportFilter("product__sku", "code", "The product's SKU."),
            "kind": ExportFilter("kind", "choice", "The kind of movement.", tuple(StockMovement.Kind.values)),
        }

    def get_queryset(self):
        return StockMovement.objects.order_by("pk")


class StockValuationExport(ExportResource):
    """Stock on hand per SKU and location at the end of a day (the ledger's sum of on-hand changes
    up to the first moment of the next day, merchant's time zone), valued at the product's unit
    cost. The OMS keeps one current cost per product (no cost history), so a past day is valued at
    today's cost; a product without a cost has empty cost and value cells."""

    kind, title = "stock_valuation", "Stock valuation"
    lists = {"inventory.stocklevel": "pk"}

    code = as_text("product__sku", "sku")
    label = as_text("product__name", "name")
    where = as_text("location__code", "location")
    units = as_number("on_hand_at", "on_hand")
    money_currency = as_text("product__currency", "currency")
    unit_cost = as_money("product__cost", "unit_cost")
    value = as_money("value_at", "value")


    @classmethod
    def filters(cls):
        return {
            "at": ExportFilter("", "day", "YYYY-MM-DD: stock at the end of this day (merchant's time zone); default today."),
            "location": ExportFilter("location__code", "code", "The location's code."),
            "sku": ExportFilter("product__sku", "code", "The product's SKU."),
        }

    def rows(self, *, filters: dict | None = None) -> QuerySet:
        filters = dict(filters or {})
        at = filters.get("at") or timezone.localdate().isoformat()
        export_filters_apply(self, StockLevel.objects.none(), filters)  # refuses bad filters, "at" included
        cutoff = day_start(_day("at", at) + datetime.timedelta(days=1))
        moved = (
            StockMovement.objects.filter(product=OuterRef("product"), location=OuterRef("location"), created_at__lt=cutoff)
            .order_by().values("product").annotate(units=Sum("on_hand_delta")).values("units")
        )
        queryset = export_filters_apply(self, StockLevel.objects.all(), {k: v for k, v in filters.items() if k != "at"})
        return (
            queryset.annotate(on_hand_at=Coalesce(Subquery(moved, output_field=IntegerField()), Value(0)))
            .exclude(on_hand_at=0)
            .annotate(value_at=ExpressionWrapper(F("on_hand_at") * F("product__cost"), output_field=DecimalField(max_digits=20, decimal_places=3)))
            .order_by("product__sku", "location__code")
        )

    def get_queryset(self):
        return self.rows()


RESOURCES: dict[str, type[ExportResource]] = {
    resource.kind: resource
    for resource in (OrdersExport, OrderLinesExport, RefundsExport, ShipmentsExport, StockMovementsExport, StockValuationExport)
}


def export_resource_for(kind: str) -> ExportResource:
    """The resource of ``kind``; refuses an unknown kind naming the field ``kind``."""
    try:
        return RESOURCES[kind]()
    except (KeyError, TypeError):
        raise InvalidInput(f"There is no export of kind {kind!r} (known: {', '.join(RESOURCES)}).", fields={"kind": ["Unknown kind."]}) from None


def export_kinds_of_list(list_label: str) -> list[type[ExportResource]]:
    """The kinds of export an admin list offers (e.g. the orders list: orders and order lines)."""
    return [resource for resource in RESOURCES.values() if list_label in resource.lists]
