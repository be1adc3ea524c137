"""Pick lists built from fulfillment orders (single, batch, zone) and picks confirmed, short picks included."""

import pytest

from fulfillment.models import FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus, PickList, PickListLine
from fulfillment.picking import WaveRules
from fulfillment.services import fulfillment_order_hold_place
from fulfillment.services.picking import PickConfirmation, pick_confirm, pick_list_build, pick_list_confirm
from inventory.models import Bin, StockLevel, StockMovement
from oms.errors import DomainError, InvalidInput
from orders.models import Allocation

from .fulfillment_support import fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401

# SKU -> (zone, aisle, position) of its bin at the warehouse.
FLOOR = {
    "SKU-A1": ("A", "01", "02"),
    "SKU-A1-DEEP": ("A", "01", "09"),
    "SKU-A2": ("A", "02", "05"),
    "SKU-A3": ("A", "03", "01"),
    "SKU-B1": ("B", "01", "04"),
}


@pytest.fixture
def floor(warehouse, receive):
    """The warehouse with a bin for each SKU of FLOOR and 20 units of each in it."""
    for sku, (zone, aisle, position) in FLOOR.items():
        receive(sku, 20, warehouse)
        bin_ = Bin.objects.create(location=warehouse, code=f"{zone}-{aisle}-1-{position}", zone=zone, aisle=aisle, shelf="1", position=position)
        StockLevel.objects.filter(product__sku=sku, location=warehouse).update(bin=bin_)
    return warehouse


def fulfillment_order_of(order) -> FulfillmentOrder:
    return FulfillmentOrder.objects.get(order=order)


def walk(pick_list: PickList) -> list[tuple[str, str, int]]:
    """(bin, sku, slot) of each line, in path order."""
    return [
        (line.bin.code if line.bin else "-", line.product.sku, line.slot)
        for line in pick_list.lines.select_related("bin", "product").order_by("sequence")
    ]


def test_given_one_order_when_a_single_pick_list_is_built_then_its_bins_follow_the_serpentine_and_the_order_is_picking(floor, in_fulfillment):
    order = in_fulfillment([("SKU-B1", 1), ("SKU-A2", 1), ("SKU-A1-DEEP", 1), ("SKU-A1", 1), ("SKU-A3", 1)])
    fo = fulfillment_order_of(order)

    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")

    # Aisle A-01 is walked through (up to its back end), A-02 down from the back, A-03 a step in and out, then zone B.
    assert walk(pick_list) == [
        ("A-01-1-02", "SKU-A1", 1), ("A-01-1-09", "SKU-A1-DEEP", 1), ("A-02-1-05", "SKU-A2", 1), ("A-03-1-01", "SKU-A3", 1),
        ("B-01-1-04", "SKU-B1", 1),
    ]
    assert pick_list.walking_distance_m > 0
    assert fresh_fo(fo).status == FulfillmentStatus.PICKING


def test_given_three_orders_when_a_batch_is_built_then_one_walk_holds_them_each_in_its_slot_with_lines_at_one_bin_together(floor, in_fulfillment):
    fos = [fulfillment_order_of(in_fulfillment(lines)) for lines in ([("SKU-A2", 1)], [("SKU-A1", 2), ("SKU-A2", 1)], [("SKU-A1", 1)])]

    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk for fo in fos], kind="batch", actor="lead")

    assert walk(pick_list) == [("A-01-1-02", "SKU-A1", 2), ("A-01-1-02", "SKU-A1", 3), ("A-02-1-05", "SKU-A2", 1), ("A-02-1-05", "SKU-A2", 2)]
    assert {fresh_fo(fo).status for fo in fos} == {FulfillmentStatus.PICKING}


def test_given_wave_rules_when_a_batch_is_built_then_no_wave_exceeds_them(floor, in_fulfillment):
    fos = [fulfillment_order_of(in_fulfillment([("SKU-A1", 1)])) for _ in range(5)]

    lists = pick_list_build(
        location=floor.code, fulfillment_order_ids=[fo.pk for fo in fos], kind="batch", rules=WaveRules(max_orders=2), actor="lead"
    )

    assert [pick_list.lines.count() for pick_list in lists] == [2, 2, 1]


def test_given_orders_across_two_zones_when_zone_lists_are_built_then_each_zone_has_its_list_and_an_order_keeps_its_slot(floor, in_fulfillment):
    first = fulfillment_order_of(in_fulfillment([("SKU-A1", 1), ("SKU-B1", 1)]))
    second = fulfillment_order_of(in_fulfillment([("SKU-B1", 2)]))

    zone_a, zone_b = pick_list_build(location=floor.code, fulfillment_order_ids=[first.pk, second.pk], kind="zone", actor="lead")

    assert (zone_a.zone, walk(zone_a)) == ("A", [("A-01-1-02", "SKU-A1", 1)])
    assert (zone_b.zone, walk(zone_b)) == ("B", [("B-01-1-04", "SKU-B1", 1), ("B-01-1-04", "SKU-B1", 2)])


def test_given_a_product_without_a_bin_when_a_list_is_built_then_its_line_comes_last_with_no_bin(floor, receive, in_fulfillment):
    receive("SKU-LOOSE", 5, floor)
    fo = fulfillment_order_of(in_fulfillment([("SKU-LOOSE", 1), ("SKU-A3", 1)]))

    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")

    assert walk(pick_list) == [("A-03-1-01", "SKU-A3", 1), ("-", "SKU-LOOSE", 1)]


