"""The Shopify client against recorded answers replayed by a server on 127.0.0.1: what it sends,
byte for byte where it matters, and what it makes of each answer."""

from datetime import UTC, datetime

import pytest

from orders.platforms import (
    InventoryQuantity, PlatformAuthError, PlatformRateLimited, PlatformUnavailable, RetryPolicy, ShopifyClient, Tracking,
)

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
SHIRT = "gid://shopify/InventoryItem/30322695"
MUG = "gid://shopify/InventoryItem/43729076"
GHOST = "gid://shopify/InventoryItem/99999999"
WAREHOUSE = "gid://shopify/Location/124656943"
GRAPHQL = "/admin/api/2026-07/graphql.json"


@pytest.fixture
def shopify_client(platform, sleeps):
    def make(**options):
        options = {"api_version": "2026-07", "policy": RetryPolicy(attempts=4), **options}
        return ShopifyClient(
            channel="shop-us", shop_domain="hatter.myshopify.com", access_token=TOKEN, base_url=platform.url,
            sleep=sleeps, jitter=lambda: 0.5, **options,
        )

    return make


def test_every_call_posts_graphql_to_the_versioned_endpoint_with_the_token(platform, shopify_client):
    platform.play("shopify/shop_name")

    name = shopify_client().shop_name()

    [sent] = platform.requests
    assert name == "Hatter & Co"
    assert (sent["method"], sent["path"]) == ("POST", GRAPHQL)
    assert sent["headers"]["x-shopify-access-token"] == TOKEN
    assert sent["headers"]["content-type"] == "application/json"
    assert "shop { name }" in sent["body"]["query"] and sent["body"]["variables"] == {}


def test_stock_is_set_as_available_with_compare_and_swap_and_an_idempotency_key(platform, shopify_client):
    platform.play("shopify/inventory_set_quantities_ok")

    result = shopify_client().inventory_set_quantities(
        [InventoryQuantity(SHIRT, WAREHOUSE, 7, change_from=10), InventoryQuantity(MUG, WAREHOUSE, 16)],
        reference="gid://oms/StockSync/41",
    )

    [sent] = platform.requests
    assert sent["body"]["variables"]["input"] == {
        "name": "available", "reason": "correction", "referenceDocumentUri": "gid://oms/StockSync/41",
        "quantities": [
            {"inventoryItemId": SHIRT, "locationId": WAREHOUSE, "quantity": 7, "changeFromQuantity": 10},
            {"inventoryItemId": MUG, "locationId": WAREHOUSE, "quantity": 16, "changeFromQuantity": None},
        ],
    }
    assert "@idempotent(key: $idempotencyKey)" in sent["body"]["query"]
    assert len(sent["body"]["variables"]["idempotencyKey"]) == 36
    assert result.complete and result.succeeded == [f"{SHIRT}@{WAREHOUSE}", f"{MUG}@{WAREHOUSE}"]


def test_versions_before_2026_04_opt_out_of_the_comparison_the_old_way(platform, shopify_client):
    platform.play("shopify/inventory_set_quantities_ok")

    shopify_client(api_version="2025-07").inventory_set_quantities([InventoryQuantity(MUG, WAREHOUSE, 16)])

    [sent] = platform.requests
    assert sent["path"] == "/admin/api/2025-07/graphql.json"
    assert sent["body"]["variables"] == {"input": {
        "name": "available", "reason": "correction", "ignoreCompareQuantity": True,
        "quantities": [{"inventoryItemId": MUG, "locationId": WAREHOUSE, "quantity": 16}],
    }}
    assert "@idempotent" not in sent["body"]["query"]


def test_a_429_waits_what_retry_after_says_then_sends_the_same_call_again(platform, shopify_client, sleeps):
    platform.play("shopify/too_many_requests", "shopify/inventory_set_quantities_ok")

    result = shopify_client().inventory_set_quantities([InventoryQuantity(MUG, WAREHOUSE, 16)])

    first, second = platform.requests
    assert sleeps == [2.0]
    assert first["body"] == second["body"]  # the same idempotency key: Shopify applies it once
    assert result.complete


def test_a_retry_after_longer_than_the_policy_allows_is_raised_not_slept(platform, shopify_client, sleeps):
    platform.play("shopify/too_many_requests")

    with pytest.raises(PlatformRateLimited) as refused:
        shopify_client(policy=RetryPolicy(longest_wait=1)).shop_name()

    assert sleeps == [] and refused.value.retry_after == 2.0
    assert "shop-us" in refused.value.message


def test_a_throttled_query_waits_until_the_bucket_has_restored_its_cost(platform, shopify_client, sleeps):
    platform.play("shopify/throttled", "shopify/shop_name")

    assert shopify_client().shop_name() == "Hatter & Co"

    # 752 points asked, 452 available, 100 restored per second: 3 seconds.
    assert sleeps == [3.0] and len(platform.requests) == 2


def test_server_errors_are_retried_with_growing_backoff(platform, shopify_client, sleeps):
    platform.play("shopify/bad_gateway", "shopify/service_unavailable", "shopify/shop_name")

    assert shopify_client().shop_name() == "Hatter & Co"

    # 1 s then 2 s ceilings, half fixed and half jitter (0.5 here).
    assert sleeps == [0.75, 1.5] and len(platform.requests) == 3


def test_server_errors_that_persist_end_in_an_unavailable_error_after_the_allowed_tries(platform, shopify_client, sleeps):
    platform.play(*["shopify/service_unavailable"] * 4)

    with pytest.raises(PlatformUnavailable) as failed:
        shopify_client().shop_name()

    assert len(platform.requests) == 4 and len(sleeps) == 3
    assert failed.value.code == "platform_unavailable" and "after 4 tries (last: HTTP 503)" in failed.value.message


