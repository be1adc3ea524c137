"""Listing orders: filters, a chosen ordering, exact cursor pages, and a query count independent of page size."""

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order

from ..factories import ChannelFactory, place_order
from .support import error_of

pytestmark = pytest.mark.django_db


def _numbers(api, **params) -> list[str]:
    response = api.get("/api/v1/orders/", params)
    assert response.status_code == 200, response.json()
    return [order["number"] for order in response.json()["results"]]


def _all_pages(api, **params) -> list[dict]:
    """Every order the list yields, following ``next`` to the end."""
    response = api.get("/api/v1/orders/", params)
    seen = []
    while True:
        assert response.status_code == 200, response.json()
        seen += response.json()["results"]
        if response.json()["next"] is None:
            return seen
        response = api.get(response.json()["next"])


def test_given_orders_when_filtered_by_payment_status_external_id_email_and_hold_reason_then_only_matches_are_listed(api, stocked):
    stocked("SKU-A", 20)
    paid = place_order([("SKU-A", 1)], external_id="SHOP-1", email="grace@example.com")
    unpaid = place_order([("SKU-A", 1)], payment_status="pending", email="ada@example.com")
    unknown_sku = place_order([("NOPE", 1)], email="ada@example.com")

    assert set(_numbers(api, payment_status="paid")) == {paid.number, unknown_sku.number}
    assert _numbers(api, external_id="SHOP-1") == [paid.number]
    assert set(_numbers(api, email="ADA@example.com")) == {unpaid.number, unknown_sku.number}
    assert _numbers(api, hold_reason="payment") == [unpaid.number]
    assert _numbers(api, hold_reason="stock") == [unknown_sku.number]
    assert _numbers(api, hold_reason="fraud_risk") == []


def test_given_a_released_hold_when_filtered_by_its_reason_then_the_order_is_no_longer_listed(api, stocked):
    stocked("SKU-A", 20)
    order = place_order([("SKU-A", 1)], payment_status="pending")
    api.post(f"/api/v1/orders/{order.number}/release/", {}, format="json")

    assert _numbers(api, hold_reason="payment") == []


def test_given_orders_changed_at_different_times_when_filtered_by_updated_range_then_only_those_in_range_are_listed(api, stocked):
    stocked("SKU-A", 20)
    old, recent = place_order([("SKU-A", 1)]), place_order([("SKU-A", 1)])
    Order.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    yesterday = (timezone.now() - timedelta(days=1)).isoformat()

    assert _numbers(api, updated_after=yesterday) == [recent.number]
    assert _numbers(api, updated_before=yesterday) == [old.number]


@pytest.mark.parametrize("params", [{"payment_status": "maybe"}, {"hold_reason": "boredom"}, {"updated_after": "soon"}])
def test_when_a_new_filter_has_a_bad_value_then_400_names_it(api, db, params):
    response = api.get("/api/v1/orders/", params)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def _orders_with_totals(totals: list[str]) -> list[Order]:
    return [place_order([("SKU-A", 1, total)], shipping_price=Decimal(0)) for total in totals]


def test_given_many_orders_of_equal_total_when_paged_by_grand_total_then_each_order_is_listed_exactly_once_in_order(api, stocked):
    stocked("SKU-A", 50)
    orders = _orders_with_totals(["30.00", "20.00", "20.00", "20.00", "20.00", "20.00", "10.00", "20.00"])

    ascending = _all_pages(api, ordering="grand_total", page_size=2)
    descending = _all_pages(api, ordering="-grand_total", page_size=3)

    by_total_then_id = sorted(orders, key=lambda o: (Order.objects.get(pk=o.pk).grand_total, o.pk))
    assert [o["number"] for o in ascending] == [o.number for o in by_total_then_id]
    assert [o["number"] for o in descending] == [o.number for o in reversed(by_total_then_id)]


def test_given_orders_created_at_the_same_instant_when_paged_by_created_at_then_none_is_skipped_or_repeated(api, stocked):
    stocked("SKU-A", 50)
    orders = [place_order([("SKU-A", 1)]) for _ in range(5)]
    same_instant = timezone.now() - timedelta(hours=1)
    Order.objects.filter(pk__in=[o.pk for o in orders[1:4]]).update(created_at=same_instant)

    listed = [o["number"] for o in _all_pages(api, ordering="created_at", page_size=2)]

    assert sorted(listed) == sorted(o.number for o in orders)
    assert listed[:3] == [o.number for o in orders[1:4]]


def test_given_a_second_page_when_its_previous_link_is_followed_then_the_first_page_comes_back(api, stocked):
    stocked("SKU-A", 50)
    _orders_with_totals(["5.00", "5.00", "5.00", "7.00", "9.00"])
    first = api.get("/api/v1/orders/", {"ordering": "-placed_at", "page_size": 2}).json()
    second = api.get(first["next"]).json()

    back = api.get(second["previous"]).json()

    assert [o["number"] for o in back["results"]] == [o["number"] for o in first["results"]]
    assert back["previous"] is None


def test_given_orders_when_ordered_by_updated_at_then_the_most_recently_changed_comes_first(api, stocked):
    stocked("SKU-A", 50)
    first, second = place_order([("SKU-A", 1)]), place_order([("SKU-A", 1)])
    api.patch(f"/api/v1/orders/{first.number}/", {"note": "changed"}, format="json", HTTP_IF_MATCH="*")

    assert _numbers(api, ordering="-updated_at") == [first.number, second.number]


@pytest.mark.parametrize("ordering", ["email", "created_at,grand_total", "lines__sku", "-"])
def test_when_ordered_by_a_field_not_offered_then_400_lists_the_choices(api, db, ordering):
    response = api.get("/api/v1/orders/", {"ordering": ordering})

    assert response.status_code == 400
    assert "grand_total" in error_of(response)["fields"]["ordering"][0]


def test_when_a_cursor_of_another_ordering_is_used_then_400_rather_than_a_wrong_page(api, stocked):
    stocked("SKU-A", 50)
    _orders_with_totals(["1.00", "2.00", "3.00"])
    by_total = api.get("/api/v1/orders/", {"ordering": "grand_total", "page_size": 1}).json()["next"]
    cursor = by_total.split("cursor=")[1].split("&")[0]

    response = api.get("/api/v1/orders/", {"cursor": cursor, "ordering": "created_at", "page_size": 1})
    tampered = base64.b64encode(b'p=["not a number", "x"]').decode()
    edited = api.get("/api/v1/orders/", {"cursor": tampered, "ordering": "grand_total"})

    assert response.status_code == 400 and "cursor" in error_of(response)["fields"]
    assert edited.status_code == 400 and "cursor" in error_of(edited)["fields"]
    assert error_of(edited)["code"] == "invalid"


def test_given_many_orders_when_listed_with_pages_of_10_and_of_100_then_both_take_the_same_number_of_queries(api, stocked):
    stocked("SKU-A", 1000)
    stocked("SKU-B", 1000)
    ChannelFactory(code="pos", name="Store")
    for index in range(105):
        place_order([("SKU-A", 1), ("SKU-B", 2)], payment_status="pending" if index % 3 == 0 else "paid", channel="pos" if index % 2 else "web")
    api.get("/api/v1/orders/", {"page_size": 1})  # the key's first use writes its last-use stamp

    with CaptureQueriesContext(connection) as ten:
        assert len(_numbers(api, page_size=10, ordering="-grand_total")) == 10
    with CaptureQueriesContext(connection) as hundred:
        assert len(_numbers(api, page_size=100, ordering="-grand_total")) == 100

    assert len(hundred) == len(ten)
