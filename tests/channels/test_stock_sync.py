"""Stock out to channels: the push against recorded platform answers (replayed on 127.0.0.1), the
coalescing of many changes into one push, the channel's rule in the figure, the resync's drift
report, the sweep over the ledger, the CSV feed for marketplaces, and the admin and API around them."""

from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import ChannelStockRule
from inventory.services import stock_adjust
from orders.models import ChannelConnection, ChannelListing, ChannelStockSyncRun
from orders.services import stock_sync
from orders.services.stock_sync import (
    channel_listings_push_again, channel_stock_push, channel_stock_resync, stock_changes_take, stock_ledger_sweep, stock_listings_mark,
    stock_push_channels, stock_push_channels_forget,
)

from ..api.support import error_of
from ..factories import ChannelFactory, place_order

SHIRT = "gid://shopify/InventoryItem/30322695"
MUG = "gid://shopify/InventoryItem/43729076"
WAREHOUSE = "gid://shopify/Location/124656943"


@pytest.fixture(autouse=True)
def _forget_pushing_channels():
    stock_push_channels_forget()
    yield
    stock_push_channels_forget()


@pytest.fixture
def shop(shopify_channel):
    return ChannelConnection.objects.create(
        channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token="shpat_x", stock_push_enabled=True,
        shopify_location_id="124656943",
    )


@pytest.fixture
def goods(stocked):
    return {"SHIRT-M": stocked("SHIRT-M", 7), "MUG-01": stocked("MUG-01", 16)}


@pytest.fixture
def options(platform, sleeps):
    return {"base_url": platform.url, "sleep": sleeps, "jitter": lambda: 0.5}


def listing(channel, sku) -> ChannelListing:
    return ChannelListing.objects.select_related("product").get(channel=channel, product__sku=sku)


def sent_quantities(request) -> list[dict]:
    return request["body"]["variables"]["input"]["quantities"]


def new_transaction():
    """In a test the whole test is one transaction: what an earlier step registered for its
    commit must not swallow the next step's nudge (in production each service commits)."""
    db_connection._stock_changes_pending = None


def mark(shop, *products):
    stock_listings_mark(product_ids=[p.pk for p in products], channel_ids=[shop.channel_id])


# --- pushing to Shopify ---------------------------------------------------------------------------