def test_refused_credentials_are_raised_at_once_naming_the_channel_and_never_the_token(platform, shopify_client, sleeps):
    platform.play("shopify/unauthorized")

    with pytest.raises(PlatformAuthError) as refused:
        shopify_client().shop_name()

    assert len(platform.requests) == 1 and sleeps == []
    assert refused.value.code == "platform_auth_failed"
    assert "Channel shop-us" in refused.value.message and "HTTP 401" in refused.value.message
    assert TOKEN not in refused.value.message


def test_a_missing_access_scope_is_an_auth_error_that_names_the_scope(platform, shopify_client):
    platform.play("shopify/access_denied")

    with pytest.raises(PlatformAuthError, match="write_inventory"):
        shopify_client().inventory_set_quantities([InventoryQuantity(MUG, WAREHOUSE, 16)])


def test_one_refused_item_is_reported_and_the_others_are_sent_again_on_their_own(platform, shopify_client):
    platform.play("shopify/inventory_set_quantities_user_errors", "shopify/inventory_set_quantities_ok")

    result = shopify_client().inventory_set_quantities(
        [InventoryQuantity(SHIRT, WAREHOUSE, 7), InventoryQuantity(GHOST, WAREHOUSE, 1), InventoryQuantity(MUG, WAREHOUSE, 16)]
    )

    first, second = platform.requests
    assert [q["inventoryItemId"] for q in first["body"]["variables"]["input"]["quantities"]] == [SHIRT, GHOST, MUG]
    assert [q["inventoryItemId"] for q in second["body"]["variables"]["input"]["quantities"]] == [SHIRT, MUG]
    assert first["body"]["variables"]["idempotencyKey"] != second["body"]["variables"]["idempotencyKey"]
    assert result.succeeded == [f"{SHIRT}@{WAREHOUSE}", f"{MUG}@{WAREHOUSE}"]
    [failure] = result.failed
    assert (failure.key, failure.code) == (f"{GHOST}@{WAREHOUSE}", "INVALID_INVENTORY_ITEM")
    assert failure.message == "The specified inventory item could not be found."


def test_inventory_items_are_found_by_exact_sku(platform, shopify_client):
    platform.play("shopify/inventory_items_by_sku")

    found = shopify_client().inventory_items_by_sku(["SHIRT-M", "MUG-01", "NOT-THERE"])

    [sent] = platform.requests
    assert sent["body"]["variables"] == {"query": 'sku:"SHIRT-M" OR sku:"MUG-01" OR sku:"NOT-THERE"', "first": 6}
    assert found == {"SHIRT-M": SHIRT, "MUG-01": MUG}


def test_orders_updated_since_follow_the_link_header_to_the_last_page(platform, shopify_client):
    platform.play("shopify/orders_page_1", "shopify/orders_page_2")

    orders = list(shopify_client().orders_updated_since(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)))

    first, second = platform.requests
    assert (first["method"], first["path"]) == ("GET", "/admin/api/2026-07/orders.json")
    assert first["query"] == {"updated_at_min": ["2026-12-03T09:00:00+00:00"], "status": ["any"], "limit": ["250"]}
    assert second["query"] == {"limit": ["250"], "page_info": ["eyJsYXN0X2lkIjo0NTA3ODk0NjksImRpcmVjdGlvbiI6Im5leHQifQ"]}
    assert second["headers"]["x-shopify-access-token"] == TOKEN
    assert [order["name"] for order in orders] == ["#1001", "#1002", "#1003"]


def test_a_fulfillment_names_its_fulfillment_order_lines_and_the_tracking(platform, shopify_client):
    platform.play("shopify/fulfillment_create_ok")

    fulfillment_id = shopify_client().fulfillment_create(
        lines_by_fulfillment_order={"gid://shopify/FulfillmentOrder/1046000778": [("gid://shopify/FulfillmentOrderLineItem/1058737482", 2)]},
        tracking=Tracking(company="DHL Express", number="00340434161094042557", url="https://track.example/00340434161094042557"),
    )

    [sent] = platform.requests
    assert sent["body"]["variables"] == {"fulfillment": {
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000778",
            "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/1058737482", "quantity": 2}],
        }],
        "trackingInfo": {"company": "DHL Express", "number": "00340434161094042557", "url": "https://track.example/00340434161094042557"},
        "notifyCustomer": True,
    }}
    assert fulfillment_id == "gid://shopify/Fulfillment/1069019880"


def test_items_still_unapplied_after_the_second_refusal_are_reported_not_lost(platform, shopify_client):
    platform.play("shopify/inventory_set_quantities_user_errors", "shopify/inventory_set_quantities_user_errors")

    result = shopify_client().inventory_set_quantities(
        [InventoryQuantity(SHIRT, WAREHOUSE, 7), InventoryQuantity(GHOST, WAREHOUSE, 1), InventoryQuantity(MUG, WAREHOUSE, 16)]
    )

    assert len(platform.requests) == 2 and result.succeeded == []
    assert [(failure.key, failure.code) for failure in result.failed] == [
        (f"{GHOST}@{WAREHOUSE}", "INVALID_INVENTORY_ITEM"), (f"{MUG}@{WAREHOUSE}", "INVALID_INVENTORY_ITEM"), (f"{SHIRT}@{WAREHOUSE}", "not_applied"),
    ]
