"""The WooCommerce client against recorded answers replayed by a server on 127.0.0.1."""

import base64
from datetime import UTC, datetime

import pytest

from orders.platforms import PlatformAuthError, PlatformNotConfigured, RetryPolicy, StockUpdate, WooCommerceClient

KEY, SECRET = "ck_3f2a9c1b7e", "cs_91d04e5a6f"
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


@pytest.fixture
def woo_client(platform, sleeps):
    return WooCommerceClient(
        channel="woo-de", site_url=platform.url, consumer_key=KEY, consumer_secret=SECRET,
        policy=RetryPolicy(attempts=3), sleep=sleeps, jitter=lambda: 0.5,
    )


def test_a_sku_of_a_variation_is_found_with_its_parent_product(platform, woo_client):
    platform.play("woocommerce/products_by_sku")

    found = woo_client.products_by_sku(["SHIRT-M"])

    [sent] = platform.requests
    assert (sent["method"], sent["path"], sent["query"]) == ("GET", "/wp-json/wc/v3/products", {"sku": ["SHIRT-M"]})
    assert sent["headers"]["authorization"] == BASIC
    assert found == {"SHIRT-M": {"product_id": 732, "variation_id": 733, "stock_quantity": 4}}  # stock as the shop holds it (for the resync)


def test_a_variations_stock_is_set_with_stock_management_on(platform, woo_client):
    platform.play("woocommerce/variation_update")

    woo_client.stock_set(StockUpdate(product_id=732, variation_id=733, quantity=7))

    [sent] = platform.requests
    assert (sent["method"], sent["path"]) == ("PUT", "/wp-json/wc/v3/products/732/variations/733")
    assert sent["body"] == {"manage_stock": True, "stock_quantity": 7}


def test_a_batch_reports_the_refused_product_and_keeps_the_accepted_one(platform, woo_client):
    platform.play("woocommerce/products_batch_partial")

    result = woo_client.stock_set_many([StockUpdate(product_id=794, quantity=12), StockUpdate(product_id=999, quantity=3)])

    [sent] = platform.requests
    assert (sent["method"], sent["path"]) == ("POST", "/wp-json/wc/v3/products/batch")
    assert sent["body"] == {"update": [
        {"id": 794, "manage_stock": True, "stock_quantity": 12}, {"id": 999, "manage_stock": True, "stock_quantity": 3},
    ]}
    assert result.succeeded == ["794"]
    [failure] = result.failed
    assert (failure.key, failure.code, failure.message) == ("999", "woocommerce_rest_product_invalid_id", "Invalid ID.")


def test_orders_modified_since_walk_every_page_the_total_pages_header_names(platform, woo_client):
    platform.play("woocommerce/orders_page_1", "woocommerce/orders_page_2")

    orders = list(woo_client.orders_modified_since(datetime(2026, 12, 3, 15, 0, tzinfo=UTC)))

    first, second = platform.requests
    assert first["path"] == "/wp-json/wc/v3/orders"
    assert first["query"] == {"modified_after": ["2026-12-03T15:00:00+00:00"], "per_page": ["100"], "page": ["1"]}
    assert second["query"]["page"] == ["2"]
    assert [order["id"] for order in orders] == [727, 728, 729]


def test_an_order_note_is_posted_for_the_customer(platform, woo_client):
    platform.play("woocommerce/order_note_created")

    note_id = woo_client.order_note_add(order_id=727, note="Shipped with DHL, tracking 00340434161094042557.", customer_note=True)

    [sent] = platform.requests
    assert (sent["method"], sent["path"]) == ("POST", "/wp-json/wc/v3/orders/727/notes")
    assert sent["body"] == {"note": "Shipped with DHL, tracking 00340434161094042557.", "customer_note": True}
    assert note_id == 281


def test_a_429_waits_its_retry_after(platform, woo_client, sleeps):
    platform.play("woocommerce/too_many_requests", "woocommerce/products_page")

    assert woo_client.store_check() == "38 products"

    assert sleeps == [3.0] and len(platform.requests) == 2


def test_refused_keys_are_raised_at_once_without_the_secret(platform, woo_client, sleeps):
    platform.play("woocommerce/unauthorized")

    with pytest.raises(PlatformAuthError) as refused:
        woo_client.store_check()

    assert len(platform.requests) == 1 and sleeps == []
    assert "Channel woo-de" in refused.value.message and SECRET not in refused.value.message


def test_keys_are_never_sent_over_plain_http_to_another_machine():
    with pytest.raises(PlatformNotConfigured, match="https://"):
        WooCommerceClient(channel="woo-de", site_url="http://shop.example.com", consumer_key=KEY, consumer_secret=SECRET)
