"""Short picks: the fulfillment order ships what was found and the missing units go back to the
order, re-routed to another location or left waiting for stock until a receipt serves them."""

import pytest

from fulfillment.models import FulfillmentHold, FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus, PackageType
from fulfillment.services import fulfillment_order_deliver, fulfillment_order_pack, fulfillment_order_ship
from fulfillment.services.packing import pack_scan, package_close
from fulfillment.services.picking import PickConfirmation, pick_list_build, pick_list_confirm
from inventory.models import Bin, StockLevel, StockMovement
from inventory.services import stock_receive
from oms.models import DomainEvent
from orders.models import Allocation, OrderEvent, OrderLine, OrderStatus
from orders.services import order_cancel
from orders.services.allocation import backorders_sweep

from .fulfillment_support import east, fresh, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401


def shelve(sku: str, location, code: str) -> None:
    """Give a SKU a bin at a location, so pick lists send the picker there."""
    bin_ = Bin.objects.create(location=location, code=code, zone="A", aisle="01", shelf="1", position=code[-2:])
    StockLevel.objects.filter(product__sku=sku, location=location).update(bin=bin_)


def pick(fo: FulfillmentOrder, *, found: dict[str, int] | None = None) -> None:
    """Build a single pick list for a pending fulfillment order and confirm it: every unit, or
    ``found[sku]`` units of the SKUs named."""
    fo = fresh_fo(fo)
    (pick_list,) = pick_list_build(location=fo.location.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
    confirmations = [
        PickConfirmation(line.pk, (found or {}).get(line.product.sku, line.quantity)) for line in pick_list.lines.select_related("product")
    ]
    pick_list_confirm(pick_list_id=pick_list.pk, confirmations=confirmations, actor="picker")


def pack_and_ship(fo: FulfillmentOrder) -> FulfillmentOrder:
    fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")
    return fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="shipper", tracking_number=f"TRK{fo.pk}")


def lines_of(fo: FulfillmentOrder) -> dict[str, tuple[int, int]]:
    """SKU -> (quantity, picked) of a fulfillment order's lines."""
    return {line.product.sku: (line.quantity, line.quantity_picked) for line in FulfillmentLine.objects.filter(fulfillment_order=fo).select_related("product")}


def allocations_of(order) -> dict[tuple[str, str], int]:
    return {(a.line.sku, a.location.code): a.quantity for a in Allocation.objects.filter(line__order=order).select_related("line", "location")}


def open_hold(fo: FulfillmentOrder) -> FulfillmentHold | None:
    return FulfillmentHold.objects.filter(fulfillment_order=fo, released_at__isnull=True).first()


def timeline(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).order_by("created_at", "id").values_list("message", flat=True))


def test_given_a_short_pick_and_stock_at_another_location_then_the_missing_units_ship_from_there_and_the_order_ships_in_two_parts(
    warehouse, east, receive, in_fulfillment, django_capture_on_commit_callbacks
):
    receive("SKU-A", 3, warehouse)
    shelve("SKU-A", warehouse, "A-01-1-02")
    order = in_fulfillment([("SKU-A", 3)])
    first = FulfillmentOrder.objects.get(order=order)
    stock_receive(sku="SKU-A", location=east.code, quantity=5, actor="test")  # arrives after the order was routed to Chicago

    pick(first, found={"SKU-A": 1})

    # Chicago ships the one unit found; the two missing are written off there and reserved at Newark.
    assert lines_of(first) == {"SKU-A": (1, 1)}
    assert stock_at("SKU-A", warehouse) == (1, 1)
    assert stock_at("SKU-A", east) == (5, 2)
    assert allocations_of(order) == {("SKU-A", "chicago"): 1, ("SKU-A", "newark"): 2}
    second = FulfillmentOrder.objects.get(order=order, location=east)
    assert (second.number, second.status, lines_of(second)) == (f"{order.number}-2", FulfillmentStatus.PENDING, {"SKU-A": (2, 0)})
    hold = open_hold(first)
    assert hold.reason == FulfillmentHoldReason.SHORT_PICK
    assert "2 × SKU-A missing in bin A-01-1-02" in hold.detail
    assert f"Re-routed: 2 × SKU-A reserved at newark (on {second.number})" in hold.detail
    assert "Open units re-routed (short pick): 2 × SKU-A reserved at newark" in timeline(order)
    assert fresh(order).routing["decisions"][-1]["trigger"] == "short pick"
    assert DomainEvent.objects.filter(name="order.reallocated", stream=f"order:{order.pk}").exists()
    short_event = DomainEvent.objects.get(name="fulfillment.short_picked")
    assert short_event.payload["missing"] == [{"sku": "SKU-A", "missing": 2, "picked": 1, "short_reason": "", "short_note": ""}]

    # What was found packs by scan and ships; the short-pick hold goes with it and no remainder is cut.
    PackageType.objects.create(code="box", name="Box", inner_length_mm=300, inner_width_mm=200, inner_height_mm=150, max_weight_grams=5000)
    pack_scan(fulfillment_order_id=first.pk, barcode="SKU-A", actor="packer")
    package_close(fulfillment_order_id=first.pk, package_type="box", weight_grams=400, actor="packer")
    fulfillment_order_ship(fulfillment_order_id=first.pk, actor="shipper")

    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED
    assert (fresh_fo(first).status, fresh_fo(first).is_held, open_hold(first)) == (FulfillmentStatus.SHIPPED, False, None)
    assert FulfillmentOrder.objects.filter(order=order).count() == 2

    pick(second)
    pack_and_ship(second)

    assert fresh(order).status == OrderStatus.SHIPPED
    assert OrderLine.objects.get(order=order).quantity_shipped == 3
    for fo in (first, second):
        fulfillment_order_deliver(fulfillment_order_id=fo.pk, actor="carrier")
    assert fresh(order).status == OrderStatus.DELIVERED


