"""The demo's warehouse: allocated orders go through fulfillment orders, as on the floor.

:mod:`demo.orders` records orders through intake and takes the steps here that pick, pack, ship
and deliver through fulfillment orders, so the demo's shipped orders have shipped fulfillment
orders behind them. Shipping books each parcel with the
demo carriers (rate shopping, as the console does) on the day it left the warehouse, and
:func:`demo_tracking` then plays the carriers' scans up to now: delivered parcels, parcels on
their way, some with an exception or late, and a closed manifest per carrier for each recent day.
"""

import datetime
import random
import zoneinfo
from decimal import Decimal

from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, FulfillmentStatus, PackageType, PickList, PickListKind
from fulfillment.services import (
    fulfillment_order_deliver,
    fulfillment_order_pack,
    fulfillment_order_picking_start,
    fulfillment_order_ship,
    fulfillment_orders_create,
)
from fulfillment.services.picking import pick_list_build
from orders.models import Order
from orders.services import order_start_fulfillment
from oms.money import quantize
from shipping.billing import ChargeLine, carrier_charges_record
from shipping.models import Carrier, Shipment, ShipmentDirection, ShipmentStatus
from shipping.services import NothingToManifest, manifest_close, shipments_flag_late, tracking_events_record

from .clock import real_now, seeding_clock


def fulfillment_start(order: Order, actor) -> None:
    order_start_fulfillment(order_id=order.pk, actor=actor)
    # The demo records orders in batches, so the event that would create them comes after the batch.
    fulfillment_orders_create(order_id=order.pk, actor=actor)


def _left_warehouse(fulfillment_order: FulfillmentOrder) -> datetime.datetime:
    """When the parcel left: 2 to 20 hours after the order came in, never in the future."""
    placed = fulfillment_order.order.placed_at
    hours = random.Random(fulfillment_order.number).uniform(2, 20)
    return min(placed + datetime.timedelta(hours=hours), real_now() - datetime.timedelta(minutes=30))


def _ship(fulfillment_order: FulfillmentOrder, actor, quantities: dict[int, int] | None = None) -> None:
    if fulfillment_order.status == FulfillmentStatus.PENDING:
        fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor=actor)
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor=actor, quantities=quantities)
    # Booked through rate shopping on the day it left; labels of history are rendered when printed.
    with override_settings(OMS_LABELS_RENDER_ON_BOOKING=False), seeding_clock(_left_warehouse(fulfillment_order)):
        fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor=actor)


def _open(order: Order) -> list[FulfillmentOrder]:
    return list(
        FulfillmentOrder.objects.filter(order=order, status__in=(FulfillmentStatus.PENDING, FulfillmentStatus.PICKING))
        .select_related("order").order_by("pk")
    )


def ship_first_line(order: Order, actor) -> None:
    first = _open(order)[0]
    line = first.lines.order_by("order_line__line_number", "pk").first()
    _ship(first, actor, {line.pk: line.quantity})


def ship_rest(order: Order, actor) -> None:
    for fulfillment_order in _open(order):
        _ship(fulfillment_order, actor)


def delivered_at(fulfillment_order: FulfillmentOrder) -> datetime.datetime:
    """When the parcel arrived: 1 to 4 days after it left, never later than a few minutes ago."""
    days = random.Random(f"{fulfillment_order.number}-delivered").uniform(1, 4)
    return min(_left_warehouse(fulfillment_order) + datetime.timedelta(days=days), real_now() - datetime.timedelta(minutes=10))


def deliver(order: Order, actor) -> datetime.datetime | None:
    """Deliver the order's shipped parcels, each on its day; returns when the last one arrived."""
    last = None
    for fulfillment_order in FulfillmentOrder.objects.filter(order=order, status=FulfillmentStatus.SHIPPED).select_related("order").order_by("pk"):
        when = delivered_at(fulfillment_order)
        with seeding_clock(when):
            fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor=actor)
        last = max(last, when) if last else when
    return last


