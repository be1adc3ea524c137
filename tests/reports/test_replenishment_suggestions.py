"""The replenishment suggestions list: what it reads, what it suggests, accepting and dismissing."""


import datetime
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Location, Product, StockLevel, Transfer
from inventory.models_purchasing import PurchaseOrder, PurchaseOrderStatus
from inventory.purchasing import DraftLine, purchase_order_create, purchase_order_send, supplier_create, supplier_product_set
from inventory.services import stock_receive
from oms.errors import DomainError, InvalidInput, NotFound
from orders.models import OrderStatus
from reports.models_replenishment import SuggestionLine
from reports.replenishment.policy import PlanningInput, levels_plan
from reports.replenishment.suggestions import (
    demand_histories,
    replenishment_run,
    stocking_locations,
    suggestions_accept,
    suggestions_compute,
    suggestions_dismiss,
)
from reports.tasks import replenishment_nightly

from ..factories import LocationFactory, ProductFactory, place_order
from .forecast_ledger import DAY0, daily_sales, receive, ship
from .replenishment_support import forecast_store


@pytest.fixture
def kettle(warehouse, web_channel, settings):
    settings.OMS_REPLENISHMENT_REVIEW_DAYS = 7
    product = ProductFactory(sku="KET-1", abc_class="C")
    supplier_create(code="acme", name="Acme", currency="USD", lead_time_days=10, minimum_order_value="200", actor="test")
    supplier_product_set(supplier="acme", sku="KET-1", unit_cost="5.00", pack_size=12, minimum_quantity=30, is_preferred=True, actor="test")
    return product


def buys(run):
    return list(run.lines.filter(kind="buy").select_related("location", "product"))


def test_a_hand_worked_suggestion(kettle, warehouse, settings):
    settings.OMS_REPLENISHMENT_PLANNING = "sku"  # each SKU alone: the per-SKU arithmetic (policy.levels_plan)
    # 2 a day, no forecast error, fixed lead time of 10 days, review every 7: μ_L = 20, μ_R = 14,
    # μ_{L+R} = 34. Smallest order Q = the minimum of 30 in packs of 12 = 36. Class C: 90% fill
    # rate, so the units short per cycle may be 0.1 × 14 = 1.4. Averaged over the 8 positions
    # s+2.75, s+7.25, ... a review leaves, ESC(y) = 34 - y while y < 34 (y ≥ 20): with s = 23.4
    # only s+2.75 = 26.15 (7.85 short) and s+7.25 = 30.65 (3.35) are short: 11.2 / 8 = 1.4.
    # So s = 23, S = 24.
    forecast_store({(kettle, warehouse): 2.0})
    stock_receive(sku="KET-1", location="chicago", quantity=5, actor="test")
    order = place_order([("KET-1", 8)])  # reserves the 5 on hand, 3 wait
    assert order.status == OrderStatus.BACKORDERED
    purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="KET-1", quantity=6)], actor="test")  # draft: open PO
    sent = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="KET-1", quantity=4)], actor="test")
    purchase_order_send(purchase_order_id=sent.pk, actor="test", email=False, allow_below_minimum=True)  # sent: on incoming, not counted twice

    run = replenishment_run(actor="test")

    (line,) = buys(run)
    # position = 5 on hand - 5 reserved - 3 backordered + 4 incoming + 6 on a draft PO = 7
    assert (line.on_hand, line.reserved, line.backorders, line.incoming, line.open_purchase_orders, line.position) == (5, 5, 3, 4, 6, 7)
    assert (line.forecast_horizon, line.forecast_lead_time) == (pytest.approx(34.0), pytest.approx(20.0))
    assert (line.reorder_point, line.order_up_to, line.raw_quantity) == (23, 24, 17)
    assert line.safety_stock == pytest.approx(23.4 - 34, abs=0.01)
    # 17 -> 2 packs = 24 -> minimum 30 units = 36 -> 36 × 5.00 = 180 < 200: one more pack = 48.
    assert line.quantity == 48
    assert line.rounding.splitlines() == [
        "17 rounded up to 2 pack(s) of 12: 24",
        "24 raised to the minimum of 30 units: 36",
        "36 raised to 48: one more pack of 12 to reach the minimum order of 200.00",
    ]
    assert line.supplier.code == "acme" and line.fill_rate == line.target_fill_rate == 0.9 and line.lead_time_days == 10
    assert "position 7" in line.explanation and "reorder point 23" in line.explanation
    assert "class C target 90%: this SKU planned at 90%" in line.explanation
    assert (run.line_count, run.buy_count, run.transfer_count, run.planning) == (1, 1, 0, "sku")


