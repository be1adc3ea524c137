"""Stock out to Shopify per location: each mapped Shopify location shows what the channel may
promise from its own OMS locations (under the channel's rule), pushed in shared calls, resynced
and reported per location; without maps the one-location behaviour stays as it was."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from inventory.models import ChannelStockRule
from inventory.services import stock_adjust, stock_receive
from oms.errors import InvalidInput
from oms.models import ConfigChange
from orders.models import ChannelListing, ChannelLocationMap
from orders.services.channel_locations import channel_location_map_save
from orders.services.stock_sync import channel_stock_push, channel_stock_resync

from ..factories import ChannelFactory, LocationFactory
from .test_stock_sync import (  # noqa: F401  (the shop, its goods and the fake platform's options)
    MUG, SHIRT, WAREHOUSE, _forget_pushing_channels, goods, mark, options, sent_quantities, shop,
)

STORE = "gid://shopify/Location/124656944"


@pytest.fixture
def boston(db):
    return LocationFactory(code="boston", name="Boston store", city="Boston", latitude=42.36, longitude=-71.06)


@pytest.fixture
def two_locations(shop, goods, boston):
    """Shopify's warehouse shows Chicago's stock (SHIRT-M 7, MUG-01 16); its store Boston's (3, 4)."""
    stock_receive(sku="SHIRT-M", location="boston", quantity=3, actor="test")
    stock_receive(sku="MUG-01", location="boston", quantity=4, actor="test")
    channel_location_map_save(channel="shop-us", platform_location_id="124656943", name="Warehouse", location_codes=["chicago"], actor="test")
    channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["boston"], actor="test")
    return shop


def pushed(request) -> list[tuple[str, str, int]]:
    return sorted((q["inventoryItemId"], q["locationId"], q["quantity"]) for q in sent_quantities(request))


def test_two_mapped_shopify_locations_get_their_own_figures_in_one_call(two_locations, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(two_locations, *goods.values())

    report = channel_stock_push(channel="shop-us", client_options=options)

    lookup, push = platform.requests
    assert lookup["body"]["variables"]["query"].count("sku:") == 2  # an item is looked up once, whatever the locations
    assert pushed(push) == sorted([(SHIRT, WAREHOUSE, 7), (SHIRT, STORE, 3), (MUG, WAREHOUSE, 16), (MUG, STORE, 4)])
    assert (report.sent, report.calls) == (4, 1)
    assert sorted(ChannelListing.objects.filter(product=goods["MUG-01"]).values_list("platform_location_id", "last_pushed_quantity")) == [
        (WAREHOUSE, 16), (STORE, 4),
    ]


def test_a_stock_change_at_one_oms_location_pushes_only_the_shopify_location_it_feeds(two_locations, goods, platform, options):
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok", "shopify/inventory_set_quantities_ok")
    mark(two_locations, *goods.values())
    channel_stock_push(channel="shop-us", client_options=options)

    stock_adjust(sku="MUG-01", location="boston", quantity=-1, reason="broken", actor="test")
    mark(two_locations, goods["MUG-01"])
    report = channel_stock_push(channel="shop-us", client_options=options)

    assert pushed(platform.requests[-1]) == [(MUG, STORE, 3)]
    assert (report.sent, report.unchanged, report.calls) == (1, 1, 1)


def test_the_rule_share_and_buffer_apply_to_each_locations_figure(two_locations, goods, platform, options, warehouse, boston):
    rule = ChannelStockRule.objects.create(channel_code="shop-us", share_percent=50, buffer_units=1)
    rule.locations.set([warehouse, boston])
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(two_locations, *goods.values())

    channel_stock_push(channel="shop-us", client_options=options)

    # Chicago: SHIRT 7 -> 3 - 1 = 2, MUG 16 -> 8 - 1 = 7; Boston: SHIRT 3 -> 1 - 1 = 0, MUG 4 -> 2 - 1 = 1
    assert pushed(platform.requests[1]) == sorted([(SHIRT, WAREHOUSE, 2), (SHIRT, STORE, 0), (MUG, WAREHOUSE, 7), (MUG, STORE, 1)])


def test_a_location_the_channels_rule_does_not_sell_from_is_refused_with_what_to_do(shop, warehouse, boston):
    ChannelStockRule.objects.create(channel_code="shop-us").locations.set([warehouse])

    with pytest.raises(InvalidInput) as refused:
        channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["chicago", "boston"], actor="test")

    assert "does not sell from boston" in refused.value.message and "stock rule" in refused.value.message
    assert "locations" in refused.value.fields
    assert not ChannelLocationMap.objects.exists()