def test_given_a_held_order_when_a_list_is_built_for_it_and_another_then_nothing_is_built_and_the_refusal_names_it(floor, in_fulfillment):
    held = fulfillment_order_of(in_fulfillment([("SKU-A1", 1)]))
    ready = fulfillment_order_of(in_fulfillment([("SKU-A2", 1)]))
    fulfillment_order_hold_place(fulfillment_order_id=held.pk, reason=FulfillmentHoldReason.ADDRESS_CHECK, actor="service")

    with pytest.raises(DomainError, match=f"{held.number} is on hold"):
        pick_list_build(location=floor.code, fulfillment_order_ids=[held.pk, ready.pk], kind="batch", actor="lead")

    assert PickList.objects.count() == 0
    assert fresh_fo(ready).status == FulfillmentStatus.PENDING


def test_given_an_order_already_picking_when_a_second_list_is_built_then_it_is_refused(floor, in_fulfillment):
    fo = fulfillment_order_of(in_fulfillment([("SKU-A1", 1)]))
    pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")

    with pytest.raises(DomainError, match="is picking, not pending"):
        pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")


def test_given_a_pick_list_when_every_line_is_picked_in_full_then_the_list_is_done_and_the_units_count_as_picked(floor, in_fulfillment):
    fo = fulfillment_order_of(in_fulfillment([("SKU-A1", 2), ("SKU-A2", 1)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
    first, second = pick_list.lines.order_by("sequence")

    pick_confirm(pick_list_line_id=first.pk, quantity_picked=2, actor="picker")
    assert PickList.objects.get(pk=pick_list.pk).status == "in_progress"
    pick_confirm(pick_list_line_id=second.pk, quantity_picked=1, actor="picker")

    assert PickList.objects.get(pk=pick_list.pk).status == "done"
    assert sorted(FulfillmentLine.objects.filter(fulfillment_order=fo).values_list("quantity_picked", flat=True)) == [1, 2]
    assert fresh_fo(fo).is_held is False


def test_given_a_short_pick_then_the_missing_units_are_released_and_written_off_and_the_order_is_held(floor, in_fulfillment):
    fo = fulfillment_order_of(in_fulfillment([("SKU-A1", 3)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
    (line,) = pick_list.lines.all()

    pick_confirm(pick_list_line_id=line.pk, quantity_picked=1, actor="picker")

    assert PickListLine.objects.get(pk=line.pk).short is True
    # 20 received, 3 reserved: 2 are not there, so on hand falls to 18 and 1 stays reserved.
    assert stock_at("SKU-A1", floor) == (18, 1)
    assert Allocation.objects.get(line__order=fo.order).quantity == 1
    correction = StockMovement.objects.get(kind=StockMovement.Kind.COUNT_CORRECTION)
    assert (correction.on_hand_delta, correction.reference) == (-2, fo.number)
    assert "not found in bin A-01-1-02" in correction.reason
    stored = fresh_fo(fo)
    assert stored.is_held is True
    assert stored.holds.get().reason == FulfillmentHoldReason.SHORT_PICK
    # The ledger reconciling is asserted after every test of this module (ledger_reconciles).


def test_given_two_short_lines_of_one_order_then_both_are_written_off_under_one_hold_and_other_orders_keep_their_stock(
    floor, in_fulfillment
):
    short = fulfillment_order_of(in_fulfillment([("SKU-A1", 5), ("SKU-A2", 2)]))
    in_fulfillment([("SKU-A2", 18)])  # the rest of SKU-A2 is promised to another order
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[short.pk], kind="single", actor="lead")
    first, second = pick_list.lines.order_by("sequence")

    pick_list_confirm(
        pick_list_id=pick_list.pk, confirmations=[PickConfirmation(first.pk, 4), PickConfirmation(second.pk, 0)], actor="picker"
    )

    assert stock_at("SKU-A1", floor) == (19, 4)
    assert stock_at("SKU-A2", floor) == (18, 18)  # the other order's 18 stay reserved
    assert [hold.reason for hold in fresh_fo(short).holds.all()] == [FulfillmentHoldReason.SHORT_PICK]
    assert fresh_fo(short).order.events.filter(message__contains="2 × SKU-A2 missing in bin A-02-1-05").exists()
    assert PickList.objects.get(pk=pick_list.pk).status == "done"


def test_given_a_confirmation_for_more_than_asked_then_it_is_refused_and_nothing_changes(floor, in_fulfillment):
    fo = fulfillment_order_of(in_fulfillment([("SKU-A1", 1), ("SKU-A2", 1)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
    first, second = pick_list.lines.order_by("sequence")

    with pytest.raises(InvalidInput, match="asks for 1; 2 cannot be picked"):
        pick_list_confirm(
            pick_list_id=pick_list.pk, confirmations=[PickConfirmation(first.pk, 1), PickConfirmation(second.pk, 2)], actor="picker"
        )

    assert PickListLine.objects.filter(confirmed_at__isnull=False).count() == 0
    assert PickList.objects.get(pk=pick_list.pk).status == "open"


def test_given_a_confirmed_line_when_confirmed_again_then_the_same_count_is_harmless_and_another_is_refused(floor, in_fulfillment):
    fo = fulfillment_order_of(in_fulfillment([("SKU-A1", 2)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
    line = pick_list.lines.get()
    pick_confirm(pick_list_line_id=line.pk, quantity_picked=2, actor="picker")

    pick_confirm(pick_list_line_id=line.pk, quantity_picked=2, actor="picker")
    with pytest.raises(DomainError, match="already confirmed with 2 picked"):
        pick_confirm(pick_list_line_id=line.pk, quantity_picked=1, actor="picker")

    assert FulfillmentLine.objects.get(fulfillment_order=fo).quantity_picked == 2