def test_a_hand_worked_class_plan(kettle, warehouse):
    # The same figures planned as a class (the default): demand over whole units. With no error
    # and a fixed lead time D_{L+R} = 34 and D_L = 20 exactly, so ESC(y) = 34 - y for 20 ≤ y < 34,
    # averaged over the Q = 36 positions s+1 ... s+36 a review leaves: k(k+1)/2 / 36 with
    # k = 33 - s. The class (this SKU alone) may be short 0.1 × 14 = 1.4 units a cycle: k = 9
    # (45/36 = 1.25) fits, k = 10 (55/36 = 1.53) does not, so s = 24, S = 25, and the SKU is
    # planned at 1 - 1.25/14 = 91.07%, at least the class's 90%.
    forecast_store({(kettle, warehouse): 2.0})

    run = replenishment_run(actor="test")

    (line,) = buys(run)
    assert run.planning == "class"
    assert (line.reorder_point, line.order_up_to, line.raw_quantity, line.distribution) == (24, 25, 25, "normal")
    assert line.fill_rate == pytest.approx(1 - 1.25 / 14) and line.target_fill_rate == 0.9
    assert "class C target 90%: this SKU planned at 91%" in line.explanation


def test_nothing_is_suggested_above_the_reorder_point(kettle, warehouse):
    forecast_store({(kettle, warehouse): 2.0})
    stock_receive(sku="KET-1", location="chicago", quantity=60, actor="test")
    run = replenishment_run(actor="test")
    assert run.line_count == 0 and not run.lines.exists()


def test_stores_are_not_stocking_locations(kettle, warehouse):
    store = LocationFactory(code="store-1", kind="store")
    forecast_store({(kettle, warehouse): 0.0, (kettle, store): 5.0})
    run = replenishment_run(actor="test")
    assert not run.lines.filter(location=store).exists()


def test_transfers_from_an_overstocked_warehouse_come_before_buying(kettle, warehouse):
    east = LocationFactory(code="east", name="East DC")
    forecast_store({(kettle, warehouse): 2.0, (kettle, east): 0.0})
    stock_receive(sku="KET-1", location="east", quantity=50, actor="test")  # east sells nothing: all of it is excess

    run = replenishment_run(actor="test")

    (transfer,) = run.lines.filter(kind="transfer")
    assert (transfer.from_location.code, transfer.location.code, transfer.quantity) == ("east", "chicago", 25)  # up to S = 25 (hand-worked above)
    assert not run.lines.filter(kind="buy").exists()


def test_a_partial_transfer_is_topped_up_by_a_buy(kettle, warehouse):
    east = LocationFactory(code="east", name="East DC")
    forecast_store({(kettle, warehouse): 2.0, (kettle, east): 0.0})
    stock_receive(sku="KET-1", location="east", quantity=10, actor="test")

    run = replenishment_run(actor="test")

    (transfer,) = run.lines.filter(kind="transfer")
    (buy,) = buys(run)
    assert transfer.quantity == 10
    assert (buy.transfers_in, buy.raw_quantity) == (10, 15)  # S 25 - (position 0 + 10 moved in)