def test_a_malformed_shopify_location_or_a_woocommerce_channel_is_refused(shop, warehouse, woo_channel):
    with pytest.raises(InvalidInput) as malformed:
        channel_location_map_save(channel="shop-us", platform_location_id="store-2", name="Store", location_codes=["chicago"], actor="test")
    with pytest.raises(InvalidInput) as woo:
        channel_location_map_save(channel="woo-de", platform_location_id="1", name="Store", location_codes=["chicago"], actor="test")

    assert "gid://shopify/Location/" in malformed.value.message
    assert "Only a Shopify channel" in woo.value.message


def test_saving_a_map_again_changes_it_records_the_change_and_keeps_one_map(shop, warehouse, boston):
    first = channel_location_map_save(channel="shop-us", platform_location_id="124656944", name="Store", location_codes=["chicago"], actor="test")

    again = channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["boston"], actor="test")

    assert again.pk == first.pk and again.platform_location_id == STORE
    assert [location.code for location in again.locations.all()] == ["boston"]
    update = ConfigChange.objects.filter(model="orders.ChannelLocationMap", action="update").get()
    assert update.changes == {"locations": [[warehouse.pk], [boston.pk]]}


def test_the_resync_reads_each_location_corrects_its_drift_and_reports_it_per_location(two_locations, goods, platform, options):
    platform.play("shopify/inventory_levels_by_sku", "shopify/inventory_levels_by_sku_store", "shopify/inventory_set_quantities_ok")

    run = channel_stock_resync(channel="shop-us", actor="test", client_options=options)

    warehouse_levels, store_levels, push = platform.requests
    assert (warehouse_levels["body"]["variables"]["locationId"], store_levels["body"]["variables"]["locationId"]) == (WAREHOUSE, STORE)
    # the platform showed SHIRT-M 5 at the warehouse (OMS 7) and MUG-01 9 at the store (OMS 4)
    assert pushed(push) == sorted([(SHIRT, WAREHOUSE, 7), (MUG, STORE, 4)])
    assert (run.status, run.skus_checked, run.drifted, run.pushed) == ("done", 4, 2, 2)
    assert run.by_location == {
        WAREHOUSE: {"name": "Warehouse", "checked": 2, "drifted": 1, "pushed": 1},
        STORE: {"name": "Store", "checked": 2, "drifted": 1, "pushed": 1},
    }
    assert sorted(run.drift_sample, key=lambda d: d["sku"]) == [
        {"sku": "MUG-01", "platform": 9, "oms": 4, "location": STORE}, {"sku": "SHIRT-M", "platform": 5, "oms": 7, "location": WAREHOUSE},
    ]


def test_marking_and_pushing_take_as_many_queries_for_three_locations_as_for_one(shop, goods, boston, platform, options):
    denver = LocationFactory(code="denver", name="Denver store", city="Denver")
    for location in ("boston", "denver"):
        stock_receive(sku="MUG-01", location=location, quantity=2, actor="test")
    channel_location_map_save(channel="shop-us", platform_location_id="124656943", name="Warehouse", location_codes=["chicago"], actor="test")
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok", "shopify/inventory_items_by_sku",
                  "shopify/inventory_set_quantities_ok")
    channel_stock_push(channel="shop-us", client_options=options)  # the channel's lease row exists from now on

    def queries_to_mark_and_push() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            mark(shop, *goods.values())
            report = channel_stock_push(channel="shop-us", client_options=options)
        assert report.calls == 1
        return len(queries)

    one = queries_to_mark_and_push()
    channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Boston", location_codes=["boston"], actor="test")
    channel_location_map_save(channel="shop-us", platform_location_id="124656945", name="Denver", location_codes=[denver.code], actor="test")
    three = queries_to_mark_and_push()

    assert three == one
    assert ChannelListing.objects.filter(platform_location_id="gid://shopify/Location/124656945", product=goods["MUG-01"]).get().last_pushed_quantity == 2


