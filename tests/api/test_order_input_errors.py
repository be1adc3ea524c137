"""Every malformed order is refused with 400, the error shape, a field path saying what to fix,
and nothing recorded."""

import pytest

from orders.models import Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db


def _without(payload: dict, *path):
    target = payload
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return payload


def _with(payload: dict, value, *path):
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return payload


BAD_ORDERS = [
    # missing fields
    ("no channel", lambda p: _without(p, "channel"), "channel"),
    ("no external id", lambda p: _without(p, "external_id"), "external_id"),
    ("no currency", lambda p: _without(p, "currency"), "currency"),
    ("no customer", lambda p: _without(p, "customer"), "customer"),
    ("no e-mail", lambda p: _without(p, "customer", "email"), "customer.email"),
    ("no shipping address", lambda p: _without(p, "shipping_address"), "shipping_address"),
    ("no country", lambda p: _without(p, "shipping_address", "country"), "shipping_address.country"),
    ("no lines", lambda p: _without(p, "lines"), "lines"),
    ("no sku", lambda p: _without(p, "lines", 0, "sku"), "lines[0].sku"),
    ("no quantity", lambda p: _without(p, "lines", 0, "quantity"), "lines[0].quantity"),
    ("no unit price", lambda p: _without(p, "lines", 0, "unit_price"), "lines[0].unit_price"),
    # wrong types
    ("customer is text", lambda p: _with(p, "ada@example.com", "customer"), "customer"),
    ("lines is an object", lambda p: _with(p, {"sku": "SKU-A"}, "lines"), "lines"),
    ("line is a number", lambda p: _with(p, [7], "lines"), "lines[0]"),
    ("quantity is text", lambda p: _with(p, "two", "lines", 0, "quantity"), "lines[0].quantity"),
    ("quantity is fractional", lambda p: _with(p, 1.5, "lines", 0, "quantity"), "lines[0].quantity"),
    ("price is text", lambda p: _with(p, "cheap", "lines", 0, "unit_price"), "lines[0].unit_price"),
    ("price is not finite", lambda p: _with(p, "NaN", "lines", 0, "unit_price"), "lines[0].unit_price"),
    ("shipping price is a list", lambda p: _with(p, [1], "shipping_price"), "shipping_price"),
    ("channel is an object", lambda p: _with(p, {"code": "web"}, "channel"), "channel"),
    ("billing address is text", lambda p: _with(p, "same", "billing_address"), "billing_address"),
    # values the intake service refuses
    ("unknown channel", lambda p: _with(p, "telegraph", "channel"), "channel"),
    ("empty external id", lambda p: _with(p, "  ", "external_id"), "external_id"),
    ("unknown currency", lambda p: _with(p, "XYZ", "currency"), "currency"),
    ("bad e-mail", lambda p: _with(p, "not-an-email", "customer", "email"), "customer.email"),
    ("e-mail beyond storage", lambda p: _with(p, "a" * 300 + "@example.com", "customer", "email"), "customer.email"),
    ("bad phone", lambda p: _with(p, "call me", "customer", "phone"), "customer.phone"),
    ("bad country", lambda p: _with(p, "Narnia", "shipping_address", "country"), "shipping_address.country"),
    ("bad billing country", lambda p: _with(p, {"country": "ZZ"}, "billing_address"), "billing_address.country"),
    ("bad address phone", lambda p: _with(p, "12", "shipping_address", "phone"), "shipping_address.phone"),
    ("empty lines", lambda p: _with(p, [], "lines"), "lines"),
    ("zero quantity", lambda p: _with(p, 0, "lines", 0, "quantity"), "lines[0].quantity"),
    ("negative quantity", lambda p: _with(p, -2, "lines", 0, "quantity"), "lines[0].quantity"),
    ("negative price", lambda p: _with(p, "-1.00", "lines", 0, "unit_price"), "lines[0].unit_price"),
    ("negative discount", lambda p: _with(p, "-1", "lines", 0, "discount"), "lines[0].discount"),
    ("negative shipping", lambda p: _with(p, "-4.95", "shipping_price"), "shipping_price"),
    ("unknown payment status", lambda p: _with(p, "maybe", "payment_status"), "payment_status"),
    ("refunded at intake", lambda p: _with(p, "refunded", "payment_status"), "payment_status"),
    ("discount above value", lambda p: _with(p, "500", "lines", 0, "discount"), "lines"),
    ("quantity beyond storage", lambda p: _with(p, 10**12, "lines", 0, "quantity"), "lines[0].quantity"),
    ("price beyond storage", lambda p: _with(p, "1e30", "lines", 0, "unit_price"), "lines[0].unit_price"),
    ("total beyond storage", lambda p: _with(p, 2_000_000_000, "lines", 0, "quantity") and _with(p, "99999999", "lines", 0, "unit_price"), "lines"),
]


@pytest.mark.parametrize("mutate, field", [case[1:] for case in BAD_ORDERS], ids=[case[0] for case in BAD_ORDERS])
def test_when_a_malformed_order_is_posted_then_400_names_the_field_and_nothing_is_recorded(api, stocked, mutate, field):
    stocked("SKU-A", 5)

    response = api.post("/api/v1/orders/", mutate(order_payload([("SKU-A", 1)])), format="json")

    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert all(messages and all(isinstance(m, str) and m for m in messages) for messages in error["fields"].values())
    assert not Order.objects.exists()


def test_when_several_fields_are_wrong_then_every_one_is_named_at_once(api, stocked):
    stocked("SKU-A", 5)
    payload = order_payload([("SKU-A", 1), ("SKU-A", 1)], currency="XYZ")
    payload["lines"][1]["quantity"] = 0

    error = error_of(api.post("/api/v1/orders/", payload, format="json"))

    assert {"currency", "lines[1].quantity"} <= set(error["fields"])


def test_when_the_body_is_not_json_then_400_in_the_error_shape(api, web_channel):
    response = api.generic("POST", "/api/v1/orders/", '{"channel": "web",', content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_when_the_body_is_a_json_list_then_400(api, web_channel):
    response = api.post("/api/v1/orders/", [order_payload()], format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"]


def test_when_the_body_is_a_form_then_415_in_the_error_shape(api, web_channel):
    response = api.post("/api/v1/orders/", {"channel": "web"}, format="multipart")

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_given_an_inactive_channel_when_an_order_is_posted_then_400_names_the_channel(api, stocked, web_channel):
    stocked("SKU-A", 5)
    web_channel.is_active = False
    web_channel.save()

    response = api.post("/api/v1/orders/", order_payload(), format="json")

    assert response.status_code == 400
    assert "channel" in error_of(response)["fields"]