def test_dirty_listings_are_looked_up_once_and_pushed_in_one_call_with_the_channel_figures(shop, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(shop, *goods.values())

    report = channel_stock_push(channel="shop-us", client_options=options)

    lookup, push = platform.requests
    assert 'sku:"MUG-01"' in lookup["body"]["variables"]["query"] and 'sku:"SHIRT-M"' in lookup["body"]["variables"]["query"]
    assert sorted((q["inventoryItemId"], q["locationId"], q["quantity"]) for q in sent_quantities(push)) == [
        (SHIRT, WAREHOUSE, 7), (MUG, WAREHOUSE, 16),
    ]
    assert (report.sent, report.calls) == (2, 1)
    shirt = listing(shop.channel, "SHIRT-M")
    assert (shirt.status, shirt.last_pushed_quantity, shirt.dirty, shirt.platform_item_id) == ("in_sync", 7, False, SHIRT)


def test_a_figure_the_platform_already_has_from_us_is_not_sent_again_and_the_ids_are_not_looked_up_again(shop, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok", "shopify/inventory_set_quantities_ok")
    mark(shop, *goods.values())
    channel_stock_push(channel="shop-us", client_options=options)

    mark(shop, *goods.values())  # a change that left the figures as they were
    unchanged = channel_stock_push(channel="shop-us", client_options=options)
    stock_adjust(sku="MUG-01", location="chicago", quantity=-1, reason="broken", actor="test")
    mark(shop, goods["MUG-01"])
    changed = channel_stock_push(channel="shop-us", client_options=options)

    assert (unchanged.calls, unchanged.unchanged) == (0, 2)
    assert len(platform.requests) == 3 and sent_quantities(platform.requests[2]) == [
        {"inventoryItemId": MUG, "locationId": WAREHOUSE, "quantity": 15, "changeFromQuantity": None},
    ]
    assert changed.sent == 1 and listing(shop.channel, "MUG-01").last_pushed_quantity == 15


def test_the_channel_rule_shapes_the_figure_pushed(shop, goods, platform, options):
    ChannelStockRule.objects.create(channel_code="shop-us", share_percent=50, buffer_units=1)
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(shop, *goods.values())

    channel_stock_push(channel="shop-us", client_options=options)

    # SHIRT-M: 7 available, half is 3, less 1 held back = 2; MUG-01: 16 -> 8 - 1 = 7
    assert sorted(q["quantity"] for q in sent_quantities(platform.requests[1])) == [2, 7]


def test_a_429_with_retry_after_is_waited_within_reason_then_the_listings_wait_what_the_platform_asked(shop, goods, platform, options, sleeps):
    platform.play("shopify/inventory_items_by_sku", "shopify/too_many_requests", "shopify/too_many_requests", "shopify/too_many_requests")
    mark(shop, *goods.values())
    before = timezone.now()

    report = channel_stock_push(channel="shop-us", client_options=options)

    assert sleeps == [2.0, 2.0] and report.failed == 2 and report.sent == 0
    shirt = listing(shop.channel, "SHIRT-M")
    assert (shirt.status, shirt.dirty, shirt.attempts, shirt.last_error_code) == ("failing", True, 1, "platform_rate_limited")
    assert before + timedelta(seconds=1.5) <= shirt.next_attempt_at <= timezone.now() + timedelta(seconds=2.5)


def test_a_platform_down_backs_off_per_listing_and_nothing_is_sent_before_the_backoff_is_over(shop, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/bad_gateway", "shopify/service_unavailable", "shopify/bad_gateway")
    mark(shop, *goods.values())

    channel_stock_push(channel="shop-us", client_options=options)
    again = channel_stock_push(channel="shop-us", client_options=options)

    assert len(platform.requests) == 4 and again.calls == 0
    mug = listing(shop.channel, "MUG-01")
    assert (mug.status, mug.attempts, mug.last_error_code) == ("failing", 1, "platform_unavailable")
    assert mug.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert "did not answer" in mug.last_error


def test_an_auth_failure_is_recorded_on_the_listings_with_what_to_fix(shop, goods, platform, options):
    platform.play("shopify/unauthorized")
    mark(shop, *goods.values())

    channel_stock_push(channel="shop-us", client_options=options)

    shirt = listing(shop.channel, "SHIRT-M")
    assert shirt.last_error_code == "platform_auth_failed" and "Check the access token" in shirt.last_error
    assert len(platform.requests) == 1  # trying again cannot help


def test_partial_success_applies_the_items_nobody_objected_to_and_records_the_refusal(shop, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_user_errors", "shopify/inventory_set_quantities_ok")
    mark(shop, *goods.values())

    report = channel_stock_push(channel="shop-us", client_options=options)

    first, second = (sent_quantities(r) for r in platform.requests[1:])
    refused_item = first[1]["inventoryItemId"]
    assert [q["inventoryItemId"] for q in second] == [first[0]["inventoryItemId"]]
    assert (report.sent, report.failed) == (1, 1)
    refused = ChannelListing.objects.get(platform_item_id=refused_item)
    assert (refused.status, refused.last_error_code, refused.dirty) == ("failing", "INVALID_INVENTORY_ITEM", True)
    assert "could not be found" in refused.last_error


def test_a_sku_the_platform_does_not_know_is_shown_as_such_and_not_looked_up_at_every_change(shop, goods, stocked, platform, options):
    ghost = stocked("GHOST-1", 3)
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(shop, ghost, *goods.values())
    channel_stock_push(channel="shop-us", client_options=options)

    mark(shop, ghost)
    again = channel_stock_push(channel="shop-us", client_options=options)

    unknown = listing(shop.channel, "GHOST-1")
    assert (unknown.status, unknown.dirty, unknown.last_error_code) == ("unknown_sku", False, "unknown_sku")
    assert again.calls == 0 and len(platform.requests) == 2


def test_a_channel_being_pushed_by_one_runner_is_not_pushed_by_another(shop, goods, platform, options):
    mark(shop, *goods.values())
    assert stock_sync._lease_take("channel:shop-us", now=timezone.now())

    report = channel_stock_push(channel="shop-us", client_options=options)

    assert report.busy and platform.requests == []
    stock_sync._lease_release("channel:shop-us")


# --- pushing to WooCommerce ---------------------------------------------------------------------


def test_woocommerce_gets_one_batch_and_a_refused_item_is_recorded_on_its_listing(woo_channel, stocked, platform, sleeps):
    ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_x", woocommerce_consumer_secret="cs_x",
        stock_push_enabled=True, woocommerce_requests_per_second=2,
    )
    mug, old = stocked("MUG-01", 12), stocked("OLD-1", 4)
    ChannelListing.objects.create(channel=woo_channel, product=mug, platform_item_id="794", status="in_sync")
    ChannelListing.objects.create(channel=woo_channel, product=old, platform_item_id="999", status="in_sync")
    platform.play("woocommerce/products_batch_partial")

    channel_stock_push(channel="woo-de", client_options={"sleep": sleeps, "jitter": lambda: 0.5})

    [sent] = platform.requests
    assert sent["path"] == "/wp-json/wc/v3/products/batch"
    assert sorted((u["id"], u["stock_quantity"]) for u in sent["body"]["update"]) == [(794, 12), (999, 4)]
    assert listing(woo_channel, "MUG-01").last_pushed_quantity == 12
    assert listing(woo_channel, "OLD-1").last_error_code == "woocommerce_rest_product_invalid_id"


def test_woocommerce_calls_are_paced_by_the_connections_limit(sleeps):
    from orders.platforms.transport import Transport

    now = [100.0]
    transport = Transport(channel="woo-de", platform="WooCommerce", timeout=(1, 1), sleep=sleeps, requests_per_second=4, clock=lambda: now[0])
    transport._space()
    now[0] += 0.1
    transport._space()

    assert sleeps == [pytest.approx(0.15)]


# --- coalescing: many changes, one push with the last figure ---------------------------------------


def test_fifty_changes_of_one_sku_queue_one_task_and_end_as_one_push_of_the_last_figure(
    shop, goods, platform, options, monkeypatch, django_capture_on_commit_callbacks,
):
    queued = []
    monkeypatch.setattr("orders.tasks.stock_changes_push.apply_async", lambda kwargs, countdown: queued.append(kwargs))
    from django.core.cache import cache

    cache.delete_many([stock_sync.PENDING_KEY.format(p.pk) for p in goods.values()])
    for _ in range(10):
        new_transaction()
        with django_capture_on_commit_callbacks(execute=True):
            stock_adjust(sku="MUG-01", location="chicago", quantity=-1, reason="sold at the counter", actor="test")
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")

    stock_changes_take(product_ids=queued[0]["product_ids"], client_options=options)

    assert queued == [{"product_ids": [goods["MUG-01"].pk]}]
    [push] = [r for r in platform.requests if "inventorySetQuantities" in r["body"]["query"]]
    assert [q["quantity"] for q in sent_quantities(push)] == [6]


def test_a_listing_changed_while_it_was_pushed_stays_dirty_and_is_due_one_debounce_later(shop, goods, platform, options, settings, monkeypatch):
    settings.OMS_STOCK_SYNC_DEBOUNCE_SECONDS = 30
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(shop, goods["MUG-01"])
    real_send = stock_sync._send

    def send_while_an_order_arrives(*args, **kwargs):
        calls = real_send(*args, **kwargs)
        mark(shop, goods["MUG-01"])  # the nudge of a change that committed during the call
        return calls

    monkeypatch.setattr(stock_sync, "_send", send_while_an_order_arrives)

    channel_stock_push(channel="shop-us", client_options=options, run_seconds=5)

    mug = listing(shop.channel, "MUG-01")
    assert (mug.dirty, mug.status, mug.last_pushed_quantity) == (True, "in_sync", 16)
    assert mug.next_attempt_at > timezone.now() + timedelta(seconds=20)


# --- the nudge costs an order no query ---------------------------------------------------------------


def test_with_push_on_an_order_makes_the_same_queries_as_without_and_queues_its_push(
    shop, goods, monkeypatch, django_capture_on_commit_callbacks, process_caches_held,
):
    queued = []
    monkeypatch.setattr("orders.tasks.stock_changes_push.apply_async", lambda kwargs, countdown: queued.append(kwargs))
    ChannelFactory(code="web")

    def order_queries() -> int:
        place_order([("SHIRT-M", 1)])  # warm every process cache
        new_transaction()
        with CaptureQueriesContext(db_connection) as queries, django_capture_on_commit_callbacks(execute=True):
            place_order([("SHIRT-M", 1)])
        return len(queries)

    ChannelConnection.objects.filter(pk=shop.pk).update(stock_push_enabled=False)
    stock_push_channels_forget()
    stock_push_channels()
    without = order_queries()
    ChannelConnection.objects.filter(pk=shop.pk).update(stock_push_enabled=True)
    stock_push_channels_forget()
    stock_push_channels()
    from django.core.cache import cache

    cache.clear()
    with_push = order_queries()

    assert with_push == without
    assert {"product_ids": [goods["SHIRT-M"].pk]} in queued


def test_a_listener_that_fails_never_fails_the_stock_change(monkeypatch, goods, shop, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("orders.tasks.stock_changes_push.apply_async", broken)
    new_transaction()

    with django_capture_on_commit_callbacks(execute=True):
        movement = stock_adjust(sku="MUG-01", location="chicago", quantity=2, reason="found", actor="test")

    assert movement.pk


# --- the sweep over the ledger ----------------------------------------------------------------------


def test_the_sweep_marks_what_the_ledger_changed_since_its_last_run_and_pushes_it(shop, goods, platform, options):
    first = stock_ledger_sweep(client_options=options)  # first run: starts at the ledger's end
    stock_adjust(sku="SHIRT-M", location="chicago", quantity=-2, reason="damaged", actor="test")
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")

    reports = stock_ledger_sweep(client_options=options)

    assert first["shop-us"].calls == 0 and not platform.requests[:-2]
    # SHIRT-M changed after the cursor; MUG-01's receipt is within the overlap a late commit needs
    assert sorted(q["quantity"] for q in sent_quantities(platform.requests[1])) == [5, 16]
    assert reports["shop-us"].sent == 2 and listing(shop.channel, "SHIRT-M").last_pushed_quantity == 5


# --- full resync and its drift report -----------------------------------------------------------------


def test_the_resync_reads_the_platform_corrects_only_the_drift_and_reports_it(shop, goods, platform, options):
    platform.play("shopify/inventory_levels_by_sku", "shopify/inventory_set_quantities_ok")

    run = channel_stock_resync(channel="shop-us", actor="test", client_options=options)

    levels, push = platform.requests
    assert levels["body"]["variables"]["locationId"] == WAREHOUSE
    assert sent_quantities(push) == [{"inventoryItemId": SHIRT, "locationId": WAREHOUSE, "quantity": 7, "changeFromQuantity": None}]
    assert (run.status, run.skus_checked, run.drifted, run.pushed, run.failed) == ("done", 2, 1, 1, 0)
    assert run.drift_sample == [{"sku": "SHIRT-M", "platform": 5, "oms": 7}]
    assert listing(shop.channel, "MUG-01").last_pushed_quantity == 16  # what the platform shows is what we publish


def test_a_resync_the_platform_refuses_ends_failed_with_the_reason(shop, goods, platform, options):
    platform.play("shopify/unauthorized")

    run = channel_stock_resync(channel="shop-us", actor="test", client_options=options)

    assert run.status == "failed" and "refused the credentials" in run.message and run.finished_at


# --- the CSV feed for marketplaces -------------------------------------------------------------------


def test_the_feed_lists_every_active_sku_with_the_channels_figure_and_answers_304_until_stock_changes(client_for, goods, stocked):
    ChannelFactory(code="market", name="Marketplace", kind="marketplace")
    ChannelStockRule.objects.create(channel_code="market", share_percent=50)
    stocked("ZERO-1", 0)
    client = client_for("stock:read")

    first = client.get("/api/v1/channels/market/stock-feed.csv")
    body = b"".join(first.streaming_content).decode()
    unchanged = client.get("/api/v1/channels/market/stock-feed.csv", HTTP_IF_NONE_MATCH=first["ETag"])
    stock_adjust(sku="MUG-01", location="chicago", quantity=-4, reason="broken", actor="test")
    changed = client.get("/api/v1/channels/market/stock-feed.csv", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["Content-Type"].startswith("text/csv")
    assert body.splitlines() == ["sku,quantity", "MUG-01,8", "SHIRT-M,3", "ZERO-1,0"]
    assert first["Last-Modified"]
    assert unchanged.status_code == 304
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "MUG-01,6" in b"".join(changed.streaming_content).decode()


def test_the_feed_reads_in_the_same_number_of_queries_for_ten_or_a_hundred_skus(client_for, stocked):
    ChannelFactory(code="market", name="Marketplace", kind="marketplace")
    client = client_for("stock:read")

    def queries_for_feed() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            b"".join(client.get("/api/v1/channels/market/stock-feed.csv").streaming_content)
        return len(queries)

    for n in range(10):
        stocked(f"A-{n:03}", 1)
    queries_for_feed()  # the key is looked up once, then remembered
    ten = queries_for_feed()
    for n in range(10, 100):
        stocked(f"A-{n:03}", 1)

    assert queries_for_feed() == ten


def test_the_feed_needs_a_stock_scope_and_a_known_channel(client_for):
    assert client_for("orders:read").get("/api/v1/channels/market/stock-feed.csv").status_code == 403
    assert client_for("stock:read").get("/api/v1/channels/nope/stock-feed.csv").status_code == 404


# --- resync on demand: API and admin -------------------------------------------------------------------


def test_the_api_queues_a_resync_and_refuses_a_channel_that_does_not_push(client_for, shop, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("orders.tasks.channel_stock_resync_task.delay", lambda **kwargs: queued.append(kwargs))
    client = client_for("stock:write")

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post("/api/v1/channels/shop-us/stock/resync/", HTTP_IDEMPOTENCY_KEY="resync-1")
    ChannelConnection.objects.filter(pk=shop.pk).update(stock_push_enabled=False)
    refused = client.post("/api/v1/channels/shop-us/stock/resync/", HTTP_IDEMPOTENCY_KEY="resync-2")

    assert accepted.status_code == 202 and queued == [{"channel": "shop-us", "actor": queued[0]["actor"]}]
    assert refused.status_code == 409 and "push stock" in error_of(refused)["message"]


def test_push_again_forgets_the_error_and_backoff_and_looks_the_sku_up_again(shop, goods, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("orders.tasks.channel_stock_push_task.delay", lambda **kwargs: queued.append(kwargs))
    stuck = ChannelListing.objects.create(
        channel=shop.channel, product=goods["MUG-01"], status="unknown_sku", dirty=False, attempts=4, last_error_code="unknown_sku",
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        channel_listings_push_again(listing_ids=[stuck.pk], actor="test")

    stuck.refresh_from_db()
    assert (stuck.status, stuck.dirty, stuck.attempts, stuck.next_attempt_at) == ("new", True, 0, None)
    assert queued == [{"channel": "shop-us"}]


def test_the_manager_sees_listings_runs_and_the_sync_status_on_the_channel_page(console, shop, goods):
    ChannelListing.objects.create(channel=shop.channel, product=goods["MUG-01"], status="failing", last_error_code="platform_unavailable",
                                  last_error="Shopify did not answer")
    run = ChannelStockSyncRun.objects.create(channel=shop.channel, status="done", skus_checked=2, drifted=1, pushed=1,
                                             drift_sample=[{"sku": "SHIRT-M", "platform": 5, "oms": 7}])
    manager = console("Operations manager")

    listings = manager.get("/admin/orders/channellisting/?status__exact=failing").content.decode()
    run_page = manager.get(f"/admin/orders/channelstocksyncrun/{run.pk}/change/").content.decode()
    channel_page = manager.get(f"/admin/orders/channel/{shop.channel_id}/change/").content.decode()

    assert "Shopify did not answer" in listings and "Push again" in listings
    assert "SHIRT-M" in run_page and "Platform showed" in run_page
    assert "Pushing" in channel_page and "1 failing" in channel_page and "1 drifted" in channel_page


from ..admin.conftest import console  # noqa: E402, F401  (the console(role) fixture)
