"""A small hand-built history for the KPI tests: rows written directly (the timestamps are the
point), with the right answers worked out in the tests that read it.

Range used by the tests: 2026-03-10 .. 2026-03-11 (UTC unless a test says otherwise).

- O1 web, 2026-03-10 09:30, USD 100.00: SKU-A x2 (80.00), SKU-B x1 (20.00); allocated after 9 min;
  one fulfillment order at A: pick list started 12:00, parcel closed 14:00, shipped 03-11 15:00
  (promised ship 03-11: on time), delivered 03-14 10:00 (promised 03-13: late); shipment 10.00 USD.
  Return of 1 SKU-A (reason too-small) restocked; refund 40.00 USD paid 03-15 12:00, requested 03-14 00:00.
- O2 web, 2026-03-10 23:50, USD 50.00: SKU-A x1 (25.00), SKU-B x1 (25.00); allocated after 25 min;
  split in two: at A shipped 03-12 09:00 (promised 03-11: late), shipment 8.00 USD; at B still pending,
  its pick list started 03-11 00:40 and its one line picked short.
- O3 pos, 2026-03-11 08:00, EUR 30.00: SKU-C x3, cancelled.
- O4 web, 2026-03-09 23:59 (before the range), USD 70.00: SKU-A x5.
- O5 web, 2026-03-12 00:00 (after the range), USD 60.00: SKU-A x4.
- O6 pos, 2026-03-11 10:00, EUR 40.00: SKU-C x2 (40.00); backordered at 10:05, allocated 03-12 10:05;
  a manual hold placed 03-12 11:00, still open.
"""

import datetime
import itertools
from decimal import Decimal

from django.db.models import F

from fulfillment.models import FulfillmentLine, FulfillmentOrder
from fulfillment.models_picking import Package, PickList, PickListLine
from inventory.models import Location, StockMovement
from orders.models import Order, OrderEvent, OrderHold, OrderLine
from returns.models import Refund, ReturnLine, ReturnReason, ReturnRequest
from shipping.models import Carrier, ServiceLevel, Shipment
from tests.factories import ChannelFactory, LocationFactory, ProductFactory

UTC = datetime.UTC
_numbers = itertools.count(1)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def order(channel, placed: str, currency: str, total: str, lines: list[tuple[str, int, str]], status="allocated") -> Order:
    n = next(_numbers)
    placed_at = at(placed)
    made = Order.objects.create(channel=channel, external_id=f"h-{n}", currency=currency, grand_total=Decimal(total),
                                placed_at=placed_at, created_at=placed_at, status=status, ship_country="US")
    for number, (sku, quantity, line_total) in enumerate(lines, start=1):
        OrderLine.objects.create(order=made, line_number=number, sku=sku, product=ProductFactory(sku=sku), quantity=quantity,
                                 unit_price=Decimal(line_total) / quantity, line_total=Decimal(line_total))
    return made


def status_event(order: Order, to_status: str, when: str) -> None:
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.STATUS, to_status=to_status, created_at=at(when))


def fulfillment(order: Order, location: Location, lines: list[OrderLine], *, status="pending", promised_ship=None,
                promised_delivery=None, shipped=None, delivered=None, shipment=None, sequence=1) -> FulfillmentOrder:
    fo = FulfillmentOrder.objects.create(
        order=order, location=location, sequence=sequence, number=f"FO-{next(_numbers)}", status=status,
        promised_ship_date=promised_ship, promised_delivery_date=promised_delivery, shipped_at=at(shipped) if shipped else None,
        delivered_at=at(delivered) if delivered else None, shipment=shipment, carrier_code=shipment.carrier.code if shipment else "",
        created_at=order.placed_at,
    )
    for line in lines:
        done = line.quantity if shipped else 0
        FulfillmentLine.objects.create(fulfillment_order=fo, order_line=line, product=line.product, quantity=line.quantity,
                                       quantity_picked=done, quantity_packed=done, quantity_shipped=done)
    return fo


