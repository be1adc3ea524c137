"""Cycle counts on the floor while orders flow, proven on PostgreSQL with real threads.

A line's snapshot is taken when it is started; picks and receipts booked after it, while the
counter enters the figure or while a manager approves it, stay in on hand: the correction is
``counted - snapshot`` added to on hand as it is when posted.
"""

from decimal import Decimal

import pytest

from inventory.counts import LineCount, cycle_count_approve, cycle_count_plan, cycle_count_scan, cycle_count_submit
from inventory.models import CycleCountLine, Product, StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import stock_receive

from .factories import LocationFactory, ProductFactory
from .inventory.counts_support import ship
from .inventory.invariants import stock_invariant_violations
from .test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def counting(settings):
    """P1 and P2 (100 each) on today's count, both started (snapshot 100); P2 already counted
    twice at 90 and waiting for approval. Tolerance: 5 units."""
    import datetime

    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 1, "C": 1}
    settings.OMS_COUNT_TOLERANCE = {name: {"units": 5, "percent": 0} for name in "ABC"}
    LocationFactory(code="chicago")
    for sku in ("P1", "P2"):
        ProductFactory(sku=sku, cost=Decimal("4.00"))
        stock_receive(sku=sku, location="chicago", quantity=100, actor="dock")
    count = cycle_count_plan(location="chicago", day=datetime.date(2030, 1, 2), actor="test")
    lines = {line.product.sku: line for line in CycleCountLine.objects.filter(count=count).select_related("product")}
    cycle_count_submit(count_id=count.pk, entries=[LineCount(lines["P2"].pk, 80)], actor="counter")
    cycle_count_scan(count_id=count.pk, barcode="P2", actor="counter")
    cycle_count_submit(count_id=count.pk, entries=[LineCount(lines["P2"].pk, 90)], actor="counter")
    cycle_count_scan(count_id=count.pk, barcode="P1", actor="counter")
    assert CycleCountLine.objects.get(pk=lines["P2"].pk).status == "awaiting_approval"
    return count, lines


def on_hand(sku: str) -> int:
    return StockLevel.objects.get(product__sku=sku, location__code="chicago").on_hand


def test_picks_and_receipts_around_a_count_are_never_erased(counting):
    count, lines = counting
    jobs = [
        [lambda: ship("P1", "chicago", 1) for _ in range(8)] + [lambda: ship("P2", "chicago", 1) for _ in range(8)],
        [lambda: stock_receive(sku="P1", location="chicago", quantity=2, actor="dock") for _ in range(6)]
        + [lambda: stock_receive(sku="P2", location="chicago", quantity=3, actor="dock") for _ in range(4)],
        [lambda: cycle_count_submit(count_id=count.pk, entries=[LineCount(lines["P1"].pk, 97)], actor="counter"),
         lambda: cycle_count_approve(count_id=count.pk, actor="manager")],
    ]
    run_in_threads(jobs)

    # P1: snapshot 100, counted 97 (within 5: posted at once) -> -3; meanwhile -8 shipped, +12 received.
    assert on_hand("P1") == 100 - 3 - 8 + 12
    # P2: recount's snapshot 100, counted 90, approved -> -10; meanwhile -8 shipped, +12 received.
    assert on_hand("P2") == 100 - 10 - 8 + 12
    corrections = dict(StockMovement.objects.filter(reference=count.number, kind="count_correction")
                       .values_list("product__sku", "on_hand_delta"))
    assert corrections == {"P1": -3, "P2": -10}
    assert dict(CycleCountLine.objects.filter(count=count).values_list("product__sku", "status")) == {"P1": "posted", "P2": "posted"}
    assert ledger_mismatches() == []
    assert stock_invariant_violations() == []
    assert Product.objects.count() == 2