def test_given_a_short_pick_and_no_stock_anywhere_then_the_units_wait_and_a_later_receipt_gets_them_a_fulfillment_order(
    warehouse, east, receive, in_fulfillment, django_capture_on_commit_callbacks
):
    receive("SKU-A", 3, warehouse)
    order = in_fulfillment([("SKU-A", 3)])
    first = FulfillmentOrder.objects.get(order=order)

    pick(first, found={"SKU-A": 1})

    line = OrderLine.objects.get(order=order)
    assert (line.quantity_reserved, line.quantity_open) == (1, 2)
    assert FulfillmentOrder.objects.filter(order=order).count() == 1
    assert "Re-routed: 2 × SKU-A waiting for stock" in open_hold(first).detail
    assert not DomainEvent.objects.filter(name="order.reallocated").exists()

    pack_and_ship(first)
    # One unit of three has left: partially shipped, never shipped with units outstanding.
    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(sku="SKU-A", location=east.code, quantity=4, actor="dock")

    second = FulfillmentOrder.objects.get(order=order, location=east)
    assert (second.status, lines_of(second)) == (FulfillmentStatus.PENDING, {"SKU-A": (2, 0)})
    assert "Open units re-routed (stock arrived): 2 × SKU-A reserved at newark" in timeline(order)
    pick(second)
    pack_and_ship(second)
    assert fresh(order).status == OrderStatus.SHIPPED


def test_given_a_whole_line_picked_short_then_its_line_stays_at_zero_and_the_rest_of_the_fulfillment_order_packs_and_ships(
    warehouse, east, receive, in_fulfillment
):
    receive("SKU-A", 2, warehouse)
    receive("SKU-B", 1, warehouse)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])
    first = FulfillmentOrder.objects.get(order=order)
    stock_receive(sku="SKU-A", location=east.code, quantity=2, actor="test")

    pick(first, found={"SKU-A": 0})

    assert lines_of(first) == {"SKU-A": (0, 0), "SKU-B": (1, 1)}
    assert fresh_fo(first).status == FulfillmentStatus.PICKING
    pack_and_ship(first)  # the empty line neither blocks packing nor breaks shipping

    assert lines_of(first) == {"SKU-A": (0, 0), "SKU-B": (1, 1)}
    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED
    second = FulfillmentOrder.objects.get(order=order, location=east)
    pick(second)
    pack_and_ship(second)
    assert fresh(order).status == OrderStatus.SHIPPED