PACKAGE_TYPES = [
    ("mailer-s", "Padded mailer S", 250, 180, 40, 1_000),
    ("box-m", "Carton M", 400, 300, 200, 10_000),
    ("box-l", "Carton L", 600, 400, 400, 25_000),
]


def demo_floor(report) -> None:
    """The warehouse floor the demo leaves: package types at the packing stations, and one wave
    pick list over pending fulfillment orders of the busiest warehouse (they move to picking).
    Idempotent: nothing is added when a pick list exists already."""
    for code, name, length, width, height, weight in PACKAGE_TYPES:
        _, created = PackageType.objects.get_or_create(
            code=code, defaults={"name": name, "inner_length_mm": length, "inner_width_mm": width, "inner_height_mm": height, "max_weight_grams": weight}
        )
        report.created["package types"] += created
    if PickList.objects.exists():
        return
    pending = FulfillmentOrder.objects.filter(status=FulfillmentStatus.PENDING, is_held=False)
    busiest = pending.values("location__code").annotate(n=Count("id")).order_by("-n", "location__code").first()
    if busiest is None:
        return
    ids = list(pending.filter(location__code=busiest["location__code"]).order_by("pk").values_list("pk", flat=True)[:8])
    lists = pick_list_build(location=busiest["location__code"], fulfillment_order_ids=ids, kind=PickListKind.BATCH, actor="warehouse")
    report.created["pick lists"] += len(lists)


# --- the carriers' side: scans up to now, late parcels, manifests --------------------------------

# Of the parcels still on their way: some hit a problem, some go quiet (then flagged late), some
# are out for delivery today. Drawn per tracking number, so a re-run plays the same story.
EXCEPTION_SHARE, SILENT_SHARE, OUT_FOR_DELIVERY_SHARE = 0.12, 0.15, 0.15
LATE_DELIVERY_SHARE = 0.08  # delivered a working day after the promise
MANIFEST_DAYS = 7  # each carrier's manifests are closed for this many days before today
EVENTS_PER_CALL = 500


def _scans(shipment: Shipment, delivered: bool, now: datetime.datetime) -> list[dict]:
    """The carrier's events for one demo parcel, none later than ``now``."""
    rng = random.Random(shipment.tracking_number)
    zone = zoneinfo.ZoneInfo(shipment.carrier.time_zone)  # validated on the carrier
    collected = datetime.datetime.combine(shipment.collection_date, datetime.time(17, 30), tzinfo=zone)
    origin, destination = shipment.origin.get("city", ""), shipment.destination.get("city", "")
    steps = [
        ("accepted", "Parcel handed over to the carrier", origin, collected),
        ("in_transit", "Departed the sorting centre", origin, collected + datetime.timedelta(hours=rng.uniform(3, 8))),
    ]
    if delivered:
        day = shipment.promised_delivery_date + datetime.timedelta(days=1 if rng.random() < LATE_DELIVERY_SHARE else 0)
        morning = max(datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=zone), steps[-1][3] + datetime.timedelta(hours=2))
        arrived = min(morning + datetime.timedelta(hours=rng.uniform(1, 8)), now - datetime.timedelta(minutes=5))
        steps += [
            ("out_for_delivery", "Out for delivery", destination, min(morning, arrived - datetime.timedelta(minutes=30))),
            ("delivered", "Delivered", destination, arrived),
        ]
    else:
        draw = rng.random()
        next_day = collected + datetime.timedelta(days=1, hours=rng.uniform(-6, 4))
        if draw < EXCEPTION_SHARE:
            steps.append(("exception", "Address incomplete: the carrier holds the parcel until it is completed", destination, next_day))
        elif draw < EXCEPTION_SHARE + SILENT_SHARE:
            steps = steps[:1]  # handed over, then nothing: the late-shipment job flags it
        elif draw < EXCEPTION_SHARE + SILENT_SHARE + OUT_FOR_DELIVERY_SHARE:
            steps.append(("out_for_delivery", "Out for delivery", destination, now.astimezone(zone).replace(hour=8, minute=0)))
        else:
            steps.append(("arrived_at_facility", "Arrived at the delivery depot", destination, next_day))
    return [
        {"event_id": f"demo-{shipment.tracking_number}-{code}", "tracking_number": shipment.tracking_number, "code": code,
         "status_text": text, "location": place, "occurred_at": at.isoformat()}
        for code, text, place, at in steps if at <= now
    ]


