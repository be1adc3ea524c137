"""Platform payloads built in Python, shaped like what Shopify and WooCommerce send, and a
signed-delivery helper."""

import base64
import hashlib
import hmac
import itertools
import json

_ids = itertools.count(5_100_000_001)
_webhook_ids = itertools.count(1)


def money_set(amount: str, shop_currency: str = "USD", presentment: str = "EUR", rate: str = "0.9") -> dict:
    """A Shopify price set: the shop amount, and what the buyer saw in their currency."""
    from decimal import Decimal

    shown = (Decimal(amount) * Decimal(rate)).quantize(Decimal("0.01"))
    return {"shop_money": {"amount": amount, "currency_code": shop_currency}, "presentment_money": {"amount": str(shown), "currency_code": presentment}}


def shopify_line(sku: str, quantity: int, price: str, *, discounts=(), taxes=(), title: str = "Linen shirt", variant_id: int = 40011) -> dict:
    return {
        "id": next(_ids), "variant_id": variant_id, "product_id": 7001, "sku": sku, "title": title, "variant_title": "M",
        "quantity": quantity, "price": "999.99",  # plain fields are ignored when a price set is there
        "price_set": money_set(price),
        "total_discount": "0.00",
        "discount_allocations": [{"amount": "0", "amount_set": money_set(d), "discount_application_index": 0} for d in discounts],
        "tax_lines": [{"title": "State tax", "rate": 0.0625, "price": "0", "price_set": money_set(t)} for t in taxes],
    }


def shopify_address(**overrides) -> dict:
    values = {
        "first_name": "Grace", "last_name": "Hopper", "name": "Grace Hopper", "address1": "12 Main Street", "address2": "Apt 4",
        "city": "Boston", "province": "Massachusetts", "province_code": "MA", "zip": "02108", "country": "United States",
        "country_code": "US", "phone": "+1 617-555-0134", "company": None,
    }
    values.update(overrides)
    return values


def shopify_order(lines=None, **overrides) -> dict:
    order_id = next(_ids)
    payload = {
        "id": order_id,
        "name": f"#{order_id % 10000}",
        "email": "grace@example.com",
        "created_at": "2025-03-04T10:15:00-05:00",
        "currency": "USD",
        "presentment_currency": "EUR",
        "financial_status": "paid",
        "cancelled_at": None,
        "cancel_reason": None,
        "taxes_included": False,
        "line_items": lines if lines is not None else [shopify_line("SHIRT-M", 2, "25.00", taxes=["3.13"])],
        "shipping_lines": [{"title": "Standard", "price": "5.00", "price_set": money_set("5.00"), "discounted_price": "5.00",
                            "discounted_price_set": money_set("5.00"), "tax_lines": []}],
        "shipping_address": shopify_address(),
        "billing_address": shopify_address(address2=None),
        "customer": {"id": 9001, "email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper", "phone": "+16175550134"},
        "discount_codes": [],
        "total_discounts": "0.00",
        "refunds": [],
        "note": None,
    }
    payload.update(overrides)
    return payload


def woo_order(lines=None, **overrides) -> dict:
    order_id = next(_ids) % 1_000_000
    payload = {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "currency": "EUR",
        "date_created": "2025-03-04T16:15:00",
        "date_created_gmt": "2025-03-04T15:15:00",
        "date_paid_gmt": "2025-03-04T15:16:00",
        "discount_total": "0.00",
        "total_tax": "0.00",
        "customer_note": "",
        "billing": {"first_name": "Ada", "last_name": "Lovelace", "company": "", "address_1": "Unter den Linden 1", "address_2": "",
                    "city": "Berlin", "state": "", "postcode": "10117", "country": "DE", "email": "ada@example.com", "phone": "+49 30 1234567"},
        "shipping": {"first_name": "Ada", "last_name": "Lovelace", "company": "", "address_1": "Unter den Linden 1", "address_2": "",
                     "city": "Berlin", "state": "", "postcode": "10117", "country": "DE", "phone": ""},
        "line_items": lines if lines is not None else [woo_line("MUG-1", 2, "20.00", "20.00", "3.80")],
        "shipping_lines": [{"method_id": "flat_rate", "total": "4.90", "total_tax": "0.93"}],
        "coupon_lines": [],
        "refunds": [],
    }
    payload.update(overrides)
    return payload


def woo_line(sku: str, quantity: int, subtotal: str, total: str, total_tax: str = "0.00", name: str = "Mug") -> dict:
    # Woo sends "price" as a JSON number: it must never turn the amounts into floats.
    return {"id": next(_ids) % 100000, "name": name, "product_id": 301, "variation_id": 0, "sku": sku, "quantity": quantity,
            "subtotal": subtotal, "subtotal_tax": total_tax, "total": total, "total_tax": total_tax, "price": 9.95}


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def deliver(client, url: str, payload, *, secret: str, headers: dict, body: bytes | None = None, signature: str | None = None):
    """POST ``payload`` as the platform would: a JSON body signed with ``secret`` (``signature=""``: unsigned)."""
    raw = body if body is not None else json.dumps(payload).encode()
    name = "X-WC-Webhook-Signature" if any(h.startswith("X-WC") for h in headers) else "X-Shopify-Hmac-Sha256"
    signed = sign(raw, secret) if signature is None else signature
    return client.generic("POST", url, raw, content_type="application/json", headers={**headers, **({name: signed} if signed else {})})


def next_webhook_id() -> str:
    return f"wh-{next(_webhook_ids)}"
