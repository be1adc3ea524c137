"""Stock over the API: levels, the ledger feed, availability per channel, ERP count snapshots,
and the low-stock event."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import ChannelStockRule, StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import stock_adjust, stock_quarantine, stock_receive, stock_set_safety
from oms.models import DomainEvent

from ..factories import LocationFactory, ProductFactory, place_order
from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def boston(db):
    return LocationFactory(code="boston", name="Boston DC", city="Boston", latitude=42.36, longitude=-71.06)


@pytest.fixture
def store(db):
    return LocationFactory(code="nyc-store", name="NYC store", can_ship=False, can_pick_up=True)


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def _low_events(sku: str | None = None) -> list[dict]:
    events = DomainEvent.objects.filter(name="stock.low").order_by("id")
    return [e.payload for e in events if sku is None or e.payload["sku"] == sku]


# --- levels ------------------------------------------------------------------------------------


def test_given_stock_at_two_locations_when_levels_are_filtered_by_sku_and_location_then_only_those_rows(api, stocked, warehouse, boston):
    stocked("SKU-A", 5)
    stocked("SKU-B", 7)
    stock_receive(sku="SKU-A", location="boston", quantity=2, actor="test")

    by_sku = _rows(api.get("/api/v1/stock/", {"sku": "SKU-A"}))
    at_boston = _rows(api.get("/api/v1/stock/", {"location": "boston"}))

    assert sorted((r["location"], r["on_hand"], r["available"]) for r in by_sku) == [("boston", 2, 2), ("chicago", 5, 5)]
    assert [(r["sku"], r["location"]) for r in at_boston] == [("SKU-A", "boston")]


def test_given_products_with_thresholds_when_levels_are_filtered_below_threshold_then_only_low_skus(api, stocked):
    stocked("LOW", 3, low_stock_threshold=5)
    stocked("FINE", 30, low_stock_threshold=5)
    stocked("UNWATCHED", 0)
    StockLevel.objects.create(product=ProductFactory(sku="UNWATCHED"), location=StockLevel.objects.first().location)

    assert [r["sku"] for r in _rows(api.get("/api/v1/stock/", {"below_threshold": "true"}))] == ["LOW"]
    assert sorted(r["sku"] for r in _rows(api.get("/api/v1/stock/", {"below_threshold": "false"}))) == ["FINE", "UNWATCHED"]


def test_given_stock_rows_changed_at_different_times_when_filtered_by_updated_after_then_only_recent_rows(api, stocked):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5)
    StockLevel.objects.filter(product__sku="SKU-A").update(updated_at=timezone.now() - timedelta(days=2))

    recent = _rows(api.get("/api/v1/stock/", {"updated_after": (timezone.now() - timedelta(days=1)).isoformat()}))

    assert [r["sku"] for r in recent] == ["SKU-B"]


@pytest.mark.parametrize("page_size", [10, 100])
def test_when_a_page_of_stock_levels_is_listed_then_the_query_count_does_not_grow(api, warehouse, page_size):
    for n in range(page_size):
        StockLevel.objects.create(product=ProductFactory(sku=f"P-{n:03d}", low_stock_threshold=n % 3), location=warehouse, on_hand=0)
    api.get("/api/v1/stock/", {"page_size": 1})

    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/stock/", {"page_size": 1, "below_threshold": "true"})
    with CaptureQueriesContext(connection) as page:
        rows = _rows(api.get("/api/v1/stock/", {"page_size": page_size, "below_threshold": "true"}))

    assert len(rows) == page_size - len(range(0, page_size, 3))
    assert len(page) == len(one)


# --- the ledger feed -----------------------------------------------------------------------------


def test_given_a_ledger_when_followed_then_movements_come_oldest_first_and_next_brings_later_ones(api, stocked):
    stocked("SKU-A", 5)
    stock_adjust(sku="SKU-A", location="chicago", quantity=-1, reason="broken", reference="CNT-1", actor="test")

    first = api.get("/api/v1/stock/movements/", {"page_size": 10}).json()
    caught_up = api.get(first["next"]).json()
    stock_receive(sku="SKU-A", location="chicago", quantity=3, reference="PO-9", actor="test")
    followed = api.get(caught_up["next"]).json()

    assert [(m["type"], m["quantity"]) for m in first["results"]] == [("receipt", 5), ("adjustment", -1)]
    assert caught_up["results"] == []
    assert [(m["type"], m["quantity"], m["reference"]) for m in followed["results"]] == [("receipt", 3, "PO-9")]


def test_given_movements_of_several_kinds_when_the_ledger_is_filtered_then_only_matching_rows(api, stocked, boston):
    stocked("SKU-A", 5)
    stocked("SKU-B", 4)
    stock_receive(sku="SKU-A", location="boston", quantity=2, reference="PO-7", actor="test")
    stock_adjust(sku="SKU-A", location="chicago", quantity=-1, reason="count", actor="test")

    assert [(m["sku"], m["location"]) for m in _rows(api.get("/api/v1/stock/movements/", {"sku": "SKU-A", "type": "receipt"}))] == [
        ("SKU-A", "chicago"), ("SKU-A", "boston")
    ]
    assert [m["reference"] for m in _rows(api.get("/api/v1/stock/movements/", {"reference": "PO-7"}))] == ["PO-7"]
    assert [m["type"] for m in _rows(api.get("/api/v1/stock/movements/", {"location": "chicago", "sku": "SKU-A"}))] == ["receipt", "adjustment"]
    future = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert _rows(api.get("/api/v1/stock/movements/", {"created_after": future})) == []
    assert len(_rows(api.get("/api/v1/stock/movements/", {"created_before": future}))) == 4


def test_given_an_order_when_the_ledger_is_read_then_the_reservation_shows_its_reserved_delta(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    (row,) = _rows(api.get("/api/v1/stock/movements/", {"type": "reservation"}))

    assert (row["reference"], row["quantity"], row["reserved_delta"]) == (order.number, 0, 2)


@pytest.mark.parametrize("page_size", [10, 100])
def test_when_a_page_of_the_ledger_is_read_then_the_query_count_does_not_grow(api, warehouse, page_size):
    for n in range(page_size):
        ProductFactory(sku=f"P-{n:03d}")
    for n in range(page_size):
        stock_receive(sku=f"P-{n:03d}", location="chicago", quantity=1, actor="test")
    api.get("/api/v1/stock/movements/", {"page_size": 1})

    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/stock/movements/", {"page_size": 1})
    with CaptureQueriesContext(connection) as page:
        assert len(_rows(api.get("/api/v1/stock/movements/", {"page_size": page_size}))) == page_size

    assert len(page) == len(one)


# --- availability per channel ------------------------------------------------------------------------


def test_given_no_rule_for_a_channel_when_its_availability_is_asked_then_it_is_the_plain_figure(api, stocked, boston):
    stocked("SKU-A", 5)
    stock_receive(sku="SKU-A", location="boston", quantity=3, actor="test")

    plain = api.get("/api/v1/stock/SKU-A/").json()
    web = api.get("/api/v1/stock/SKU-A/", {"channel": "web"}).json()

    assert (plain["available_to_promise"], plain["channel"]) == (8, None)
    assert (web["available_to_promise"], web["channel"]) == (8, "web")


def test_given_a_rule_with_locations_share_and_buffer_when_availability_is_asked_then_the_rule_applies(api, stocked, boston, store):
    stocked("SKU-A", 10)  # chicago
    stock_receive(sku="SKU-A", location="boston", quantity=7, actor="test")
    stock_receive(sku="SKU-A", location="nyc-store", quantity=4, actor="test")
    marketplace = ChannelStockRule.objects.create(channel_code="amazon", share_percent=50, buffer_units=2)
    marketplace.locations.set([boston])
    pos = ChannelStockRule.objects.create(channel_code="pos")
    pos.locations.set([store])
    ChannelStockRule.objects.create(channel_code="web", buffer_units=1)

    amazon = api.get("/api/v1/stock/SKU-A/", {"channel": "amazon"}).json()
    till = api.get("/api/v1/stock/SKU-A/", {"channel": "pos"}).json()
    web = api.get("/api/v1/stock/SKU-A/", {"channel": "web"}).json()

    # boston only: 7 units, half rounded down is 3, less 2 held back
    assert amazon["available_to_promise"] == 1
    assert [loc["location"] for loc in amazon["locations"]] == ["boston"]
    # a store that does not ship still sells over its counter when a rule names it
    assert till["available_to_promise"] == 4
    # no locations named: every shipping location (not the store), less 1 held back
    assert web["available_to_promise"] == 10 + 7 - 1
    assert api.get("/api/v1/stock/SKU-A/").json()["available_to_promise"] == 17


def test_given_a_buffer_larger_than_the_stock_when_availability_is_asked_then_it_is_zero_not_negative(api, stocked):
    stocked("SKU-A", 2)
    ChannelStockRule.objects.create(channel_code="web", buffer_units=5)

    assert api.get("/api/v1/stock/SKU-A/", {"channel": "web"}).json()["available_to_promise"] == 0


def test_given_many_skus_when_bulk_availability_is_asked_for_a_channel_then_each_comes_in_order_with_unknowns_named(api, stocked, boston):
    stocked("SKU-A", 10)
    stocked("SKU-B", 0)
    stock_receive(sku="SKU-B", location="boston", quantity=6, actor="test")
    rule = ChannelStockRule.objects.create(channel_code="amazon", share_percent=50)
    rule.locations.set([boston])

    response = api.get("/api/v1/atp/", {"skus": "SKU-B,NOPE,SKU-A", "channel": "amazon"})
    plain = api.get("/api/v1/atp/", {"skus": "SKU-A,SKU-B"})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "channel": "amazon",
        "results": [{"sku": "SKU-B", "available_to_promise": 3, "incoming": 0}, {"sku": "SKU-A", "available_to_promise": 0, "incoming": 0}],
        "unknown_skus": ["NOPE"],
    }
    assert [r["available_to_promise"] for r in plain.json()["results"]] == [10, 6]


def test_when_bulk_availability_is_asked_for_more_skus_then_the_query_count_stays_the_same(api, stocked):
    for n in range(30):
        stocked(f"P-{n:02d}", 1)
    ChannelStockRule.objects.create(channel_code="web", buffer_units=1)
    api.get("/api/v1/atp/", {"skus": "P-00"})

    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/atp/", {"skus": "P-00,P-01", "channel": "web"})
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/atp/", {"skus": ",".join(f"P-{n:02d}" for n in range(30)), "channel": "web"})

    assert len(many) == len(few)


@pytest.mark.parametrize("params", [{}, {"skus": ","}, {"skus": ",".join(f"S{n}" for n in range(501))}], ids=["none", "empty", "too many"])
def test_when_bulk_availability_is_asked_without_a_sensible_sku_list_then_400(api, params):
    response = api.get("/api/v1/atp/", params)

    assert response.status_code == 400
    assert "skus" in error_of(response)["fields"]


# --- snapshots ----------------------------------------------------------------------------------------


def _snapshot(api, items, key="snap-1", **extra):
    body = {"location": "chicago", "reference": "ERP-COUNT-1", "items": items, **extra}
    return api.post("/api/v1/stock/snapshots/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_given_stock_and_an_order_when_a_snapshot_arrives_then_good_items_apply_and_bad_ones_are_reported(api, stocked):
    stocked("UP", 5)
    stocked("DOWN", 10)
    stocked("SAME", 4)
    stocked("HELD", 6)
    place_order([("HELD", 5)])
    ProductFactory(sku="NEW")

    response = _snapshot(
        api,
        [
            {"sku": "UP", "on_hand": 8}, {"sku": "DOWN", "on_hand": 7}, {"sku": "SAME", "on_hand": 4}, {"sku": "NEW", "on_hand": 3},
            {"sku": "GHOST", "on_hand": 1}, {"sku": "HELD", "on_hand": 2}, {"sku": "UP", "on_hand": 1}, {"sku": "DOWN", "on_hand": -1},
        ],
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["applied"], body["unchanged"], body["skipped"]) == (3, 1, 4)
    assert [(i["sku"], i["status"], i["delta"]) for i in body["items"][:4]] == [("UP", "applied", 3), ("DOWN", "applied", -3), ("SAME", "unchanged", 0), ("NEW", "applied", 3)]
    assert [(i["sku"], i["error"]["code"]) for i in body["items"][4:]] == [
        ("GHOST", "unknown_sku"), ("HELD", "below_committed"), ("UP", "duplicate_sku"), ("DOWN", "duplicate_sku")
    ]
    on_hand = dict(StockLevel.objects.filter(location__code="chicago").values_list("product__sku", "on_hand"))
    assert on_hand == {"UP": 8, "DOWN": 7, "SAME": 4, "NEW": 3, "HELD": 6}
    corrections = StockMovement.objects.filter(kind=StockMovement.Kind.COUNT_CORRECTION, reference="ERP-COUNT-1")
    assert sorted(corrections.values_list("product__sku", "on_hand_delta")) == [("DOWN", -3), ("NEW", 3), ("UP", 3)]
    assert ledger_mismatches() == []


def test_when_a_snapshot_counts_a_negative_number_then_that_item_is_skipped(api, stocked):
    stocked("SKU-A", 5)

    body = _snapshot(api, [{"sku": "SKU-A", "on_hand": -2}]).json()

    assert (body["skipped"], body["items"][0]["error"]["code"]) == (1, "negative")
    assert StockLevel.objects.get().on_hand == 5


def test_given_a_snapshot_applied_when_it_is_sent_again_with_the_same_key_then_nothing_changes_twice(api, stocked):
    stocked("SKU-A", 5)

    first = _snapshot(api, [{"sku": "SKU-A", "on_hand": 2}])
    stock_receive(sku="SKU-A", location="chicago", quantity=10, actor="test")
    again = _snapshot(api, [{"sku": "SKU-A", "on_hand": 2}])

    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert StockLevel.objects.get().on_hand == 12


def test_given_sales_after_the_count_when_the_snapshot_arrives_late_then_they_are_not_undone(api, stocked):
    stocked("SKU-A", 10)
    counted_at = timezone.now()
    stock_adjust(sku="SKU-A", location="chicago", quantity=-3, reason="sold at the counter", actor="test")

    body = _snapshot(api, [{"sku": "SKU-A", "on_hand": 9}], counted_at=counted_at.isoformat()).json()

    # counted 9 before 3 left: 6 now
    assert (body["items"][0]["on_hand"], body["items"][0]["delta"]) == (6, -1)
    assert StockLevel.objects.get().on_hand == 6
    assert ledger_mismatches() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"location": "nowhere", "items": [{"sku": "SKU-A", "on_hand": 1}]}, "location"),
        ({"location": "chicago", "items": []}, "items"),
        ({"location": "chicago", "items": [{"sku": "SKU-A", "on_hand": 1}] * 5001}, "items"),
        ({"location": "chicago", "counted_at": "2999-01-01T00:00:00Z", "items": [{"sku": "SKU-A", "on_hand": 1}]}, "counted_at"),
    ],
    ids=["unknown location", "no items", "too many items", "counted in the future"],
)
def test_when_a_snapshot_is_malformed_then_400_and_nothing_changes(api, stocked, body, field):
    stocked("SKU-A", 5)

    response = api.post("/api/v1/stock/snapshots/", body, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert StockLevel.objects.get().on_hand == 5


def test_when_snapshots_of_20_and_1000_items_are_applied_then_both_take_the_same_few_queries(api, warehouse):
    for n in range(1000):
        ProductFactory(sku=f"P-{n:04d}")
    api.get("/api/v1/locations/")

    def queries(count: int, on_hand: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = _snapshot(api, [{"sku": f"P-{n:04d}", "on_hand": on_hand} for n in range(count)], key=f"snap-{count}")
        assert response.json()["applied"] == count
        return len(captured)

    small, large = queries(20, 5), queries(1000, 7)

    assert large == small
    assert large <= 20
    assert ledger_mismatches() == []


# --- low stock -------------------------------------------------------------------------------------------


def test_given_a_threshold_when_orders_take_the_stock_to_it_then_stock_low_is_recorded_once(api, stocked):
    product = stocked("SKU-A", 10, low_stock_threshold=5)

    place_order([("SKU-A", 4)])  # 6 left: still above
    assert _low_events() == []
    place_order([("SKU-A", 2)])  # 4 left: crossed
    place_order([("SKU-A", 1)])  # 3 left: still low, no second event

    assert _low_events() == [{"sku": "SKU-A", "atp": 4, "threshold": 5}]
    assert DomainEvent.objects.get(name="stock.low").stream == f"product:{product.pk}"


def test_given_low_stock_when_it_recovers_and_falls_again_then_a_second_event_is_recorded(stocked):
    stocked("SKU-A", 6, low_stock_threshold=5)
    stock_adjust(sku="SKU-A", location="chicago", quantity=-2, reason="broken", actor="test")
    stock_receive(sku="SKU-A", location="chicago", quantity=10, actor="test")

    stock_quarantine(sku="SKU-A", location="chicago", quantity=9, reason="water damage", actor="test")

    assert [e["atp"] for e in _low_events()] == [4, 5]


def test_given_a_threshold_when_safety_stock_or_a_snapshot_takes_stock_low_then_stock_low_is_recorded(api, stocked):
    stocked("SAFE", 10, low_stock_threshold=3)
    stocked("COUNT", 10, low_stock_threshold=3)

    stock_set_safety(sku="SAFE", location="chicago", safety_stock=8, actor="test")
    _snapshot(api, [{"sku": "COUNT", "on_hand": 2}])

    assert _low_events("SAFE") == [{"sku": "SAFE", "atp": 2, "threshold": 3}]
    assert _low_events("COUNT") == [{"sku": "COUNT", "atp": 2, "threshold": 3}]


def test_given_no_threshold_when_stock_runs_out_then_no_low_stock_event(stocked):
    stocked("SKU-A", 3)

    place_order([("SKU-A", 2)])
    stock_quarantine(sku="SKU-A", location="chicago", quantity=1, reason="torn", actor="test")

    assert _low_events() == []


@pytest.mark.django_db(transaction=True)
def test_when_an_order_reserves_a_product_without_a_threshold_then_no_query_is_added(stocked, web_channel, process_caches_held):
    stocked("PLAIN", 50)
    stocked("WATCHED", 50, low_stock_threshold=1)
    place_order([("PLAIN", 1)])
    place_order([("WATCHED", 1)])

    with CaptureQueriesContext(connection) as plain:
        place_order([("PLAIN", 1)])
    with CaptureQueriesContext(connection) as watched:
        place_order([("WATCHED", 1)])

    assert len(plain) == len(watched)