def demo_tracking(report) -> None:
    """Play the carriers' side of the demo's history up to now, through the shipping services:
    scans for every demo parcel collected before today and not scanned yet (delivered ones end
    delivered, the others in transit, with an exception, out for delivery or gone quiet), the
    late-shipment job, and a closed manifest per carrier for each of the last days. Idempotent:
    scanned parcels and closed days are left alone."""
    now = timezone.now()
    today = timezone.localdate()
    unscanned = (
        Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND, status=ShipmentStatus.LABEL_CREATED, collection_date__lt=today,
                                tracking_events__isnull=True)
        .select_related("carrier").order_by("pk")
    )
    shipments = list(unscanned)
    delivered = set(
        FulfillmentOrder.objects.filter(number__in=[s.reference for s in shipments], status=FulfillmentStatus.DELIVERED).values_list("number", flat=True)
    )
    by_carrier: dict[str, list[dict]] = {}
    for shipment in shipments:
        by_carrier.setdefault(shipment.carrier.code, []).extend(_scans(shipment, shipment.reference in delivered, now))
    for carrier_code, events in sorted(by_carrier.items()):
        for start in range(0, len(events), EVENTS_PER_CALL):
            results = tracking_events_record(carrier_code=carrier_code, events=events[start:start + EVENTS_PER_CALL], actor=f"carrier:{carrier_code}")
            report.created["tracking events"] += sum(result.outcome == "recorded" for result in results)
    report.created["late shipments flagged"] += shipments_flag_late(actor="job:shipping-late")
    days = (
        Shipment.objects.filter(
            direction=ShipmentDirection.OUTBOUND, manifest__isnull=True, collection_date__lt=today,
            collection_date__gte=today - datetime.timedelta(days=MANIFEST_DAYS), carrier__in=Carrier.objects.filter(active=True),
        )
        .exclude(status=ShipmentStatus.VOIDED).values_list("carrier__code", "collection_date").distinct().order_by("collection_date", "carrier__code")
    )
    for carrier_code, day in list(days):
        try:
            manifest_close(carrier_code=carrier_code, day=day, actor="warehouse")
        except NothingToManifest:
            continue
        report.created["manifests"] += 1


CARRIER_INVOICE_PREFIX = "DEMO-INV-"


def demo_carrier_invoices(report) -> None:
    """The carriers' invoices for the parcels that left more than a week ago, recorded as the
    accountants' import would: most billed at the quote, one in eight with a surcharge the quote
    did not foresee (address correction, extra weight), a few with a credit on the next invoice.
    Idempotent: a parcel billed already is left alone."""
    rng = random.Random(11)
    cutoff = real_now() - datetime.timedelta(days=7)
    parcels = list(Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND, shipped_at__lt=cutoff, carrier_charges__isnull=True)
                   .order_by("pk").values_list("tracking_number", "price", "currency", "shipped_at"))
    lines = []
    for number, price, currency, shipped_at in parcels:
        invoice = f"{CARRIER_INVOICE_PREFIX}{shipped_at:%Y-W%V}"
        draw = rng.random()
        billed = price + (Decimal(rng.choice(["2.50", "4.75", "11.00"])) if draw < 0.125 else Decimal(0))
        lines.append(ChargeLine(number, invoice, quantize(billed, currency), currency))
        if 0.125 <= draw < 0.15:  # the carrier's own correction, credited a week later
            lines.append(ChargeLine(number, f"{invoice}-CR", quantize(-price / 10, currency), currency))
    if lines:
        carrier_charges_record(lines=lines, actor="demo:accounting")
        report.created["carrier charges"] += len(lines)
