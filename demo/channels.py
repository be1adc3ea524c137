"""The demo's connected shops: the Shopify web shop and the WooCommerce outlet, with the history
a connected shop leaves in the console (stock listings and resyncs with drift, missed-orders
catch-ups, shipments passed back to Shopify with one the platform refused).

The demo runs offline, so it never calls a shop: the connections are saved with pushing, catch-up
and fulfillment passing switched off (switched on, every stock change or shipment in the demo
would call the shop's made-up address), and the outcomes of the calls that would have been made
are recorded as the rows those services leave: listings as the stock sync creates them, with the
outcome a push records (in sync with the figure sent, failing with the platform's reason, not on
the platform, waiting for the next push); resyncs, catch-ups and fulfillment syncs with the
platforms' messages as the clients word them. The figures are the channels' real available-to-promise. Deterministic by seed;
each part is added once.
"""

import random
import secrets
from datetime import timedelta

from django.utils import timezone

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from inventory.models import Product
from inventory.selectors import available_to_promise_for_skus
from orders.models import (
    Channel,
    ChannelConnection,
    ChannelFulfillmentSync,
    ChannelListing,
    ChannelReconciliation,
    ChannelStockSyncRun,
    Order,
)
from orders.services import order_note_add
from shipping.carriers import carrier_tracking_url

from .report import SEED, DemoReport

SHOPIFY_LOCATION = "gid://shopify/Location/71802208470"
CONNECTIONS = {
    "web": lambda: {
        "shopify_shop_domain": "oms-demo-outfitters.myshopify.com", "shopify_access_token": f"shpat_{secrets.token_hex(16)}",
        "shopify_location_id": SHOPIFY_LOCATION.rsplit("/", 1)[1],
    },
    "outlet": lambda: {
        "woocommerce_url": "https://outlet.oms-demo.example", "woocommerce_consumer_key": f"ck_{secrets.token_hex(20)}",
        "woocommerce_consumer_secret": f"cs_{secrets.token_hex(20)}",
    },
}
# Of each shop's listings: the share the platform does not list, that fail, that wait for a push.
LISTING_SHARES = {"web": (0.03, 0.02, 0.04), "outlet": (0.35, 0.03, 0.05)}
LISTING_ERRORS = {
    "web": ("platform_user_error", "Channel web: Shopify refused the stock update: The specified inventory item is not stocked at the location."),
    "outlet": ("woocommerce_rest_product_invalid_id", "Invalid ID."),
}
DRIFTED = 7  # SKUs whose platform figure last night's resync found off
SYNC_DAYS = 21  # shipments of the last days were passed back to Shopify
CATCH_UP_MINUTES = 15


def channels_sync_seed(report: DemoReport) -> None:
    """The shops' connections and the history of their syncs (see the module's docstring)."""
    rng = random.Random(f"{SEED}-channels")
    now = timezone.now()
    for code, settings in CONNECTIONS.items():
        channel = Channel.objects.filter(code=code).first()
        if channel is None or ChannelConnection.objects.filter(channel=channel).exists():
            continue
        ChannelConnection.objects.create(channel=channel, **settings())
        report.created["channel connections"] += 1
        _listings(channel, rng, now, report)
        _resyncs(channel, rng, now, report)
        _catch_ups(channel, now, report)
    _fulfillments_passed_back(now, report)