def test_without_an_active_map_the_connections_location_gets_the_figure_of_every_location(shop, goods, boston, platform, options):
    stock_receive(sku="MUG-01", location="boston", quantity=4, actor="test")
    channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["boston"], is_active=False, actor="test")
    platform.play("shopify/inventory_items_by_sku", "shopify/inventory_set_quantities_ok")
    mark(shop, *goods.values())

    channel_stock_push(channel="shop-us", client_options=options)

    assert pushed(platform.requests[1]) == sorted([(SHIRT, WAREHOUSE, 7), (MUG, WAREHOUSE, 20)])
    assert set(ChannelListing.objects.values_list("platform_location_id", flat=True)) == {""}


def test_maps_are_kept_apart_per_channel(shop, goods, boston):
    other = ChannelFactory(code="shop-ca", name="Shopify CA", adapter="shopify")
    channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["boston"], actor="test")

    channel_location_map_save(channel="shop-ca", platform_location_id=STORE, name="Store", location_codes=["boston"], actor="test")

    assert ChannelLocationMap.objects.filter(platform_location_id=STORE).count() == 2
    assert ChannelLocationMap.objects.get(channel=other).locations.get() == boston


# --- the console ---------------------------------------------------------------------------------------


def test_the_manager_maps_a_location_and_is_told_when_the_rule_does_not_sell_from_it(console, shop, warehouse, boston):
    ChannelStockRule.objects.create(channel_code="shop-us").locations.set([warehouse])
    manager = console("Operations manager")
    form = {"channel": shop.channel_id, "platform_location_id": "124656944", "name": "Store", "is_active": "on"}

    refused = manager.post("/admin/orders/channellocationmap/add/", {**form, "locations": [boston.pk]})
    saved = manager.post("/admin/orders/channellocationmap/add/", {**form, "locations": [warehouse.pk]})

    assert refused.status_code == 200 and "does not sell from boston" in refused.content.decode()
    assert saved.status_code == 302
    location_map = ChannelLocationMap.objects.get()
    assert location_map.platform_location_id == STORE and list(location_map.locations.all()) == [warehouse]
    assert ConfigChange.objects.filter(model="orders.ChannelLocationMap", action="create").exists()
    channel_page = manager.get(f"/admin/orders/channel/{shop.channel_id}/change/").content.decode()
    assert "1 Shopify location(s) mapped" in channel_page


def test_who_may_only_see_channels_sees_the_maps_but_cannot_change_them(console, shop, warehouse):
    location_map = channel_location_map_save(channel="shop-us", platform_location_id=STORE, name="Store", location_codes=["chicago"], actor="test")
    warehouse_staff = console("Warehouse")

    listed = warehouse_staff.get("/admin/orders/channellocationmap/")
    changed = warehouse_staff.post(f"/admin/orders/channellocationmap/{location_map.pk}/change/", {
        "channel": shop.channel_id, "platform_location_id": STORE, "name": "Renamed", "locations": [warehouse.pk],
    })

    assert listed.status_code == 200 and "Store" in listed.content.decode()
    assert changed.status_code == 403
    assert ChannelLocationMap.objects.get().name == "Store"


def test_the_run_page_shows_the_drift_per_location(console, two_locations, goods, platform, options):
    platform.play("shopify/inventory_levels_by_sku", "shopify/inventory_levels_by_sku_store", "shopify/inventory_set_quantities_ok")
    run = channel_stock_resync(channel="shop-us", actor="test", client_options=options)

    page = console("Operations manager").get(f"/admin/orders/channelstocksyncrun/{run.pk}/change/").content.decode()

    assert "Per platform location" in page and "<td>Store</td><td>gid://shopify/Location/124656944</td>" in page
    assert "<td>MUG-01</td><td>gid://shopify/Location/124656944</td><td>9</td><td>4</td>" in page


def test_the_listing_list_shows_each_listings_platform_location(console, two_locations, goods):
    mark(two_locations, *goods.values())

    page = console("Operations manager").get("/admin/orders/channellisting/").content.decode()

    assert STORE in page and WAREHOUSE in page


from ..admin.conftest import console  # noqa: E402, F401  (the console(role) fixture)
