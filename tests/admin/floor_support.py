"""Set-up shared by the floor console tests: a warehouse with bins, orders sent to fulfillment,
and fulfillment orders driven to a stage by the services."""

import pytest
from django.urls import reverse

from fulfillment.models import FulfillmentOrder, PackageType, PickList
from fulfillment.services.packing import pack_scan, package_close
from fulfillment.services.picking import pick_confirm, pick_list_build
from inventory.models import Bin, Product, StockLevel

from ..fulfillment.fulfillment_support import fresh_fo, in_fulfillment, receive  # noqa: F401


def fo_page(fo) -> str:
    return reverse("admin:fulfillment_fulfillmentorder_change", args=[fo.pk])


def pick_page(pick_list) -> str:
    return reverse("admin:fulfillment_picklist_change", args=[pick_list.pk])


def floor_url(fo, step: str) -> str:
    return reverse("admin:fulfillment_fulfillmentorder_floor", args=[fo.pk, step])


@pytest.fixture
def shelves(warehouse, receive):
    """MUG (GTIN 4006381333931) in bin A-01-1-02 and CUP in bin A-02-1-05, 10 of each; a small box."""
    for sku, code, gtin in (("MUG", "A-01-1-02", "4006381333931"), ("CUP", "A-02-1-05", "")):
        receive(sku, 10, warehouse)
        Product.objects.filter(sku=sku).update(gtin=gtin, name=f"Blue {sku.lower()}")
        bin_ = Bin.objects.create(location=warehouse, code=code, zone="A", aisle=code[2:4], shelf="1", position=code[-2:])
        StockLevel.objects.filter(product__sku=sku, location=warehouse).update(bin=bin_)
    PackageType.objects.create(code="box-s", name="Small box", inner_length_mm=300, inner_width_mm=200, inner_height_mm=150, max_weight_grams=5000)
    return warehouse


@pytest.fixture
def pending(shelves, in_fulfillment):
    """``pending([("MUG", 2)])``: the pending fulfillment order of a new order."""

    def make(lines):
        return FulfillmentOrder.objects.get(order=in_fulfillment(lines))

    return make


@pytest.fixture
def picking(pending):
    """A fulfillment order of MUG × 2 and CUP × 1 on its own pick list: (fo, pick list)."""

    def make():
        fo = pending([("MUG", 2), ("CUP", 1)])
        (pick_list,) = pick_list_build(location="chicago", fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
        return fresh_fo(fo), pick_list

    return make


@pytest.fixture
def packed(picking):
    """A fulfillment order picked, scanned into a small box of 1.2 kg and packed."""

    def make():
        fo, pick_list = picking()
        for line in pick_list.lines.all():
            pick_confirm(pick_list_line_id=line.pk, quantity_picked=line.quantity, actor="picker")
        pack_scan(fulfillment_order_id=fo.pk, barcode="MUG", quantity=2, actor="packer")
        pack_scan(fulfillment_order_id=fo.pk, barcode="CUP", quantity=1, actor="packer")
        package_close(fulfillment_order_id=fo.pk, package_type="box-s", weight_grams=1200, actor="packer")
        return fresh_fo(fo)

    return make


def pick_lists_of(fo) -> list[PickList]:
    return list(PickList.objects.filter(lines__fulfillment_line__fulfillment_order=fo).distinct())