def shipment(carrier: Carrier, price: str, promised_delivery: datetime.date, *, delivered: str | None = None) -> Shipment:
    service = ServiceLevel.objects.get_or_create(carrier=carrier, code="ground", defaults={"name": "Ground"})[0]
    return Shipment.objects.create(
        carrier=carrier, service=service, tracking_number=f"TRK{next(_numbers):06d}", origin={"country": "US"},
        destination={"country": "US"}, price=Decimal(price), currency="USD", collection_date=promised_delivery,
        promised_delivery_date=promised_delivery, delivered_at=at(delivered) if delivered else None,
        status="delivered" if delivered else "in_transit",
    )


def build() -> dict:
    web, pos = ChannelFactory(code="web"), ChannelFactory(code="pos", name="Shop till")
    a, b = LocationFactory(code="wh-a"), LocationFactory(code="wh-b")
    ups = Carrier.objects.create(code="ups", name="UPS")
    d = datetime.date

    o1 = order(web, "2026-03-10 09:30", "USD", "100.00", [("SKU-A", 2, "80.00"), ("SKU-B", 1, "20.00")], status="delivered")
    status_event(o1, "allocated", "2026-03-10 09:39")
    s1 = shipment(ups, "10.00", d(2026, 3, 13), delivered="2026-03-14 10:00")
    fo1 = fulfillment(o1, a, list(o1.lines.all()), status="delivered", promised_ship=d(2026, 3, 11), promised_delivery=d(2026, 3, 13),
                      shipped="2026-03-11 15:00", delivered="2026-03-14 10:00", shipment=s1)
    o1.lines.update(quantity_shipped=F("quantity"))
    picks = PickList.objects.create(location=a, kind="single", status="done", started_at=at("2026-03-10 12:00"),
                                    finished_at=at("2026-03-10 13:00"), walking_distance_m=120)
    for sequence, line in enumerate(fo1.lines.all(), start=1):
        PickListLine.objects.create(pick_list=picks, fulfillment_line=line, product=line.product, quantity=line.quantity,
                                    quantity_picked=line.quantity, sequence=sequence, slot=1)
    Package.objects.create(fulfillment_order=fo1, closed_at=at("2026-03-10 14:00"))
    too_small = ReturnReason.objects.create(code="too-small", label="Too small")
    request = ReturnRequest.objects.create(order=o1, status="refunded", created_at=at("2026-03-14 00:00"), number="RMA-1")
    sku_a = o1.lines.get(sku="SKU-A")
    ReturnLine.objects.create(request=request, order_line=sku_a, quantity=1, reason=too_small, quantity_received=1,
                              quantity_accepted=1, disposition="restock")
    OrderLine.objects.filter(pk=sku_a.pk).update(quantity_returned=1)
    Refund.objects.create(request=request, order=o1, amount=Decimal("40.00"), computed_amount=Decimal("40.00"), currency="USD", provider="builtin", status="succeeded",
                          idempotency_key="refund-1", created_at=at("2026-03-15 12:00"), succeeded_at=at("2026-03-15 12:00"))

    o2 = order(web, "2026-03-10 23:50", "USD", "50.00", [("SKU-A", 1, "25.00"), ("SKU-B", 1, "25.00")], status="partially_shipped")
    status_event(o2, "allocated", "2026-03-11 00:15")
    s2 = shipment(ups, "8.00", d(2026, 3, 14))
    fulfillment(o2, a, [o2.lines.get(sku="SKU-A")], status="shipped", promised_ship=d(2026, 3, 11), shipped="2026-03-12 09:00",
                shipment=s2)
    o2.lines.filter(sku="SKU-A").update(quantity_shipped=1)
    fo2b = fulfillment(o2, b, [o2.lines.get(sku="SKU-B")], sequence=2)
    short = PickList.objects.create(location=b, kind="single", status="in_progress", started_at=at("2026-03-11 00:40"))
    line_b = fo2b.lines.get()
    PickListLine.objects.create(pick_list=short, fulfillment_line=line_b, product=line_b.product, quantity=1, quantity_picked=0,
                                short=True, sequence=1, slot=1)

    order(pos, "2026-03-11 08:00", "EUR", "30.00", [("SKU-C", 3, "30.00")], status="cancelled")
    order(web, "2026-03-09 23:59", "USD", "70.00", [("SKU-A", 5, "70.00")])
    order(web, "2026-03-12 00:00", "USD", "60.00", [("SKU-A", 4, "60.00")])
    o6 = order(pos, "2026-03-11 10:00", "EUR", "40.00", [("SKU-C", 2, "40.00")])
    status_event(o6, "backordered", "2026-03-11 10:05")
    status_event(o6, "allocated", "2026-03-12 10:05")
    OrderHold.objects.create(order=o6, reason="manual", created_at=at("2026-03-12 11:00"))
    # Stock at A: SKU-A 5 received 03-01, all 5 shipped 03-10 12:00, 3 received 03-11 09:00 (out of
    # stock at the end of 03-10 only); SKU-B 1 received 03-01, never out.
    for sku, delta, when in (("SKU-A", 5, "2026-03-01 08:00"), ("SKU-A", -5, "2026-03-10 12:00"), ("SKU-A", 3, "2026-03-11 09:00"),
                             ("SKU-B", 1, "2026-03-01 08:00")):
        StockMovement.objects.create(kind="receipt" if delta > 0 else "shipment", product=ProductFactory(sku=sku), location=a,
                                     on_hand_delta=delta, created_at=at(when))
    return {"web": web, "pos": pos, "a": a, "b": b, "o1": o1, "o2": o2, "o6": o6, "fo1": fo1, "s1": s1}


