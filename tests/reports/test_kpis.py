"""Each KPI on the hand-built history of ``history.py``; the right answers are worked out here."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from reports.kpis import REGISTRY
from reports.rollups import rollups_rebuild
from reports.selectors import kpi_answer

from . import history

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-03-10", "to": "2026-03-11"}


@pytest.fixture
def past():
    built = history.build()
    rollups_rebuild(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 20))
    return built


def answer(key, **params):
    return kpi_answer(key=key, params={**RANGE, **params})


def rows(result) -> dict:
    return {row["label"]: row["value"] for row in result["rows"]}


def test_orders_count_the_range_without_cancelled_ones_or_the_orders_just_outside_it(past):
    # Given O1, O2, O6 in the range, O3 cancelled in it, O4 a minute before and O5 at its end
    # When the orders KPI is asked for the range
    # Then three orders count, and the cancelled one is counted apart
    assert answer("orders")["value"] == 3
    assert answer("cancelled_orders")["value"] == 1
    assert rows(answer("orders", by="channel")) == {"web": 2, "pos": 1}


def test_units_revenue_and_average_order_value_per_currency(past):
    assert answer("units")["value"] == 7  # 3 (O1) + 2 (O2) + 2 (O6)
    assert answer("revenue")["value"] == [{"currency": "EUR", "value": "40.00"}, {"currency": "USD", "value": "150.00"}]
    assert answer("average_order_value")["value"] == [{"currency": "EUR", "value": "40.00"}, {"currency": "USD", "value": "75.00"}]


def test_orders_by_hour_of_day_and_weekday(past):
    # (08:00 had only the cancelled O3: a row with none)
    assert rows(answer("orders", by="hour")) == {8: 0, 9: 1, 10: 1, 23: 1}
    # 2026-03-10 is a Tuesday
    assert rows(answer("orders", by="weekday")) == {"Tuesday": 2, "Wednesday": 1}


def test_a_split_order_and_a_backorder(past):
    # O2 ships from two locations; O6 waited 24 hours on backorder
    assert answer("split_rate")["value"] == 33.33
    assert answer("backorder_rate")["value"] == {"rate": 33.33, "orders": 1, "mean_hours": 24.0}


def test_fill_rate_counts_shipped_units_of_the_ordered_ones(past):
    # 3 of O1 and 1 of O2 shipped, of 7 ordered
    assert answer("fill_rate")["value"] == 57.14
    assert rows(answer("fill_rate", by="sku")) == {"SKU-A": 100.0, "SKU-B": 50.0, "SKU-C": 0.0}


def test_promises_on_time_shipping_and_delivery_and_late_shipments(past):
    # FO1 shipped on its promised day, O2's first part a day late; FO1 delivered a day after its promise
    assert answer("on_time_ship")["value"] == 50.0
    assert answer("on_time_delivery")["value"] == 0.0
    assert answer("late_shipments")["value"] == 1
    assert answer("late_shipments")["drilldown"]["ids"] == [past["fo1"].pk]
    assert rows(answer("on_time_ship", by="location")) == {"wh-a": 50.0, "wh-b": None}


def test_shipping_cost_per_shipment_and_per_unit_and_transit(past):
    assert answer("shipping_cost_per_shipment")["value"] == [{"currency": "USD", "value": "9.00"}]
    assert answer("shipping_cost_per_unit")["value"] == [{"currency": "USD", "value": "4.50"}]  # 18.00 over 3 + 1 units
    assert answer("shipping_cost_per_order")["value"] == [{"currency": "USD", "value": "6.00"}]  # 18.00 over 3 orders
    assert rows(answer("shipping_cost_per_order", by="channel")) == {"web": [{"currency": "USD", "value": "9.00"}], "pos": []}
    assert answer("transit_time")["value"] == 2.79  # 03-11 15:00 -> 03-14 10:00
    assert answer("late_rate", by="carrier")["rows"] == [{"group": "ups", "label": "ups", "value": 50.0}]


def test_stage_times_read_from_the_histogram(past):
    stages = answer("stage_time")["value"]
    # captured -> allocated: 9 min (FO1), 25 min twice (O2's two parts): buckets "under 10 min" and "under 30 min"
    assert stages["captured_allocated"] == {"count": 3, "p50_hours": 0.5, "p90_hours": 0.5, "mean_hours": 0.33}
    # allocated -> picking: 25 min (O2's part at B), 2 h 21 min (FO1)
    assert stages["allocated_picking"] == {"count": 2, "p50_hours": 0.5, "p90_hours": 3.0, "mean_hours": 1.38}
    # FO1 alone: packed 2 h after picking started, shipped 25 h after packing
    assert stages["picking_packed"]["p50_hours"] == 3.0  # exactly 2 h falls in the "under 3 h" bucket
    assert stages["packed_shipped"]["p50_hours"] == 36.0
    assert stages["shipped_delivered"]["count"] == 1


def test_a_partial_return_and_its_refund(past):
    # 1 of 7 units sold came back; of SKU-A, 1 of 3
    assert answer("return_rate")["value"] == {"rate": 14.29, "units_returned": 1, "units_sold": 7}
    assert rows(answer("return_rate", by="sku")) == {"SKU-A": {"rate": 33.33, "units_returned": 1, "units_sold": 3}}
    assert rows(answer("return_rate", by="reason"))["too-small"]["rate"] == 14.29
    assert answer("restock_share")["value"] == {"restock": {"units": 1, "share": 100.0}}
    # The refund was paid on 03-15: outside the range by the day it was paid
    assert answer("refunds")["value"] == []
    paid = kpi_answer(key="refunds", params={"from": "2026-03-15", "to": "2026-03-15"})
    assert paid["value"] == [{"currency": "USD", "value": {"amount": "40.00", "refunds": 1}}]
    assert kpi_answer(key="days_to_refund", params={"from": "2026-03-15", "to": "2026-03-15"})["value"] == 1.5


def test_short_picks(past):
    # O2's line at B was picked short: one of three pick lines, one unit
    assert answer("short_picks")["value"] == {"rate": 33.33, "lines": 1, "units": 1}
    assert rows(answer("short_picks", by="location")) == {"wh-a": {"rate": 0.0, "lines": 0, "units": 0},
                                                          "wh-b": {"rate": 100.0, "lines": 1, "units": 1}}


def test_backlog_and_holds_now(past):
    # The present, whatever the range: O2's part at B waits to be picked; O6 has a manual hold open
    backlog = answer("backlog")["value"]
    assert backlog["fulfillment_pending"]["count"] == 1
    assert backlog["fulfillment_pending"]["oldest_age_hours"] > 24 * 200
    assert list(answer("holds")["value"]) == ["order:manual"]
    assert answer("holds")["value"]["order:manual"]["count"] == 1
    assert answer("holds")["drilldown"]["ids"] == [past["o6"].pk]


def test_stockout_days_from_the_ledger(past):
    # SKU-A at A ended 03-10 with nothing (sold out at noon) and was restocked on 03-11
    assert answer("stockout_days")["value"] == {"sku_location_days": 1, "skus": 1}
    assert rows(answer("stockout_days", by="sku")) == {"SKU-A": 1}
    assert kpi_answer(key="stockout_days", params={"from": "2026-03-11", "to": "2026-03-12"})["value"]["sku_location_days"] == 0


def test_pick_productivity(past):
    # One pick list, one hour, two lines of three units, 120 m walked
    assert answer("pick_productivity")["value"] == {"pick_lists": 1, "picker_hours": 1.0, "lines_per_hour": 2.0,
                                                    "units_per_hour": 3.0, "metres_per_line": 60.0}


def test_every_kpi_answers_with_its_definition_and_a_drilldown(past):
    for key, kpi in REGISTRY.items():
        result = answer(key)
        assert result["definition"] == kpi.definition
        for by in kpi.dimensions:
            assert answer(key, by=by)["rows"] is not None, (key, by)
        if kpi.drilldown:
            assert result["drilldown"]["url"].startswith("/admin/")


@override_settings(TIME_ZONE="America/New_York")
def test_days_and_hours_are_the_merchants_local_ones(past):
    # Given the merchant in New York (UTC-4 in March): O2, placed 23:50 UTC on 03-10, is 19:50 local;
    # O5, placed at 00:00 UTC on 03-12, is 20:00 local on 03-11: inside the range now
    rollups_rebuild(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 20))
    # When the orders are counted by local hour
    # Then O4 (19:59 local on 03-09) stays out and O5 comes in
    assert rows(answer("orders", by="hour")) == {4: 0, 5: 1, 6: 1, 19: 1, 20: 1}
    assert answer("units")["value"] == 11


def test_every_drilldown_opens_its_console_list_filtered(past, admin_client):
    # Given a manager looking at any KPI over the range, filtered by channel
    for key, kpi in REGISTRY.items():
        params = {"channel": "web"} if "channel" in kpi.filters else {}
        link = answer(key, **params)["drilldown"]
        # When they follow its drill-down
        response = admin_client.get(link["url"])
        # Then the console list opens and lists the rows the drill-down names
        assert response.status_code == 200, (key, link["url"], response.status_code, response.get("Location"))
        assert response.context["cl"].result_count == len(link["ids"]), key


def test_days_of_supply_stockouts_and_dead_stock_and_the_drilldown_from_the_same_answer(past, monkeypatch):
    # Given at location A: SKU-A 3 available, SKU-B none, SKU-D 4 that sold nothing; SKU-C has no stock row
    from inventory.models import Product, StockLevel
    from reports.kpis import inventory

    from ..factories import ProductFactory

    for sku, on_hand in (("SKU-A", 3), ("SKU-B", 0), ("SKU-D", 4)):
        product = Product.objects.filter(sku=sku).first() or ProductFactory(sku=sku)
        StockLevel.objects.create(product=product, location=past["a"], on_hand=on_hand)
    computed = []
    real = inventory._sold_per_sku
    monkeypatch.setattr(inventory, "_sold_per_sku", lambda filters: computed.append(filters) or real(filters))

    # When days of supply is asked for the two days (A 3 ordered, B 2, C 2)
    result = answer("days_of_supply", by="sku")

    # Then A lasts 3 / (3 / 2) = 2 days, B and C sell with nothing to sell, D is dead stock,
    # and the drill-down lists B and C from that answer (the figures were computed once)
    assert rows(result)["SKU-A"] == {"available": 3, "units_sold": 3, "turnover": 1.0, "days_of_supply": 2.0}
    assert result["value"]["stocked_out_skus"] == ["SKU-B", "SKU-C"] and result["value"]["dead_stock_skus"] == ["SKU-D"]
    assert set(Product.objects.filter(pk__in=result["drilldown"]["ids"]).values_list("sku", flat=True)) == {"SKU-B", "SKU-C"}
    assert len(computed) == 1


def test_return_rate_and_units_by_category_read_the_products_categories_now(past):
    # Given SKU-A and SKU-B in "Footwear" and SKU-C with no category (set after the rollups ran:
    # a report splits by the catalogue's categories as they are now)
    from inventory.models import Product

    Product.objects.filter(sku__in=["SKU-A", "SKU-B"]).update(category="Footwear")

    # When return rate and units are split by category, and return rate is filtered to one
    by_category = rows(answer("return_rate", by="category"))
    units = rows(answer("sku_units", by="category"))
    footwear = answer("return_rate", category="Footwear")

    # Then Footwear sold 3 (A) + 2 (B) and got 1 back; SKU-C's 2 units are uncategorised, none back
    assert by_category == {"Footwear": {"rate": 20.0, "units_returned": 1, "units_sold": 5}}
    assert units == {"Footwear": 5, "(no category)": 2}
    assert footwear["value"] == {"rate": 20.0, "units_returned": 1, "units_sold": 5}
    assert footwear["filters_applied"] == {"category": "Footwear"}


def test_a_category_no_product_has_is_refused_with_what_to_fix(past):
    from oms.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        answer("return_rate", category="Shoes")
    assert "No products in the category 'Shoes'" in str(refused.value)


def test_aged_stock_is_first_in_first_out_from_the_arrivals(past):
    # Given at wh-b: AGE-1 (cost 2.50) received 10 units 400 days ago, shipped 6 200 days ago, then
    # received 2 (100 days ago) and 1 (10 days ago): 7 on hand; AGE-2 (no cost) 2 received 200 days ago
    from django.utils import timezone

    from inventory.models import StockLevel, StockMovement

    from ..factories import ProductFactory

    now = timezone.now()
    one, two = ProductFactory(sku="AGE-1", cost=Decimal("2.50"), category="Garden"), ProductFactory(sku="AGE-2", cost=None)
    for product, moves in ((one, ((10, 400), (-6, 200), (2, 100), (1, 10))), (two, ((2, 200),))):
        for delta, days_ago in moves:
            StockMovement.objects.create(kind="receipt" if delta > 0 else "shipment", product=product, location=past["b"],
                                         on_hand_delta=delta, created_at=now - datetime.timedelta(days=days_ago))
        StockLevel.objects.create(product=product, location=past["b"], on_hand=sum(delta for delta, _ in moves))

    # When aged stock is asked for wh-b, whole and by category
    result = answer("stock_age", location="wh-b")
    garden = rows(answer("stock_age", location="wh-b", by="category"))["Garden"]

    # Then the 7 units on hand are the newest arrivals: 1 (10 days), 2 (100 days) and 4 of the 10
    # (400 days); AGE-2's 2 are 200 days old, without a cost; both levels hold stock over 180 days
    assert result["value"] == {
        "0-30 days": {"units": 1, "value_at_cost": "USD 2.50", "units_without_cost": 0},
        "31-90 days": {"units": 0, "value_at_cost": "—", "units_without_cost": 0},
        "91-180 days": {"units": 2, "value_at_cost": "USD 5.00", "units_without_cost": 0},
        "181-365 days": {"units": 2, "value_at_cost": "—", "units_without_cost": 2},
        "over 365 days": {"units": 4, "value_at_cost": "USD 10.00", "units_without_cost": 0},
    }
    assert result["aged_levels"] == 2
    assert "aged_level_keys" not in result
    assert set(StockLevel.objects.filter(pk__in=result["drilldown"]["ids"]).values_list("product__sku", flat=True)) == {"AGE-1", "AGE-2"}
    assert {bucket: cell["units"] for bucket, cell in garden.items()} == {"0-30 days": 1, "31-90 days": 0, "91-180 days": 2,
                                                                    "181-365 days": 0, "over 365 days": 4}