def _listings(channel: Channel, rng: random.Random, now, report: DemoReport) -> None:
    """Every active product listed on the shop, each with the outcome of its last push."""
    products = list(Product.objects.filter(is_active=True).order_by("sku"))
    promises = available_to_promise_for_skus(products, channel=channel.code)
    # At least one listing in each state, however small the catalogue.
    shuffled = rng.sample(range(len(products)), len(products))
    unknown, failing, waiting = (set(shuffled[start:end]) for start, end in _shares(LISTING_SHARES[channel.code], len(products)))
    listings = []
    for index, (product, promise) in enumerate(zip(products, promises)):
        figure = promise.available_to_promise
        listing = ChannelListing(channel=channel, product=product, dirty=False)
        listings.append(listing)
        if index in unknown:
            listing.status, listing.last_error_code = ChannelListing.Status.UNKNOWN_SKU, "unknown_sku"
            listing.last_error = "The platform has no product with this SKU; the nightly resync looks again."
            continue
        if channel.adapter == Channel.Adapter.SHOPIFY:
            listing.platform_item_id, listing.platform_location_id = f"gid://shopify/InventoryItem/{44100000000 + index}", SHOPIFY_LOCATION
        else:
            listing.platform_item_id, listing.platform_variant_id = str(1200 + index // 4), str(5000 + index)
        listing.status, listing.last_pushed_quantity = ChannelListing.Status.IN_SYNC, figure
        listing.last_pushed_at = now - timedelta(minutes=rng.uniform(2, 600))
        if index in failing:
            listing.status, listing.attempts = ChannelListing.Status.FAILING, 3
            listing.last_error_code, listing.last_error = LISTING_ERRORS[channel.code]
            listing.dirty, listing.dirty_since, listing.marks, listing.next_attempt_at = True, now - timedelta(hours=2), 1, now + timedelta(minutes=1)
        elif index in waiting:
            # A sale since the last push: the figure waits for the next one (the debounce).
            listing.last_pushed_quantity = figure + 1
            listing.dirty, listing.dirty_since, listing.marks = True, now - timedelta(seconds=rng.randint(5, 50)), 1
    ChannelListing.objects.bulk_create(listings, batch_size=500)
    report.created["channel listings"] += len(listings)


def _shares(shares: tuple[float, ...], count: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, end)`` ranges of ``count`` items, one per share, each at least one item."""
    ranges, start = [], 0
    for share in shares:
        end = start + max(1, round(count * share))
        ranges.append((start, end))
        start = end
    return ranges


def _resyncs(channel: Channel, rng: random.Random, now, report: DemoReport) -> None:
    """Last night's full resync, which found some figures off on the platform and corrected them
    (the outlet's night before failed: its keys had been changed in WordPress)."""
    listings = ChannelListing.objects.filter(channel=channel)
    known = list(listings.exclude(status=ChannelListing.Status.UNKNOWN_SKU).select_related("product").order_by("product__sku"))
    drifted = sorted(rng.sample(known, min(DRIFTED, len(known))), key=lambda listing: listing.product.sku)
    failing = listings.filter(status=ChannelListing.Status.FAILING).count()
    night = (now - timedelta(days=1)).replace(hour=2, minute=40, second=0, microsecond=0)
    runs = []
    if channel.adapter == Channel.Adapter.WOOCOMMERCE:
        runs.append(ChannelStockSyncRun(
            channel=channel, status=ChannelStockSyncRun.Status.FAILED, started_at=night - timedelta(days=1),
            finished_at=night - timedelta(days=1) + timedelta(seconds=2), actor_label="stock resync",
            message=f"Channel {channel.code}: WooCommerce refused the credentials (HTTP 401). "
                    "Check the access token or keys and their permissions on the channel page.",
        ))
    runs.append(ChannelStockSyncRun(
        channel=channel, status=ChannelStockSyncRun.Status.DONE, started_at=night, finished_at=night + timedelta(seconds=rng.randint(30, 90)),
        skus_checked=listings.count(), unknown=listings.filter(status=ChannelListing.Status.UNKNOWN_SKU).count(),
        drifted=len(drifted) + failing, pushed=len(drifted), failed=failing, actor_label="stock resync",
        # The platform showed more than we publish: sales it had not heard of before the resync.
        drift_sample=[{"sku": listing.product.sku, "platform": (listing.last_pushed_quantity or 0) + rng.randint(1, 4),
                       "oms": listing.last_pushed_quantity or 0} for listing in drifted],
    ))
    ChannelStockSyncRun.objects.bulk_create(runs)
    report.created["stock resyncs"] += len(runs)


def _catch_ups(channel: Channel, now, report: DemoReport) -> None:
    """The last missed-orders catch-up, over the last day: the web shop's found every order
    already here; the outlet's could not reach the shop."""
    window_to = now - timedelta(minutes=CATCH_UP_MINUTES)
    window_from = window_to - timedelta(days=1)
    if channel.adapter == Channel.Adapter.SHOPIFY:
        listed = Order.objects.filter(channel=channel, placed_at__gte=window_from, placed_at__lt=window_to).count()
        run = ChannelReconciliation(status=ChannelReconciliation.Status.OK, listed=listed, already_present=listed)
    else:
        run = ChannelReconciliation(
            status=ChannelReconciliation.Status.FAILED,
            error=f"Channel {channel.code}: WooCommerce did not answer GET /wp-json/wc/v3/orders after 3 tries (last: HTTP 503). "
                  "It will be tried again later.",
        )
    run.channel, run.started_by, run.window_from, run.window_to = channel, "job:catch-up", window_from, window_to
    run.started_at, run.finished_at = window_to, window_to + timedelta(seconds=3)
    run.save()
    report.created["catch-up runs"] += 1


def _fulfillments_passed_back(now, report: DemoReport) -> None:
    """Shipments and deliveries of the web shop's recent orders, passed back to Shopify; the
    latest shipment was refused (someone had closed it in Shopify by hand), which the order's
    timeline says, as the sync does."""
    if ChannelFulfillmentSync.objects.exists():
        return
    shipped = list(
        FulfillmentOrder.objects.filter(
            order__channel__code="web", order__channel__adapter=Channel.Adapter.SHOPIFY, shipment__isnull=False,
            status__in=[FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED], shipped_at__gte=now - timedelta(days=SYNC_DAYS),
        ).select_related("order", "order__channel", "shipment", "shipment__carrier").prefetch_related("lines__order_line").order_by("shipped_at", "pk")
    )
    if not shipped:
        return
    syncs = []
    for index, fulfillment_order in enumerate(shipped):
        shipment = fulfillment_order.shipment
        sent_at = fulfillment_order.shipped_at + timedelta(seconds=40)
        payload = {
            "carrier": shipment.carrier.name, "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url or carrier_tracking_url(shipment.carrier.adapter, shipment.tracking_number),
            "lines": [{"order_line_id": line.order_line_id, "line_id": line.order_line.external_line_id, "sku": line.order_line.sku,
                       "name": line.order_line.name, "quantity": line.quantity} for line in fulfillment_order.lines.all()],
            "order_shipped_in_full": True,
        }
        common = {"channel": fulfillment_order.order.channel, "order": fulfillment_order.order, "fulfillment_ref": fulfillment_order.number}
        syncs.append(ChannelFulfillmentSync(
            **common, action=ChannelFulfillmentSync.Action.SHIP, payload=payload, status=ChannelFulfillmentSync.Status.SENT, attempts=1,
            platform_id=f"gid://shopify/Fulfillment/{5610000000 + index}", created_at=fulfillment_order.shipped_at, sent_at=sent_at,
        ))
        if fulfillment_order.status == FulfillmentStatus.DELIVERED and shipment.delivered_at:
            syncs.append(ChannelFulfillmentSync(
                **common, action=ChannelFulfillmentSync.Action.DELIVER, payload={"delivered_at": shipment.delivered_at.isoformat()},
                status=ChannelFulfillmentSync.Status.SENT, attempts=1, platform_id=f"gid://shopify/FulfillmentEvent/{7720000000 + index}",
                created_at=shipment.delivered_at, sent_at=shipment.delivered_at + timedelta(seconds=40),
            ))
    refused = syncs[-1] if syncs[-1].action == ChannelFulfillmentSync.Action.SHIP else syncs[-2]
    refused.status, refused.platform_id, refused.sent_at = ChannelFulfillmentSync.Status.REFUSED, "", None
    refused.last_error = "Channel web: Shopify refused the fulfillment: Fulfillment order has an unfulfillable status= closed."
    ChannelFulfillmentSync.objects.bulk_create(syncs)
    order_note_add(
        order_id=refused.order_id, actor="channel-sync",
        text=f"Shipment of {refused.fulfillment_ref} to {refused.channel.name}: not passed on: {refused.last_error}",
    )
    report.created["channel fulfillment syncs"] += len(syncs)
