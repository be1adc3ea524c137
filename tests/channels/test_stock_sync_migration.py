"""Migration 0013 keeps the listings of before: their location (a copy of the connection's) becomes
the channel's single location, every other field stays, and a second location may be listed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0012_channel_stock_sync"), ("inventory", "0009_returns_product_returnable")]
AFTER = [("orders", "0013_channel_location_map")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_listings_keep_their_figures_and_become_the_single_location_ones():
    try:
        old = migrate(BEFORE)
        channel = old.get_model("orders", "Channel").objects.create(code="shop-us", name="Shopify US", adapter="shopify")
        product = old.get_model("inventory", "Product").objects.create(sku="MUG-01", name="Mug", price="4.00")
        old.get_model("orders", "ChannelListing").objects.create(
            channel=channel, product=product, status="in_sync", platform_item_id="gid://shopify/InventoryItem/43729076",
            platform_location_id="gid://shopify/Location/124656943", last_pushed_quantity=16, dirty=False,
        )

        new = migrate(AFTER)

        listings = new.get_model("orders", "ChannelListing").objects
        kept = listings.get()
        assert (kept.platform_location_id, kept.status, kept.platform_item_id, kept.last_pushed_quantity) == (
            "", "in_sync", "gid://shopify/InventoryItem/43729076", 16,
        )
        listings.create(channel_id=channel.pk, product_id=product.pk, platform_location_id="gid://shopify/Location/124656944")
        assert listings.count() == 2
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