def build_more() -> None:
    """More of the same history (after ``build``): three delivered orders like O1 at A and a held,
    backordered one like O6, in the range; the channels, locations and carrier are ``build``'s."""
    from orders.models import Channel

    web, pos = Channel.objects.get(code="web"), Channel.objects.get(code="pos")
    a = Location.objects.get(code="wh-a")
    ups = Carrier.objects.get(code="ups")
    d = datetime.date
    for hour in (11, 12, 13):
        made = order(web, f"2026-03-10 {hour}:00", "USD", "30.00", [("SKU-A", 1, "30.00")], status="delivered")
        status_event(made, "allocated", f"2026-03-10 {hour}:20")
        sent = shipment(ups, "5.00", d(2026, 3, 13), delivered="2026-03-13 10:00")
        fo = fulfillment(made, a, list(made.lines.all()), status="delivered", promised_ship=d(2026, 3, 11), promised_delivery=d(2026, 3, 13),
                         shipped="2026-03-11 15:00", delivered="2026-03-13 10:00", shipment=sent)
        made.lines.update(quantity_shipped=F("quantity"))
        picks = PickList.objects.create(location=a, kind="single", status="done", started_at=at(f"2026-03-10 {hour}:30"),
                                        finished_at=at(f"2026-03-10 {hour}:45"), walking_distance_m=60)
        for sequence, line in enumerate(fo.lines.all(), start=1):
            PickListLine.objects.create(pick_list=picks, fulfillment_line=line, product=line.product, quantity=line.quantity,
                                        quantity_picked=line.quantity, sequence=sequence, slot=1)
        Package.objects.create(fulfillment_order=fo, closed_at=at(f"2026-03-10 {hour + 2}:00"))
    held = order(pos, "2026-03-11 11:00", "EUR", "20.00", [("SKU-C", 1, "20.00")])
    status_event(held, "backordered", "2026-03-11 11:05")
    status_event(held, "allocated", "2026-03-12 09:05")
    OrderHold.objects.create(order=held, reason="manual", created_at=at("2026-03-12 12:00"))
