"""The fulfillment-order API for a WMS or an operator tool: split, merge, hold and release."""

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from inventory.services import stock_receive

from ..api.conftest import api, client_for  # noqa: F401
from .fulfillment_support import east, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401

URL = "/api/v1/fulfillment-orders/"


def test_given_a_pending_fulfillment_order_when_units_are_split_to_another_location_then_a_new_one_ships_them_from_there(
    api, receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 10, warehouse)
    order = in_fulfillment([("SKU-A", 3)])  # only Chicago has stock when it is routed
    stock_receive(sku="SKU-A", location=east.code, quantity=5, actor="test")
    fo = FulfillmentOrder.objects.get(order=order)
    assert fo.location == warehouse
    line = fo.lines.get()

    response = api.post(
        f"{URL}{fo.number}/split/", {"lines": [{"line": line.pk, "quantity": 1}], "location": "newark"}, format="json",
        HTTP_IDEMPOTENCY_KEY="split-1",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["location"] == "newark" and [item["quantity"] for item in body["lines"]] == [1]
    assert fresh_fo(fo).lines.get().quantity == 2
    assert stock_at("SKU-A", warehouse) == (10, 2) and stock_at("SKU-A", east) == (5, 1)


def test_when_a_split_names_an_unknown_location_or_takes_everything_then_it_is_refused_and_nothing_moves(
    api, receive, warehouse, in_fulfillment
):
    receive("SKU-A", 10, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))
    line = fo.lines.get()

    unknown = api.post(f"{URL}{fo.number}/split/", {"lines": [{"line": line.pk, "quantity": 1}], "location": "nowhere"}, format="json")
    everything = api.post(f"{URL}{fo.number}/split/", {"lines": [{"line": line.pk, "quantity": 2}]}, format="json")
    malformed = api.post(f"{URL}{fo.number}/split/", {"lines": []}, format="json")

    assert unknown.status_code == 400 and "location" in unknown.json()["error"]["fields"]
    assert everything.status_code in (400, 409)
    assert malformed.status_code == 400 and "lines" in malformed.json()["error"]["fields"]
    assert FulfillmentOrder.objects.count() == 1 and stock_at("SKU-A", warehouse) == (10, 2)


def test_given_two_pending_fulfillment_orders_at_one_location_when_merged_then_one_remains_with_every_unit(
    api, receive, warehouse, in_fulfillment
):
    receive("SKU-A", 10, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 3)]))
    split = api.post(f"{URL}{fo.number}/split/", {"lines": [{"line": fo.lines.get().pk, "quantity": 1}]}, format="json").json()

    response = api.post(f"{URL}merge/", {"numbers": [fo.number, split["number"]]}, format="json", HTTP_IDEMPOTENCY_KEY="merge-1")

    assert response.status_code == 200
    assert response.json()["number"] == fo.number and sum(item["quantity"] for item in response.json()["lines"]) == 3
    assert FulfillmentOrder.objects.get(number=split["number"]).status == FulfillmentStatus.CANCELLED
    assert api.post(f"{URL}merge/", {"numbers": [fo.number]}, format="json").status_code == 400


def test_a_held_fulfillment_order_cannot_be_picked_until_it_is_released_over_the_api(api, receive, warehouse, in_fulfillment):
    receive("SKU-A", 10, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)]))

    held = api.post(f"{URL}{fo.number}/hold/", {"reason": "address_check", "detail": "PO box"}, format="json")
    again = api.post(f"{URL}{fo.number}/hold/", {"reason": "address_check"}, format="json")
    bad_reason = api.post(f"{URL}{fo.number}/hold/", {"reason": "bored"}, format="json")

    assert held.status_code == 200 and held.json()["is_held"] is True
    assert [hold["reason"] for hold in held.json()["holds"]] == ["address_check"]
    assert again.status_code == 409
    assert bad_reason.status_code == 400 and "reason" in bad_reason.json()["error"]["fields"]

    released = api.post(f"{URL}{fo.number}/release/", {"note": "address confirmed"}, format="json")
    nothing_left = api.post(f"{URL}{fo.number}/release/", {}, format="json")

    assert released.status_code == 200 and released.json()["is_held"] is False and released.json()["holds"] == []
    assert nothing_left.status_code == 409 and nothing_left.json()["error"]["code"] == "no_hold"
