"""Receipts against one purchase order from several docks at once, proven on PostgreSQL with real
threads and transactions (harness: ``tests/test_concurrency.py``): no open unit is counted twice,
incoming never goes below zero, and every counter still equals its ledger."""

import pytest

from inventory.models import PurchaseOrder, StockLevel
from inventory.models_purchasing import PurchaseOrderStatus
from inventory.purchasing import (
    DraftLine,
    purchase_order_close,
    purchase_order_create,
    purchase_order_receive,
    purchase_order_send,
    supplier_create,
    supplier_product_set,
)
from inventory.selectors import ledger_mismatches
from oms.errors import InvalidTransition

from ..factories import LocationFactory, ProductFactory
from ..test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent_po(db):
    LocationFactory(code="chicago", name="Chicago DC")
    ProductFactory(sku="SKU-A")
    ProductFactory(sku="SKU-B")
    supplier_create(code="acme", name="Acme", actor="test")
    for sku in ("SKU-A", "SKU-B"):
        supplier_product_set(supplier="acme", sku=sku, unit_cost="2.00", actor="test")
    po = purchase_order_create(
        supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=8), DraftLine(sku="SKU-B", quantity=6)], actor="test"
    )
    purchase_order_send(purchase_order_id=po.pk, actor="test", email=False)
    return po


def counters(sku: str) -> tuple[int, int]:
    level = StockLevel.objects.get(product__sku=sku)
    return level.on_hand, level.incoming


def test_two_receipts_on_the_same_line_at_once_never_count_open_units_twice(sent_po):
    # Each of three docks books 3 units of line 1 (8 ordered) and 2 of line 2 (6 ordered), at once.
    docks = [[lambda: purchase_order_receive(purchase_order_id=sent_po.pk, quantities=[(2, 2), (1, 3)], actor="dock")] for _ in range(3)]

    results = run_in_threads(docks)

    assert len(results) == 3
    assert counters("SKU-A") == (9, 0)  # 9 received: 8 off incoming, 1 recorded over (by whichever came last)
    assert counters("SKU-B") == (6, 0)
    assert sum(receipt.over for result in results for receipt in result) == 1
    po = PurchaseOrder.objects.get(pk=sent_po.pk)
    assert po.status == PurchaseOrderStatus.RECEIVED
    assert {line.product.sku: line.quantity_received for line in po.lines.all()} == {"SKU-A": 9, "SKU-B": 6}
    assert ledger_mismatches() == []


def test_a_receipt_racing_a_close_is_either_counted_or_refused(sent_po):
    purchase_order_receive(purchase_order_id=sent_po.pk, quantities=[(1, 1)], actor="dock")

    results = run_in_threads(
        [[lambda: purchase_order_receive(purchase_order_id=sent_po.pk, quantities=[(1, 5)], actor="dock")],
         [lambda: purchase_order_close(purchase_order_id=sent_po.pk, actor="buyer")]],
        expected=(InvalidTransition,),
    )

    on_hand, incoming = counters("SKU-A")
    assert incoming == 0 and on_hand in (1, 6)
    refused = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(refused) == (1 if on_hand == 1 else 0)
    assert ledger_mismatches() == []
