"""Changing an order through the API: details (PATCH) and lines (PUT), with their audit and events."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel
from oms.models import DomainEvent
from orders.models import HoldReason, Order, OrderEvent, OrderStatus
from orders.services import order_hold_place, order_ship, order_start_fulfillment
from orders.services.audit import order_stream

from ..factories import address, place_order
from .support import error_of

pytestmark = pytest.mark.django_db

SOUND_ADDRESS = {"name": "Ada Lovelace", "line1": "1 Pike Street", "city": "Seattle", "region": "WA", "postal_code": "98101", "country": "us"}


def _etag(order) -> str:
    return f'"{Order.objects.get(pk=order.pk).version}"'


def _patch(api, order, body):
    return api.patch(f"/api/v1/orders/{order.number}/", body, format="json", HTTP_IF_MATCH=_etag(order))


def _put_lines(api, order, lines):
    body = {"lines": [{"sku": sku, "quantity": quantity, "unit_price": price} for sku, quantity, price in lines]}
    return api.put(f"/api/v1/orders/{order.number}/lines/", body, format="json", HTTP_IF_MATCH=_etag(order))


def _stream(order) -> list[tuple[int, str]]:
    return list(DomainEvent.objects.filter(stream=order_stream(order.pk)).order_by("sequence").values_list("sequence", "name"))


# --- details -----------------------------------------------------------------------------------


def test_given_an_allocated_order_when_its_address_email_and_note_change_then_they_are_saved_and_the_destination_follows(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = _patch(api, order, {"shipping_address": SOUND_ADDRESS, "email": " Ada@Example.COM ", "note": "ring twice"})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["shipping_address"]["city"] == "Seattle"
    assert body["shipping_address"]["country"] == "US"
    assert body["email"] == "ada@example.com"
    assert body["note"] == "ring twice"
    assert body["status"] == "allocated"
    order.refresh_from_db()
    assert order.ship_country == "US"
    assert order.destination_latitude == pytest.approx(47.6, abs=0.5)
    assert order.destination_longitude == pytest.approx(-122.3, abs=0.5)


def test_when_an_order_changes_then_the_audit_trail_has_the_old_and_new_values_and_who_changed_them(client_for, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], email="old@example.com")
    client = client_for("orders:write")

    _patch(client, order, {"email": "new@example.com"})

    event = OrderEvent.objects.filter(order=order).latest("id")
    assert event.data["changes"] == {"email": {"from": "old@example.com", "to": "new@example.com"}}
    assert event.actor_label == f"api:{client.key_name}"


def test_when_an_order_changes_then_order_updated_is_recorded_with_the_next_sequence_of_its_stream(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    before = _stream(order)

    _patch(api, order, {"note": "fragile"})

    after = _stream(order)
    assert after[:-1] == before
    assert after[-1] == (before[-1][0] + 1, "order.updated")
    event = DomainEvent.objects.get(stream=order_stream(order.pk), name="order.updated")
    assert event.payload["changed"] == ["note"]
    assert event.payload["version"] == Order.objects.get(pk=order.pk).version


def test_when_a_change_repeats_the_stored_values_then_nothing_is_recorded_and_the_version_stays(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], email="same@example.com")
    version, trail = Order.objects.get(pk=order.pk).version, OrderEvent.objects.filter(order=order).count()

    response = _patch(api, order, {"email": "same@example.com"})

    assert response.status_code == 200
    assert response.json()["version"] == version
    assert OrderEvent.objects.filter(order=order).count() == trail


def test_given_a_sound_order_when_its_new_shipping_address_is_incomplete_then_it_goes_on_an_address_hold(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = _patch(api, order, {"shipping_address": {"country": "US", "city": "Seattle"}})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "on_hold"
    assert [hold["reason"] for hold in body["holds"]] == ["address"]
    assert "street line missing" in body["holds"][0]["detail"]
    # A held order keeps what it reserved while a person looks at it.
    assert body["lines"][0]["quantity_reserved"] == 1
    assert [name for _, name in _stream(order)][-2:] == ["order.updated", "order.held"]


def test_given_an_address_hold_when_the_address_is_corrected_then_the_hold_is_released_and_the_order_allocated(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], shipping_address=address(line1=""))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD

    response = _patch(api, order, {"shipping_address": SOUND_ADDRESS})

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "allocated"
    assert response.json()["holds"] == []
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 1


def test_given_an_address_hold_and_a_payment_hold_when_the_address_is_corrected_then_the_order_stays_on_hold_for_payment(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], shipping_address=address(line1=""), payment_status="pending")

    response = _patch(api, order, {"shipping_address": SOUND_ADDRESS})

    assert response.json()["status"] == "on_hold"
    assert [hold["reason"] for hold in response.json()["holds"]] == ["payment"]


@pytest.mark.parametrize("advance", ["start_fulfillment", "ship", "cancel"])
def test_given_an_order_past_allocation_when_its_details_change_then_409_says_why_and_nothing_changes(api, stocked, advance):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    if advance == "cancel":
        api.post(f"/api/v1/orders/{order.number}/cancel/", format="json")
    else:
        order_start_fulfillment(order_id=order.pk, actor="test")
        if advance == "ship":
            order_ship(order_id=order.pk, actor="test")

    response = _patch(api, order, {"note": "too late"})

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_editable"
    assert "can only change while it is pending, on hold, backordered, allocated" in error["message"]
    assert Order.objects.get(pk=order.pk).note == ""


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-address"}, "email"),
        ({"shipping_address": {"country": "XX"}}, "shipping_address.country"),
        ({"shipping_address": {"country": "US", "phone": "call me"}}, "shipping_address.phone"),
        ({"shipping_address": None}, "shipping_address"),
        ({"status": "shipped"}, "status"),
        ({}, "non_field_errors"),
    ],
)
def test_when_a_change_is_malformed_then_400_names_the_field_and_nothing_changes(api, stocked, body, field):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    version = Order.objects.get(pk=order.pk).version

    response = _patch(api, order, body)

    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert Order.objects.get(pk=order.pk).version == version


def test_when_the_billing_address_is_set_to_null_then_the_order_has_none(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], billing_address=address(city="Cambridge"))

    response = _patch(api, order, {"billing_address": None})

    assert response.status_code == 200
    assert response.json()["billing_address"] is None


def test_when_a_change_is_sent_with_a_read_only_key_then_403(client_for, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = _patch(client_for("orders:read"), order, {"note": "x"})

    assert response.status_code == 403


# --- lines -------------------------------------------------------------------------------------


def test_given_an_order_on_hold_with_reserved_stock_when_its_lines_are_replaced_then_stock_is_released_totals_recomputed_and_it_stays_held(api, stocked):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5)
    order = place_order([("SKU-A", 2)])
    order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, detail="customer called", actor="test")
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2

    response = _put_lines(api, order, [("SKU-B", 3, "20.00"), ("SKU-A", 1, "20.00")])

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "on_hold"
    assert [(line["line_number"], line["sku"], line["quantity"], line["quantity_reserved"]) for line in body["lines"]] == [
        (1, "SKU-B", 3, 0),
        (2, "SKU-A", 1, 0),
    ]
    assert body["subtotal"] == "80.00"
    assert body["grand_total"] == str(Decimal("80.00") + Decimal(body["shipping_price"]))
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0


def test_given_a_payment_hold_when_lines_are_replaced_and_then_payment_released_then_the_new_lines_are_allocated(api, stocked):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")
    _put_lines(api, order, [("SKU-B", 4, "20.00")])

    response = api.post(f"/api/v1/orders/{order.number}/release/", {"reason": "payment"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "allocated"
    assert StockLevel.objects.get(product__sku="SKU-B").reserved == 4
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0


def test_when_lines_are_replaced_then_the_audit_has_old_and_new_lines_and_order_updated_follows_in_the_stream(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")
    before = _stream(order)

    _put_lines(api, order, [("SKU-A", 1, "19.50")])

    event = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.LINE).get()
    assert event.data["from"] == [{"sku": "SKU-A", "quantity": 2, "unit_price": "20.00", "discount": "0.00", "tax": "0.00"}]
    assert event.data["to"] == [{"sku": "SKU-A", "quantity": 1, "unit_price": "19.50", "discount": "0.00", "tax": "0.00"}]
    assert _stream(order)[len(before)] == (before[-1][0] + 1, "order.updated")


def test_given_a_held_order_when_a_line_names_an_unknown_sku_then_it_gets_a_stock_hold_too(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")

    response = _put_lines(api, order, [("SKU-A", 1, "20.00"), ("NO-SUCH-SKU", 1, "5.00")])

    assert response.status_code == 200, response.json()
    assert sorted(hold["reason"] for hold in response.json()["holds"]) == ["payment", "stock"]
    assert "NO-SUCH-SKU" in next(h["detail"] for h in response.json()["holds"] if h["reason"] == "stock")


def test_given_a_stock_hold_when_the_unknown_sku_is_replaced_by_a_known_one_then_the_hold_is_released_and_the_order_allocated(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("TYPO-SKU", 1)])
    assert [h.reason for h in Order.objects.get(pk=order.pk).holds.all()] == ["stock"]

    response = _put_lines(api, order, [("SKU-A", 1, "20.00")])

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "allocated"
    assert response.json()["holds"] == []
    assert response.json()["lines"][0]["quantity_reserved"] == 1


def test_given_an_allocated_order_when_its_lines_are_replaced_then_409_and_its_lines_stay(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = _put_lines(api, order, [("SKU-A", 1, "20.00")])

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "not_editable"
    assert "allocated" in error["message"]
    assert list(Order.objects.get(pk=order.pk).lines.values_list("quantity", flat=True)) == [2]


@pytest.mark.parametrize(
    "lines, field",
    [
        ([], "lines"),
        ([{"sku": "SKU-A", "quantity": 0, "unit_price": "20.00"}], "lines[0].quantity"),
        ([{"sku": "SKU-A", "quantity": 1, "unit_price": "-1"}], "lines[0].unit_price"),
        ([{"sku": "", "quantity": 1, "unit_price": "1"}], "lines[0].sku"),
        ([{"sku": "SKU-A", "quantity": 1}], "lines[0].unit_price"),
    ],
)
def test_when_replacement_lines_are_malformed_then_400_names_the_line_and_nothing_changes(api, stocked, lines, field):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")
    version = Order.objects.get(pk=order.pk).version

    response = api.put(f"/api/v1/orders/{order.number}/lines/", {"lines": lines}, format="json", HTTP_IF_MATCH=_etag(order))

    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert Order.objects.get(pk=order.pk).version == version
    assert list(Order.objects.get(pk=order.pk).lines.values_list("quantity", flat=True)) == [2]


def test_given_stale_etag_when_lines_are_replaced_then_412_and_nothing_changes(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")

    response = api.put(
        f"/api/v1/orders/{order.number}/lines/", {"lines": [{"sku": "SKU-A", "quantity": 1, "unit_price": "20.00"}]},
        format="json", HTTP_IF_MATCH='"0"',
    )

    assert response.status_code == 412
    assert list(Order.objects.get(pk=order.pk).lines.values_list("quantity", flat=True)) == [2]