def test_accepting_drafts_one_po_per_supplier_and_is_idempotent(kettle, warehouse):
    ProductFactory(sku="MUG-1", abc_class="A")
    supplier_product_set(supplier="acme", sku="MUG-1", unit_cost="50.00", is_preferred=True, actor="test")
    mug = Product.objects.get(sku="MUG-1")
    forecast_store({(kettle, warehouse): 2.0, (mug, warehouse): 1.0})
    run = replenishment_run(actor="test")
    lines = {line.product.sku: line for line in buys(run)}
    assert set(lines) == {"KET-1", "MUG-1"}

    result = suggestions_accept(line_ids=[line.pk for line in lines.values()], actor="buyer")

    (po,) = PurchaseOrder.objects.all()
    assert result["purchase_orders"] == [po.number] and po.status == PurchaseOrderStatus.DRAFT
    assert po.supplier.code == "acme" and po.location.code == "chicago"
    assert {(line.product.sku, line.quantity_ordered) for line in po.lines.all()} == {(sku, line.quantity) for sku, line in lines.items()}
    assert set(SuggestionLine.objects.values_list("status", "purchase_order_id")) == {("accepted", po.pk)}

    again = suggestions_accept(line_ids=[line.pk for line in lines.values()], actor="buyer")
    assert again["accepted"] == [] and sorted(again["already_accepted"]) == sorted(line.pk for line in lines.values())
    assert PurchaseOrder.objects.count() == 1


def test_accepting_a_transfer_creates_a_stock_transfer(kettle, warehouse):
    LocationFactory(code="east", name="East DC")
    forecast_store({(kettle, warehouse): 2.0, (kettle, Location.objects.get(code="east")): 0.0})
    stock_receive(sku="KET-1", location="east", quantity=50, actor="test")
    run = replenishment_run(actor="test")
    (line,) = run.lines.filter(kind="transfer")

    result = suggestions_accept(line_ids=[line.pk], actor="buyer")

    (transfer,) = Transfer.objects.all()
    assert result["transfers"] == [transfer.number]
    assert (transfer.source.code, transfer.destination.code) == ("east", "chicago")
    assert [(tl.product.sku, tl.quantity) for tl in transfer.lines.all()] == [("KET-1", 25)]
    line.refresh_from_db()
    assert (line.status, line.transfer_id) == ("accepted", transfer.pk)


def test_accepting_is_all_or_nothing(kettle, warehouse):
    ProductFactory(sku="LONE-1")  # no supplier: its line cannot become a PO
    forecast_store({(kettle, warehouse): 2.0, (Product.objects.get(sku="LONE-1"), warehouse): 2.0})
    run = replenishment_run(actor="test")
    lone = run.lines.get(product__sku="LONE-1")
    assert lone.supplier is None and "no supplier" in lone.rounding

    with pytest.raises(DomainError, match="LONE-1 has no supplier"):
        suggestions_accept(line_ids=list(run.lines.values_list("pk", flat=True)), actor="buyer")

    assert not PurchaseOrder.objects.exists()
    assert set(run.lines.values_list("status", flat=True)) == {"open"}


def test_dismissing_and_the_refusals(kettle, warehouse):
    forecast_store({(kettle, warehouse): 2.0})
    (line,) = buys(replenishment_run(actor="test"))

    assert suggestions_dismiss(line_ids=[line.pk], actor="buyer") == [line.pk]
    assert suggestions_dismiss(line_ids=[line.pk], actor="buyer") == []
    with pytest.raises(DomainError, match=f"Dismissed line\\(s\\) {line.pk} cannot be accepted"):
        suggestions_accept(line_ids=[line.pk], actor="buyer")
    with pytest.raises(NotFound, match="Unknown suggestion line\\(s\\): 999999"):
        suggestions_accept(line_ids=[999999], actor="buyer")
    for bad in ([], "1", [True], [-1], [1.5]):
        with pytest.raises(InvalidInput):
            suggestions_accept(line_ids=bad, actor="buyer")
    assert not PurchaseOrder.objects.exists()


