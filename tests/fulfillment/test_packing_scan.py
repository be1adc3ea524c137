"""Packing by scan: each item checked against the fulfillment order, packages closed, the order packed."""

import pytest

from fulfillment.models import FulfillmentLine, FulfillmentOrder, FulfillmentStatus, Package, PackageType, PackedItem
from fulfillment.services.packing import pack_scan, package_close
from fulfillment.services.picking import pick_confirm, pick_list_build
from inventory.models import Product
from oms.errors import DomainError, InvalidTransition

from .fulfillment_support import fresh_fo, in_fulfillment, ledger_reconciles, receive  # noqa: F401


@pytest.fixture
def picked(warehouse, receive, in_fulfillment):
    """A fulfillment order of 2 × MUG (GTIN 4006381333931) and 1 × CUP, picked in full, unless
    ``short`` names units to leave on the shelf."""
    receive("MUG", 10, warehouse)
    receive("CUP", 10, warehouse)
    receive("PLATE", 10, warehouse)
    Product.objects.filter(sku="MUG").update(gtin="4006381333931", name="Blue mug")
    Product.objects.filter(sku="PLATE").update(gtin="5012345678900", name="Plate")

    def make(short: dict | None = None) -> FulfillmentOrder:
        order = in_fulfillment([("MUG", 2), ("CUP", 1)])
        fo = FulfillmentOrder.objects.get(order=order)
        (pick_list,) = pick_list_build(location=warehouse.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
        for line in pick_list.lines.select_related("product"):
            pick_confirm(pick_list_line_id=line.pk, quantity_picked=line.quantity - (short or {}).get(line.product.sku, 0), actor="picker")
        return fo

    return make


@pytest.fixture
def box(db):
    return PackageType.objects.create(code="box-s", name="Small box", inner_length_mm=300, inner_width_mm=200, inner_height_mm=150, max_weight_grams=5000)


def packed_of(fo) -> dict[str, int]:
    return {line.product.sku: line.quantity_packed for line in FulfillmentLine.objects.filter(fulfillment_order=fo).select_related("product")}


def test_given_a_picked_order_when_items_are_scanned_by_gtin_or_sku_then_both_are_accepted(picked):
    fo = picked()

    pack_scan(fulfillment_order_id=fo.pk, barcode="4006381333931", actor="packer")
    result = pack_scan(fulfillment_order_id=fo.pk, barcode="CUP", actor="packer")

    assert packed_of(fo) == {"MUG": 1, "CUP": 1}
    assert [(item.sku, item.remaining) for item in result.expected] == [("MUG", 1), ("CUP", 0)]
    assert sorted(PackedItem.objects.values_list("fulfillment_line__product__sku", "quantity")) == [("CUP", 1), ("MUG", 1)]


def test_given_an_item_not_on_the_order_when_scanned_then_it_is_refused_naming_it_and_what_is_expected(picked):
    fo = picked()

    with pytest.raises(DomainError) as refused:
        pack_scan(fulfillment_order_id=fo.pk, barcode="5012345678900", actor="packer")

    assert refused.value.code == "wrong_item"
    assert "Scanned 5012345678900 (PLATE · Plate): not on" in refused.value.message
    assert "Still expected: 2 × MUG (Blue mug), 1 × CUP" in refused.value.message
    assert packed_of(fo) == {"MUG": 0, "CUP": 0}
    assert Package.objects.count() == 0


def test_given_an_unknown_barcode_when_scanned_then_the_refusal_says_no_product_has_it(picked):
    fo = picked()

    with pytest.raises(DomainError, match="Scanned 999, which no product has as GTIN or SKU"):
        pack_scan(fulfillment_order_id=fo.pk, barcode="999", actor="packer")


def test_given_every_picked_unit_packed_when_scanned_once_more_then_the_extra_is_refused(picked):
    fo = picked()
    pack_scan(fulfillment_order_id=fo.pk, barcode="CUP", actor="packer")

    with pytest.raises(DomainError) as refused:
        pack_scan(fulfillment_order_id=fo.pk, barcode="CUP", actor="packer")

    assert refused.value.code == "exceeds_picked"
    assert "no picked unit(s) of it are left to pack" in refused.value.message
    assert packed_of(fo)["CUP"] == 1


def test_given_a_short_pick_when_more_than_was_picked_is_scanned_then_it_is_refused(picked):
    fo = picked(short={"MUG": 1})

    pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", actor="packer")
    with pytest.raises(DomainError, match="only 0|no picked unit"):
        pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", actor="packer")


def test_given_everything_picked_is_scanned_when_the_package_is_closed_then_the_order_is_packed_with_the_box_recorded(picked, box):
    fo = picked()
    for barcode in ("MUG", "4006381333931", "CUP"):
        pack_scan(fulfillment_order_id=fo.pk, barcode=barcode, actor="packer")

    package = package_close(fulfillment_order_id=fo.pk, package_type="box-s", weight_grams=1450, actor="packer")

    assert fresh_fo(fo).status == FulfillmentStatus.PACKED
    stored = Package.objects.get(pk=package.pk)
    assert (stored.package_type.code, stored.weight_grams, stored.length_mm, stored.width_mm, stored.height_mm) == ("box-s", 1450, 300, 200, 150)
    assert stored.closed_at is not None


def test_given_items_still_to_pack_when_a_package_is_closed_then_the_order_stays_picking_and_the_next_scan_opens_a_new_package(picked, box):
    fo = picked()
    pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", actor="packer")
    package_close(fulfillment_order_id=fo.pk, package_type="box-s", weight_grams=600, dimensions=(250, 150, 100), actor="packer")

    pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", actor="packer")

    assert fresh_fo(fo).status == FulfillmentStatus.PICKING
    assert Package.objects.filter(fulfillment_order=fo).count() == 2


def test_given_a_package_heavier_than_its_box_carries_when_closed_then_it_is_refused_and_stays_open(picked, box):
    fo = picked()
    pack_scan(fulfillment_order_id=fo.pk, barcode="CUP", actor="packer")

    with pytest.raises(DomainError, match="6,000 g is more than the 5,000 g a Small box carries"):
        package_close(fulfillment_order_id=fo.pk, package_type="box-s", weight_grams=6000, actor="packer")

    assert Package.objects.get().is_open


def test_given_a_short_picked_order_when_what_was_found_is_packed_then_it_is_packed_and_keeps_its_hold(picked, box):
    fo = picked(short={"CUP": 1})
    pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", quantity=2, actor="packer")

    package_close(fulfillment_order_id=fo.pk, package_type="box-s", weight_grams=900, actor="packer")

    stored = fresh_fo(fo)
    assert (stored.status, stored.is_held) == (FulfillmentStatus.PACKED, True)


def test_given_an_order_not_yet_picked_when_scanned_then_packing_is_refused(warehouse, receive, in_fulfillment):
    receive("MUG", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("MUG", 1)]))

    with pytest.raises(InvalidTransition, match="is pending; only a fulfillment order being picked can be packed"):
        pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", actor="packer")