def test_given_nothing_found_for_a_whole_fulfillment_order_then_it_is_cancelled_and_the_order_ships_from_elsewhere(
    warehouse, east, receive, in_fulfillment
):
    receive("SKU-A", 2, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    first = FulfillmentOrder.objects.get(order=order)
    stock_receive(sku="SKU-A", location=east.code, quantity=2, actor="test")

    pick(first, found={"SKU-A": 0})

    stored = fresh_fo(first)
    assert stored.status == FulfillmentStatus.CANCELLED
    assert "short pick" in stored.cancel_reason
    assert open_hold(first) is None
    assert stock_at("SKU-A", warehouse) == (0, 0)
    assert allocations_of(order) == {("SKU-A", "newark"): 2}
    assert any(message.startswith(f"{first.number} cancelled, nothing left to ship") for message in timeline(order))
    assert fresh(order).status == OrderStatus.IN_FULFILLMENT

    second = FulfillmentOrder.objects.get(order=order, location=east, status=FulfillmentStatus.PENDING)
    pick(second)
    pack_and_ship(second)
    fulfillment_order_deliver(fulfillment_order_id=second.pk, actor="carrier")
    assert fresh(order).status == OrderStatus.DELIVERED  # the cancelled one waits for nothing


def test_given_an_order_already_shipping_from_a_location_then_the_short_units_join_its_pending_fulfillment_order_there(
    warehouse, east, receive, in_fulfillment
):
    receive("SKU-A", 3, warehouse)
    receive("SKU-B", 1, east)
    order = in_fulfillment([("SKU-A", 3), ("SKU-B", 1)])
    first = FulfillmentOrder.objects.get(order=order, location=warehouse)
    newark = FulfillmentOrder.objects.get(order=order, location=east)
    stock_receive(sku="SKU-A", location=east.code, quantity=5, actor="test")

    pick(first, found={"SKU-A": 2})

    assert lines_of(newark) == {"SKU-A": (1, 0), "SKU-B": (1, 0)}
    assert FulfillmentOrder.objects.filter(order=order).count() == 2
    assert any(message == f"Newly reserved units added to {newark.number}" for message in timeline(order))
    pack_and_ship(first)
    pick(newark)
    pack_and_ship(newark)
    assert fresh(order).status == OrderStatus.SHIPPED


def test_given_the_short_location_still_shows_stock_then_it_is_not_asked_again_at_once_but_the_sweep_trusts_the_corrected_count(
    warehouse, receive, in_fulfillment, django_capture_on_commit_callbacks
):
    receive("SKU-A", 10, warehouse)
    order = in_fulfillment([("SKU-A", 3)])
    first = FulfillmentOrder.objects.get(order=order)

    pick(first, found={"SKU-A": 1})

    # 10 on hand less the 2 written off; the picker just failed to find units there, so the
    # immediate re-route leaves Chicago out and the units wait.
    assert stock_at("SKU-A", warehouse) == (8, 1)
    assert OrderLine.objects.get(order=order).quantity_open == 2

    with django_capture_on_commit_callbacks(execute=True):
        served = backorders_sweep()

    assert served == 1
    assert allocations_of(order) == {("SKU-A", "chicago"): 3}
    rest = FulfillmentOrder.objects.get(order=order, status=FulfillmentStatus.PENDING)
    assert lines_of(rest) == {"SKU-A": (2, 0)}


def test_given_units_waiting_after_a_short_pick_when_the_order_is_cancelled_then_nothing_is_left_reserved(
    warehouse, receive, in_fulfillment, django_capture_on_commit_callbacks
):
    receive("SKU-A", 2, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    first = FulfillmentOrder.objects.get(order=order)
    pick(first, found={"SKU-A": 0})
    assert fresh_fo(first).status == FulfillmentStatus.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor="service", reason="customer gave up")
        stock_receive(sku="SKU-A", location=warehouse.code, quantity=5, actor="dock")

    assert fresh(order).status == OrderStatus.CANCELLED
    assert allocations_of(order) == {}
    assert FulfillmentOrder.objects.filter(order=order).exclude(status=FulfillmentStatus.CANCELLED).count() == 0


def test_given_a_short_pick_then_the_ledger_records_the_release_the_write_off_and_the_new_reservation(
    warehouse, east, receive, in_fulfillment
):
    receive("SKU-A", 3, warehouse)
    order = in_fulfillment([("SKU-A", 3)])
    stock_receive(sku="SKU-A", location=east.code, quantity=5, actor="test")

    pick(FulfillmentOrder.objects.get(order=order), found={"SKU-A": 1})

    kinds = list(
        StockMovement.objects.filter(product__sku="SKU-A").exclude(kind=StockMovement.Kind.RECEIPT).order_by("id")
        .values_list("kind", "location__code", "on_hand_delta", "reserved_delta")
    )
    assert kinds == [
        (StockMovement.Kind.RESERVATION, "chicago", 0, 3),
        (StockMovement.Kind.RELEASE, "chicago", 0, -2),
        (StockMovement.Kind.COUNT_CORRECTION, "chicago", -2, 0),
        (StockMovement.Kind.RESERVATION, "newark", 0, 2),
    ]
    # And every counter equals its ledger (ledger_reconciles, after each test of this module).


@pytest.mark.parametrize("found", [0, 1])
def test_given_a_short_pick_when_the_short_fulfillment_order_is_packed_short_again_then_the_rest_still_has_a_reservation(
    warehouse, east, receive, in_fulfillment, found
):
    receive("SKU-A", 4, warehouse)
    receive("SKU-B", 1, warehouse)
    order = in_fulfillment([("SKU-A", 4), ("SKU-B", 1)])
    first = FulfillmentOrder.objects.get(order=order)

    pick(first, found={"SKU-A": 2})
    line_a = FulfillmentLine.objects.get(fulfillment_order=first, product__sku="SKU-A")
    line_b = FulfillmentLine.objects.get(fulfillment_order=first, product__sku="SKU-B")
    fulfillment_order_pack(fulfillment_order_id=first.pk, actor="packer", quantities={line_a.pk: found, line_b.pk: 1})
    fulfillment_order_ship(fulfillment_order_id=first.pk, actor="shipper")

    # The picked units not packed stay reserved at Chicago on a remainder; the two missing wait.
    rest = FulfillmentOrder.objects.get(order=order, status=FulfillmentStatus.PENDING)
    assert lines_of(rest) == {"SKU-A": (2 - found, 0)}
    assert allocations_of(order) == {("SKU-A", "chicago"): 2 - found}
    pick(rest)
    pack_and_ship(rest)
    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED
    assert OrderLine.objects.get(order=order, sku="SKU-A").quantity_open == 2