@pytest.mark.parametrize("write", [True, False])
def test_safety_stock_write_back_is_optional(kettle, warehouse, write):
    forecast_store({(kettle, warehouse): 2.0}, mase=4.0, scale=2.0)  # σ_d = 8 × √(π/2) ≈ 10
    run = replenishment_run(actor="test", write_safety_stock=write)
    (line,) = buys(run)
    assert line.safety_stock > 0
    level = StockLevel.objects.filter(product=kettle, location=warehouse).first()
    written = level.safety_stock if level else 0
    assert written == (round(line.safety_stock) if write else 0)
    assert run.safety_stock_written == (1 if write else 0)


def test_the_setting_decides_the_write_back_by_default(kettle, warehouse, settings):
    settings.OMS_REPLENISHMENT_WRITE_SAFETY_STOCK = True
    forecast_store({(kettle, warehouse): 2.0}, mase=1.0, scale=2.0)
    assert replenishment_run(actor="test").write_safety_stock is True


def _catalogue(count: int, warehouse, east):
    supplier_create(code=f"sup-{count}", name="Sup", currency="USD", lead_time_days=5, minimum_order_value="10", actor="test")
    daily = {}
    for i in range(count):
        product = ProductFactory(sku=f"Q{count}-{i}", abc_class="ABC"[i % 3])
        supplier_product_set(supplier=f"sup-{count}", sku=product.sku, unit_cost="1.00", pack_size=6, is_preferred=True, actor="test")
        daily[(product, warehouse)] = 1.0 + i % 4
        daily[(product, east)] = 0.5
        if i % 2:
            stock_receive(sku=product.sku, location="east", quantity=40, actor="test")
    return daily


def test_the_reads_are_a_constant_number_of_queries(warehouse, web_channel):
    east = LocationFactory(code="east", name="East DC")
    daily = _catalogue(2, warehouse, east)
    daily.update(_catalogue(20, warehouse, east))
    forecast_store(daily)

    counts = {}
    for prefix in ("Q2-", "Q20-"):
        products = list(Product.objects.filter(sku__startswith=prefix))
        with CaptureQueriesContext(connection) as queries:
            _, lines, _ = suggestions_compute(products=products, locations=stocking_locations())
        counts[prefix] = len(queries)
        assert lines
    assert counts["Q2-"] == counts["Q20-"]


def test_the_command_runs_and_names_bad_input(kettle, warehouse):
    forecast_store({(kettle, warehouse): 2.0})
    out = StringIO()
    call_command("replenishment_run", "--skus", "KET-1", stdout=out)
    assert "1 line(s) (1 to buy, 0 to transfer)" in out.getvalue()
    with pytest.raises(CommandError, match="Unknown or inactive SKU\\(s\\): NOPE"):
        call_command("replenishment_run", "--skus", "NOPE")
    with pytest.raises(CommandError, match="--skus names no SKU"):
        call_command("replenishment_run", "--skus", " , ")


def test_a_bad_setting_is_a_clear_error_not_a_crash(kettle, warehouse, settings):
    settings.OMS_REPLENISHMENT_SERVICE_LEVELS = {"A": 0.98}
    forecast_store({(kettle, warehouse): 2.0})
    with pytest.raises(InvalidInput, match="no service level for ABC class 'C'"):
        replenishment_run(actor="test")
    assert not SuggestionLine.objects.exists()


def test_the_nightly_job_runs_once_a_day(kettle, warehouse):
    forecast_store({(kettle, warehouse): 2.0})
    assert replenishment_nightly() == replenishment_nightly()


# -- a class planned as a whole ------------------------------------------------------------------

TODAY = DAY0 + datetime.timedelta(days=183)  # the ledger's days 1-182 are the history before it
LUMPY_WEEKS = [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 8]  # 10 units every 12 days, sizes 1, 1 and 8


