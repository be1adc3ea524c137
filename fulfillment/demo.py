"""The demo's warehouse: allocated orders go through fulfillment orders, as on the floor.

The demo seeding lives in ``orders.demo`` (it records orders through intake); this app, above it,
hands it the steps that pick, pack, ship and deliver through fulfillment orders, so the demo's
shipped orders have shipped fulfillment orders behind them.
"""

from django.db.models import Count

from orders.demo import DemoShipping
from orders.models import Order
from orders.services import order_start_fulfillment
from shipping.demo import demo_shipping_seed

from .models import FulfillmentOrder, FulfillmentStatus, PackageType, PickList, PickListKind
from .services import (
    fulfillment_order_deliver,
    fulfillment_order_pack,
    fulfillment_order_picking_start,
    fulfillment_order_ship,
    fulfillment_orders_create,
)
from .services.picking import pick_list_build


def _start(order: Order, actor) -> None:
    order_start_fulfillment(order_id=order.pk, actor=actor)
    # The demo records orders in batches, so the event that would create them comes after the batch.
    fulfillment_orders_create(order_id=order.pk, actor=actor)


def _ship(fulfillment_order: FulfillmentOrder, actor, quantities: dict[int, int] | None = None) -> None:
    if fulfillment_order.status == FulfillmentStatus.PENDING:
        fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor=actor)
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor=actor, quantities=quantities)
    fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor=actor, tracking_number=f"DEMO{fulfillment_order.pk:08d}")


def _open(order: Order) -> list[FulfillmentOrder]:
    return list(FulfillmentOrder.objects.filter(order=order, status__in=(FulfillmentStatus.PENDING, FulfillmentStatus.PICKING)).order_by("pk"))


def _ship_first_line(order: Order, actor) -> None:
    first = _open(order)[0]
    line = first.lines.order_by("order_line__line_number", "pk").first()
    _ship(first, actor, {line.pk: line.quantity})


def _ship_rest(order: Order, actor) -> None:
    for fulfillment_order in _open(order):
        _ship(fulfillment_order, actor)


def _deliver(order: Order, actor) -> None:
    for fulfillment_order in FulfillmentOrder.objects.filter(order=order, status=FulfillmentStatus.SHIPPED).order_by("pk"):
        fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor=actor)


FULFILLMENT_SHIPPING = DemoShipping(start=_start, ship_first_line=_ship_first_line, ship_rest=_ship_rest, deliver=_deliver)


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
    # Carriers with rate cards, so shipping a packed fulfillment order in the console books a
    # shipment and prints its label (the demo's own history was shipped with recorded numbers).
    report.created["carriers"] += demo_shipping_seed()
    if PickList.objects.exists():
        return
    pending = FulfillmentOrder.objects.filter(status=FulfillmentStatus.PENDING, is_held=False)
    busiest = pending.values("location__code").annotate(n=Count("id")).order_by("-n", "location__code").first()
    if busiest is None:
        return
    ids = list(pending.filter(location__code=busiest["location__code"]).order_by("pk").values_list("pk", flat=True)[:8])
    lists = pick_list_build(location=busiest["location__code"], fulfillment_order_ids=ids, kind=PickListKind.BATCH, actor="warehouse")
    report.created["pick lists"] += len(lists)
