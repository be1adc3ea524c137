"""Helpers for API tests: request bodies and the error-shape check."""

import itertools

_external_ids = itertools.count(1)


def order_payload(lines=(("SKU-A", 1),), **overrides) -> dict:
    """A valid, paid order as a channel would send it; ``lines`` are ``(sku, quantity)`` pairs."""
    payload = {
        "channel": "web",
        "external_id": f"WEB-{next(_external_ids)}",
        "currency": "USD",
        "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "phone": "+14155550123"},
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 Main Street",
            "city": "Boston",
            "region": "MA",
            "postal_code": "02108",
            "country": "US",
        },
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "20.00"} for sku, quantity in lines],
        "shipping_price": "4.95",
        "payment_status": "paid",
    }
    payload.update(overrides)
    return payload


def error_of(response) -> dict:
    """The error body, after checking it has the API's one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    return body["error"]