@pytest.fixture
def steady_and_lumpy(warehouse, web_channel):
    """Two class C SKUs at one warehouse with 182 days of sales on the ledger: one sells 10 a day,
    the other 10 every 12 days in lumps (sizes 1, 1, 8), and forecasts of those means."""
    supplier_create(code="acme", name="Acme", currency="USD", lead_time_days=9, lead_time_spread_days=2, actor="test")
    steady, lumpy = ProductFactory(sku="STEADY", abc_class="C"), ProductFactory(sku="LUMPY", abc_class="C")
    for product in (steady, lumpy):
        supplier_product_set(supplier="acme", sku=product.sku, unit_cost="1.00", pack_size=1, is_preferred=True, actor="test")
    daily_sales(steady, warehouse, [10] * 182)
    daily_sales(lumpy, warehouse, (LUMPY_WEEKS * 16)[:182])
    forecast_store({(steady, warehouse): 10.0, (lumpy, warehouse): 10 / 12}, mase=1.0, scale=2.0)
    return steady, lumpy


def test_a_class_plans_its_steady_sku_above_the_target_and_its_lumpy_one_below(steady_and_lumpy, settings):
    settings.OMS_REPLENISHMENT_SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}

    run = replenishment_run(actor="test", today=TODAY)

    lines = {line.product.sku: line for line in buys(run)}
    steady, lumpy = lines["STEADY"], lines["LUMPY"]
    assert run.planning == "class" and steady.target_fill_rate == lumpy.target_fill_rate == 0.9
    assert (steady.distribution, lumpy.distribution) == ("normal", "compound")  # the lumpy one from its history
    assert (steady.demand_pattern, lumpy.demand_pattern) == ("smooth", "lumpy")
    assert steady.fill_rate > 0.9 > lumpy.fill_rate
    review = {sku: line.forecast_horizon - line.forecast_lead_time for sku, line in lines.items()}
    class_fill = sum(line.fill_rate * review[sku] for sku, line in lines.items()) / sum(review.values())
    assert class_fill >= 0.9 - 1e-9
    assert f"class C target 90%: this SKU planned at {lumpy.fill_rate:.0%} (lumpy)" in lumpy.explanation


def test_the_sku_setting_plans_each_sku_alone_as_before(steady_and_lumpy, settings):
    settings.OMS_REPLENISHMENT_PLANNING = "sku"

    run = replenishment_run(actor="test", today=TODAY)

    lines = {line.product.sku: line for line in buys(run)}
    error = 2.0 * math.sqrt(math.pi / 2)  # MASE 1 × scale 2 as a standard deviation
    for sku, daily in (("STEADY", 10.0), ("LUMPY", 10 / 12)):
        alone = levels_plan(PlanningInput(daily_forecast=[daily] * 16, forecast_error=error, lead_time_days=9, review_period_days=7,
                                          fill_rate=0.9, lead_time_spread_days=2, minimum_order=1))
        assert (lines[sku].reorder_point, lines[sku].order_up_to, lines[sku].fill_rate) == (alone.reorder_point, alone.order_up_to, 0.9)
    assert run.planning == "sku"


def test_a_bad_planning_setting_is_named(steady_and_lumpy, settings):
    settings.OMS_REPLENISHMENT_PLANNING = "store"
    with pytest.raises(InvalidInput, match="OMS_REPLENISHMENT_PLANNING must be one of class, sku, not 'store'"):
        replenishment_run(actor="test", today=TODAY)
    assert not SuggestionLine.objects.exists()


def test_the_demand_history_leaves_stockout_days_out(warehouse):
    item = ProductFactory(sku="RUNS-OUT")
    receive(item, warehouse, 0, 15, hour=6)
    for day in range(1, 6):  # 3 a day until the shelf is empty at the end of day 5
        ship(item, warehouse, day, 3)
    receive(item, warehouse, 11, 600, hour=6)  # days 5-11 had nothing to sell for part of the day or all of it
    for day in range(12, 183):
        ship(item, warehouse, day, 3)

    history = demand_histories([item.pk], TODAY)[(item.pk, warehouse.pk)]

    # Days 1-4 and 12-182 were in stock all day; days 5-11 are missing, not days without demand.
    assert history == [3.0] * (4 + 171)
