"""Stock out to channels: every channel connection with "push stock" on publishes each product's
available-to-promise under the channel's stock rule to its platform (Shopify, WooCommerce).

How a change travels, and what it costs whom:

1. A stock service writes ledger rows; after its commit ``inventory.changes`` tells
   :func:`stock_changes_note` which products changed. That costs the order nothing: no query
   (which channels push is held per process), one cache ``add`` per product, and a task enqueued
   only when none is already pending for that product (``OMS_STOCK_SYNC_DEBOUNCE_SECONDS`` later).
2. The task (:func:`stock_changes_take`) marks the products' listings dirty and runs
   :func:`channel_stock_push` for each pushing channel.
3. One runner per channel at a time (a lease row): it takes due dirty listings, computes their
   figures in bulk, sends only figures that differ from the last sent, in batches, paced by the
   platform's limits, and records each listing's outcome. A listing changed again while it was
   being pushed stays dirty and is due again one debounce later: a burst of 500 orders on one
   SKU ends as a few pushes, the last carrying the last figure.
4. Failures back off per listing (exponential; a 429 waits what the platform asked); per-item
   refusals are recorded on the listing and shown in the admin.
5. A sweep every minute (:func:`stock_ledger_sweep`) reads the ledger since its cursor, with an
   overlap (commit order is not id order), so a lost nudge costs at most a minute; it also pushes
   what is due after a backoff.
6. :func:`channel_stock_resync` (nightly and on demand) reads the platform's own figures, corrects
   them and reports the drift in a :class:`ChannelStockSyncRun`.

Where the figures go: a channel publishes at its *platform locations*. A Shopify channel with
active :class:`ChannelLocationMap` rows has one listing per product and mapped Shopify location,
whose figure is what the channel's rule lets it promise from that map's OMS locations (share and
buffer applied to each location's figure); without maps it has one listing per product (an empty
``platform_location_id``) published at the connection's Shopify location, from every location
the rule sells from. A nudge marks a product's listings at every platform location; only the
figures that changed are sent, so a change at one OMS location reaches only the platform
locations it feeds.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Max, Min, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import Location, Product, StockMovement
from inventory.selectors import available_to_promise_by_location_group
from oms.actors import Actor, actor_fields
from oms.errors import DomainError, NotFound

from ..models import Channel, ChannelConnection, ChannelListing, ChannelLocationMap, ChannelStockSyncRun, StockSyncState
from ..platforms import (
    InventoryQuantity, PlatformError, PlatformRateLimited, RetryPolicy, ShopifyClient, StockUpdate, WooCommerceClient, client_for,
)

logger = logging.getLogger(__name__)

PENDING_KEY = "stock-sync:pending:{}"  # a push task is queued for this product
PENDING_SECONDS = 60  # a lost task's key expires; the sweep covers the gap
BATCH = 250  # listings per round
SHOPIFY_PER_CALL = 100  # quantities per inventorySetQuantities call
SHOPIFY_CALL_COST = 10  # points an inventorySetQuantities call is charged, about
LEASE_SECONDS = 120  # a runner that died frees its channel after this
SWEEP_OVERLAP = timedelta(minutes=2)  # ledger rows that took an id earlier but committed later
# When a listing that failed is pushed again: 15 s after the first try, doubling to an hour.
RESCHEDULE = RetryPolicy(first_delay=15, longest_delay=3600)
DRIFT_SAMPLE = 50
# Pushes run in the background: a wait the platform asks for longer than this is not slept
# through; the listings are rescheduled instead.
SYNC_POLICY = RetryPolicy(attempts=3, first_delay=1.0, longest_delay=10.0, longest_wait=10.0)


# --- which channels push ---------------------------------------------------------------------


class _PushingMemo:
    channels: dict[str, int] | None = None  # code -> channel id
    read_at: float = 0.0


_pushing = _PushingMemo()


def stock_push_channels(*, max_age_seconds: float | None = None) -> dict[str, int]:
    """``{channel code: channel id}`` of the active channels whose connection pushes stock, read
    at most once per ``OMS_STOCK_SYNC_CHANNELS_MAX_AGE`` seconds per process."""
    max_age = settings.OMS_STOCK_SYNC_CHANNELS_MAX_AGE if max_age_seconds is None else max_age_seconds
    now = time.monotonic()
    if _pushing.channels is None or now - _pushing.read_at >= max_age:
        _pushing.channels = dict(
            ChannelConnection.objects.filter(stock_push_enabled=True, channel__is_active=True)
            .values_list("channel__code", "channel_id")
        )
        _pushing.read_at = now
    return _pushing.channels


def stock_push_channels_forget() -> None:
    """Read the switches again on next use (after the admin saved one; tests start clean)."""
    _pushing.channels, _pushing.read_at = None, 0.0


# --- where each channel publishes ------------------------------------------------------------------

# The listing key of a channel without location maps: its one figure per product (Shopify: at the
# connection's location).
SINGLE_LOCATION = ""

# {listing key (platform location gid, or SINGLE_LOCATION): the OMS location ids feeding it (None: all the rule sells from)}
Targets = dict[str, frozenset[int] | None]


def channel_location_targets(channel_ids) -> dict[int, Targets]:
    """Per channel id, the platform locations it publishes at and the OMS locations feeding each
    (two queries however many channels and maps). Only Shopify channels have maps."""
    channel_ids = sorted(set(channel_ids))
    targets: dict[int, Targets] = {pk: {} for pk in channel_ids}
    maps = ChannelLocationMap.objects.filter(
        channel_id__in=channel_ids, is_active=True, channel__adapter=Channel.Adapter.SHOPIFY,
    ).prefetch_related(Prefetch("locations", queryset=Location.objects.only("pk")))
    for location_map in maps:
        targets[location_map.channel_id][location_map.platform_location_id] = frozenset(loc.pk for loc in location_map.locations.all())
    return {pk: found or {SINGLE_LOCATION: None} for pk, found in targets.items()}


def _targets(connection: ChannelConnection) -> Targets:
    return channel_location_targets([connection.channel_id])[connection.channel_id]


def _published(targets: dict[int, Targets]) -> Q:
    """The listings at the platform locations the channels publish at now (a map switched off or
    removed leaves its listings alone, unpushed)."""
    condition = Q(pk__in=[])
    for channel_id, keys in targets.items():
        condition |= Q(channel_id=channel_id, platform_location_id__in=sorted(keys))
    return condition


# --- 1. the nudge, after a stock change committed ----------------------------------------------


def stock_changes_note(product_ids: frozenset[int]) -> None:
    """The ``inventory.changes`` listener: queue one push task for the products that have none
    queued. No query in steady state; never raises into the stock change that called it."""
    if not stock_push_channels():
        return
    try:
        fresh = [pk for pk in sorted(product_ids) if cache.add(PENDING_KEY.format(pk), 1, timeout=PENDING_SECONDS)]
        if fresh:
            from ..tasks import stock_changes_push

            stock_changes_push.apply_async(kwargs={"product_ids": fresh}, countdown=settings.OMS_STOCK_SYNC_DEBOUNCE_SECONDS)
    except Exception:  # the broker or the cache is down: the sweep finds the change within a minute
        logger.exception("Could not queue the stock push of %d product(s); the sweep will", len(product_ids))


def stock_changes_take(*, product_ids: list[int], client_options: dict | None = None) -> dict[str, "PushReport"]:
    """The queued task: forget the pending marks (a change from now on queues a new task), mark
    the products dirty on every pushing channel, and push each of those channels."""
    cache.delete_many([PENDING_KEY.format(pk) for pk in product_ids])
    channels = stock_push_channels(max_age_seconds=0)
    stock_listings_mark(product_ids=product_ids, channel_ids=list(channels.values()))
    return {code: channel_stock_push(channel=code, client_options=client_options) for code in channels}


def stock_listings_mark(*, product_ids, channel_ids) -> int:
    """Mark these products' listings on these channels dirty, at every platform location each
    channel publishes at (creating missing listings); five statements whatever the numbers.
    Listings of SKUs the platform does not know stay as they are (the resync looks them up again)."""
    product_ids, channel_ids = sorted(set(product_ids)), sorted(set(channel_ids))
    if not product_ids or not channel_ids:
        return 0
    now = timezone.now()
    targets = channel_location_targets(channel_ids)
    existing = list(Product.objects.filter(pk__in=product_ids).values_list("pk", flat=True))
    ChannelListing.objects.bulk_create(
        [
            ChannelListing(channel_id=c, product_id=p, platform_location_id=key, dirty=True, dirty_since=now)
            for c in channel_ids for key in targets[c] for p in existing
        ],
        ignore_conflicts=True,
    )
    return (
        ChannelListing.objects.filter(_published(targets), product_id__in=product_ids)
        .exclude(status=ChannelListing.Status.UNKNOWN_SKU)
        .update(dirty=True, dirty_since=Coalesce("dirty_since", now), marks=F("marks") + 1)
    )


def stock_ledger_sweep(*, client_options: dict | None = None) -> dict[str, "PushReport"]:
    """The safety net (every minute): mark dirty the products of ledger rows since the cursor (and
    of the last ``SWEEP_OVERLAP``, for rows that committed after a later id), then push every
    pushing channel, which also sends what a backoff held back."""
    channels = stock_push_channels(max_age_seconds=0)
    state, _ = StockSyncState.objects.get_or_create(key="sweep")
    now = timezone.now()
    if state.swept_at is None:  # first run: start at the ledger's end; the nightly resync covers the past
        state.movement_cursor = StockMovement.objects.order_by("-id").values_list("id", flat=True).first() or 0
    else:
        rows = StockMovement.objects.filter(Q(id__gt=state.movement_cursor) | Q(created_at__gte=state.swept_at - SWEEP_OVERLAP))
        product_ids = set(rows.order_by().values_list("product_id", flat=True).distinct())
        newest = StockMovement.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if channels:
            stock_listings_mark(product_ids=product_ids, channel_ids=list(channels.values()))
        state.movement_cursor = max(state.movement_cursor, newest)
    state.swept_at = now
    state.save(update_fields=["movement_cursor", "swept_at"])
    return {code: channel_stock_push(channel=code, client_options=client_options) for code in channels}


# --- 3. the push ---------------------------------------------------------------------------------


@dataclass
class PushReport:
    busy: bool = False  # another runner had the channel
    sent: int = 0  # figures sent and accepted
    failed: int = 0
    unchanged: int = 0  # dirty, but the figure was what the platform already had from us
    unknown: int = 0
    calls: int = 0  # stock-setting calls made to the platform
    rounds: int = 0


@dataclass
class _Outcome:
    """What one push round concluded about each listing."""

    pushed: dict[int, int] = field(default_factory=dict)  # listing id -> figure accepted
    failed: dict[int, tuple[str, str, float | None]] = field(default_factory=dict)  # id -> (code, message, retry after)
    clean: list[int] = field(default_factory=list)  # nothing to send
    unknown: list[int] = field(default_factory=list)


def _connection(channel: str) -> ChannelConnection:
    connection = ChannelConnection.objects.select_related("channel").filter(channel__code=channel).first()
    if connection is None:
        raise NotFound(f"Channel {channel} has no platform connection: fill in its connection settings first.")
    return connection


def _lease_take(key: str, *, now) -> bool:
    StockSyncState.objects.get_or_create(key=key)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return StockSyncState.objects.filter(free, key=key).update(lease_until=now + timedelta(seconds=LEASE_SECONDS)) == 1


def _lease_release(key: str) -> None:
    StockSyncState.objects.filter(key=key).update(lease_until=None)


def _due(connection: ChannelConnection, targets: Targets, now):
    return ChannelListing.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), _published({connection.channel_id: targets}), dirty=True,
    ).exclude(status=ChannelListing.Status.UNKNOWN_SKU)


def _client(connection: ChannelConnection, client_options: dict | None) -> ShopifyClient | WooCommerceClient:
    return client_for(connection, **{"policy": SYNC_POLICY, **(client_options or {})})


def channel_stock_push(
    *, channel: str, client_options: dict | None = None, run_seconds: float | None = None, sleep=time.sleep,
) -> PushReport:
    """Push the channel's due dirty listings until none is left or the run's time is up.

    Only one runner per channel at a time: another one that finds the lease taken returns at once
    (``busy``): the holder checks again for dirty listings after it let the lease go, so a mark
    made meanwhile is not left behind. A listing marked again while it was being pushed is due
    again one debounce later, and the runner waits for it while its time lasts."""
    report = PushReport()
    connection = _connection(channel)
    if not connection.stock_push_enabled:
        return report
    key = f"channel:{channel}"
    targets = _targets(connection)
    debounce = settings.OMS_STOCK_SYNC_DEBOUNCE_SECONDS
    deadline = time.monotonic() + (settings.OMS_STOCK_SYNC_RUN_SECONDS if run_seconds is None else run_seconds)
    client = None
    while True:
        if not _lease_take(key, now=timezone.now()):
            report.busy = True
            return report
        try:
            while time.monotonic() < deadline:
                listings = list(_due(connection, targets, timezone.now()).select_related("product").order_by("dirty_since", "id")[:BATCH])
                if not listings:
                    soonest = _soonest(connection, targets)
                    wait = (soonest - timezone.now()).total_seconds() if soonest else None
                    if wait is None or wait > debounce * 2 or time.monotonic() + max(wait, 0) >= deadline:
                        break
                    sleep(max(wait, 0.01))
                    continue
                client = client or _client(connection, client_options)
                if _round(connection, client, listings, report, targets):
                    break  # rate limited: the listings wait what the platform asked
        finally:
            _lease_release(key)
        if time.monotonic() >= deadline or not _due(connection, targets, timezone.now()).exists():
            break
    _follow_up(connection, targets)
    return report


def _soonest(connection: ChannelConnection, targets: Targets):
    return (
        ChannelListing.objects.filter(_published({connection.channel_id: targets}), dirty=True)
        .exclude(status=ChannelListing.Status.UNKNOWN_SKU)
        .aggregate(soonest=Min("next_attempt_at"))["soonest"]
    )


def _follow_up(connection: ChannelConnection, targets: Targets) -> None:
    """Listings still dirty and due within a minute get a task then (the sweep would be later)."""
    if current_app.conf.task_always_eager:  # in-process tasks ignore the delay; the sweep is enough there
        return
    soonest = _soonest(connection, targets)
    if soonest is None:
        return
    wait = max((soonest - timezone.now()).total_seconds(), settings.OMS_STOCK_SYNC_DEBOUNCE_SECONDS)
    if wait <= 60:
        from ..tasks import channel_stock_push_task

        channel_stock_push_task.apply_async(kwargs={"channel": connection.channel.code}, countdown=wait)


def _round(connection: ChannelConnection, client, listings: list[ChannelListing], report: PushReport, targets: Targets) -> bool:
    """Push one batch; record every listing's outcome. True when the platform asked to wait."""
    report.rounds += 1
    outcome = _Outcome()
    marks = {listing.pk: listing.marks for listing in listings}
    limited = False
    try:
        _platform_ids_resolve(connection, client, [listing for listing in listings if not listing.platform_item_id], outcome)
        known = [listing for listing in listings if listing.pk not in outcome.unknown]
        figures = _figures(connection.channel.code, known, targets)
        wanted = {}
        for listing in known:
            figure = figures[listing.pk]
            if figure == listing.last_pushed_quantity and listing.status == ChannelListing.Status.IN_SYNC:
                outcome.clean.append(listing.pk)
            else:
                wanted[listing.pk] = figure
        report.calls += _send(connection, client, [listing for listing in known if listing.pk in wanted], wanted, outcome)
    except PlatformRateLimited as error:
        limited = True
        _all_failed(listings, outcome, error, retry_after=error.retry_after or RESCHEDULE.first_delay)
    except PlatformError as error:
        _all_failed(listings, outcome, error, retry_after=None)
    _record(listings, outcome, marks)
    report.sent += len(outcome.pushed)
    report.failed += len(outcome.failed)
    report.unchanged += len(outcome.clean)
    report.unknown += len(outcome.unknown)
    return limited


def _all_failed(listings, outcome: _Outcome, error: PlatformError, *, retry_after: float | None) -> None:
    for listing in listings:
        if listing.pk not in outcome.pushed and listing.pk not in outcome.unknown and listing.pk not in outcome.clean:
            outcome.failed[listing.pk] = (error.code, error.message, retry_after)


def _figures(channel: str, listings: list[ChannelListing], targets: Targets) -> dict[int, int]:
    """Per listing id, what the channel may promise at the listing's platform location under its
    rule (from the OMS locations mapped to it), in constant queries however many locations."""
    if not listings:
        return {}
    groups = {key: targets.get(key) for key in {listing.platform_location_id for listing in listings}}
    figures = available_to_promise_by_location_group({listing.product_id for listing in listings}, channel=channel, groups=groups)
    return {listing.pk: figures[listing.platform_location_id][listing.product_id] for listing in listings}


def _platform_ids_resolve(connection: ChannelConnection, client, listings: list[ChannelListing], outcome: _Outcome) -> None:
    """Look the platform's ids up in bulk and keep them on the listings; unknown SKUs are noted."""
    if not listings:
        return
    skus = [listing.product.sku for listing in listings]
    if isinstance(client, ShopifyClient):
        if any(listing.platform_location_id == SINGLE_LOCATION for listing in listings):
            _shopify_location(connection)  # says what to set before any call is made
        found = client.inventory_items_by_sku(skus)  # an item is the same at every location: one look-up per SKU
        for listing in listings:
            if listing.product.sku in found:
                listing.platform_item_id = found[listing.product.sku]
    else:
        found = client.products_by_sku(skus)
        for listing in listings:
            ids = found.get(listing.product.sku)
            if ids:
                listing.platform_item_id = str(ids["product_id"])
                listing.platform_variant_id = str(ids["variation_id"] or "")
    outcome.unknown.extend(listing.pk for listing in listings if listing.product.sku not in found)


def _shopify_location(connection: ChannelConnection) -> str:
    if not connection.shopify_location_id:
        raise PlatformError(
            f"Channel {connection.channel.code}: choose the Shopify location the OMS sets stock at on the channel page.",
            code="platform_not_configured",
        )
    return connection.shopify_location_gid


def _send(connection: ChannelConnection, client, listings: list[ChannelListing], figures: dict[int, int], outcome: _Outcome) -> int:
    """Send the figures in batches; returns the number of calls."""
    if not listings:
        return 0
    calls = 0
    if isinstance(client, ShopifyClient):
        by_key = {}
        for listing in listings:
            location = listing.platform_location_id or _shopify_location(connection)
            by_key[f"{listing.platform_item_id}@{location}"] = listing
        keys = list(by_key)
        for start in range(0, len(keys), SHOPIFY_PER_CALL):
            chunk = keys[start:start + SHOPIFY_PER_CALL]
            client.pace(SHOPIFY_CALL_COST)
            quantities = [
                InventoryQuantity(by_key[key].platform_item_id, key.split("@", 1)[1], figures[by_key[key].pk]) for key in chunk
            ]
            result = client.inventory_set_quantities(quantities, reason="correction", reference=f"gid://oms/StockSync/{connection.channel.code}")
            calls += 1
            _batch_record(result, by_key, figures, outcome)
        return calls
    by_key = {}
    updates = []
    for listing in listings:
        update = StockUpdate(int(listing.platform_item_id), figures[listing.pk], int(listing.platform_variant_id) if listing.platform_variant_id else None)
        by_key[update.key] = listing
        updates.append(update)
    result = client.stock_set_many(updates)
    calls += len({(u.product_id if u.variation_id else None) for u in updates})  # one batch call per resource (≤ 100 items each)
    _batch_record(result, by_key, figures, outcome)
    return calls


def _batch_record(result, by_key: dict[str, ChannelListing], figures: dict[int, int], outcome: _Outcome) -> None:
    for key in result.succeeded:
        listing = by_key[key]
        outcome.pushed[listing.pk] = figures[listing.pk]
    for error in result.failed:
        listing = by_key[error.key]
        outcome.failed[listing.pk] = (error.code[:60], error.message, None)


def _record(listings: list[ChannelListing], outcome: _Outcome, marks: dict[int, int]) -> None:
    """Write each listing's outcome (one bulk update), then clear ``dirty`` where no mark came
    meanwhile; a listing marked again is due one debounce from now (one statement each)."""
    now = timezone.now()
    settled = []
    for listing in listings:
        listing.updated_at = now  # bulk_update does not touch auto_now fields itself
        if listing.pk in outcome.unknown:
            listing.status, listing.attempts, listing.next_attempt_at = ChannelListing.Status.UNKNOWN_SKU, 0, None
            listing.last_error_code, listing.last_error = "unknown_sku", "The platform has no product with this SKU; the nightly resync looks again."
            settled.append(listing.pk)
        elif listing.pk in outcome.failed:
            code, message, retry_after = outcome.failed[listing.pk]
            listing.attempts = min(listing.attempts + 1, 32767)
            listing.status = ChannelListing.Status.FAILING
            listing.next_attempt_at = now + timedelta(seconds=retry_after if retry_after is not None else RESCHEDULE.delay(listing.attempts))
            listing.last_error_code, listing.last_error = code[:60], message[:500]
        else:
            if listing.pk in outcome.pushed:
                listing.last_pushed_quantity, listing.last_pushed_at = outcome.pushed[listing.pk], now
            listing.status, listing.attempts, listing.next_attempt_at = ChannelListing.Status.IN_SYNC, 0, None
            listing.last_error_code = listing.last_error = ""
            settled.append(listing.pk)
    ChannelListing.objects.bulk_update(
        listings,
        ["status", "platform_item_id", "platform_variant_id", "last_pushed_quantity", "last_pushed_at", "attempts",
         "next_attempt_at", "last_error_code", "last_error", "updated_at"],
    )
    if not settled:
        return
    by_marks: dict[int, list[int]] = {}
    for pk in settled:
        by_marks.setdefault(marks[pk], []).append(pk)
    unchanged = Q()
    for count, ids in by_marks.items():
        unchanged |= Q(pk__in=ids, marks=count)
    with transaction.atomic():
        ChannelListing.objects.filter(unchanged).update(dirty=False, dirty_since=None)
        ChannelListing.objects.filter(pk__in=settled, dirty=True).exclude(status=ChannelListing.Status.UNKNOWN_SKU).update(
            next_attempt_at=now + timedelta(seconds=settings.OMS_STOCK_SYNC_DEBOUNCE_SECONDS),
        )


def channel_listings_push_again(*, listing_ids, actor: Actor) -> int:
    """Push these listings at the next run, whatever their state: errors and backoff are
    forgotten, unknown SKUs are looked up again. Returns how many were marked."""
    with transaction.atomic():
        marked = ChannelListing.objects.filter(pk__in=list(listing_ids)).update(
            dirty=True, dirty_since=Coalesce("dirty_since", timezone.now()), marks=F("marks") + 1, attempts=0, next_attempt_at=None,
            status=ChannelListing.Status.NEW, platform_item_id="", platform_variant_id="",
        )
        channels = list(ChannelListing.objects.filter(pk__in=list(listing_ids)).values_list("channel__code", flat=True).distinct())
        logger.info("%s asked to push %d listing(s) again", actor_fields(actor)["actor_label"], marked)

        def enqueue():
            from ..tasks import channel_stock_push_task

            for code in channels:
                channel_stock_push_task.delay(channel=code)

        transaction.on_commit(enqueue)
    return marked


# --- 4. full resync ------------------------------------------------------------------------------


def channel_stock_resync_request(*, channel: str, actor: Actor) -> None:
    """Queue a full resync of the channel (the admin action and the API)."""
    connection = _connection(channel)
    if not connection.stock_push_enabled:
        raise DomainError(
            f"Channel {channel} does not push stock: turn on “push stock” in its connection settings first.", code="stock_push_off",
        )
    from ..tasks import channel_stock_resync_task

    label = actor_fields(actor)["actor_label"]
    transaction.on_commit(lambda: channel_stock_resync_task.delay(channel=channel, actor=label))


def channel_stock_resync(*, channel: str, actor: Actor, client_options: dict | None = None) -> ChannelStockSyncRun:
    """Read every listed product's figure on the platform, set those that differ from the OMS's
    and record what was found. Every active product gets a listing. Holds the channel's lease
    (waiting for a running push to finish); a platform failure ends the run as ``failed`` with
    its reason."""
    connection = _connection(channel)
    run = ChannelStockSyncRun.objects.create(channel=connection.channel, actor_label=actor_fields(actor)["actor_label"][:120])
    if not connection.stock_push_enabled:
        return _run_finish(run, status=ChannelStockSyncRun.Status.FAILED, message="Push stock is off for this channel.")
    key = f"channel:{channel}"
    for _ in range(60):
        if _lease_take(key, now=timezone.now()):
            break
        time.sleep(1)
    else:
        return _run_finish(run, status=ChannelStockSyncRun.Status.FAILED, message="Another stock run held the channel for a minute; try again.")
    try:
        targets = _targets(connection)
        _listings_ensure(connection, targets)
        client = _client(connection, client_options)
        names = _location_names(connection, targets) if isinstance(client, ShopifyClient) else {}
        last = 0
        while True:
            listings = list(
                ChannelListing.objects.filter(_published({connection.channel_id: targets}), pk__gt=last)
                .select_related("product").order_by("pk")[:BATCH]
            )
            if not listings:
                break
            last = listings[-1].pk
            _resync_round(connection, client, listings, run, targets, names)
    except PlatformError as error:
        return _run_finish(run, status=ChannelStockSyncRun.Status.FAILED, message=error.message)
    finally:
        _lease_release(key)
    return _run_finish(run, status=ChannelStockSyncRun.Status.DONE, message="")


def _listings_ensure(connection: ChannelConnection, targets: Targets) -> None:
    """Every active product gets a listing at every platform location the channel publishes at."""
    listed = set(
        ChannelListing.objects.filter(_published({connection.channel_id: targets})).values_list("product_id", "platform_location_id")
    )
    products = Product.objects.filter(is_active=True).values_list("pk", flat=True)
    ChannelListing.objects.bulk_create(
        [
            ChannelListing(channel_id=connection.channel_id, product_id=pk, platform_location_id=key, dirty=False)
            for pk in products.iterator(chunk_size=2000) for key in targets if (pk, key) not in listed
        ],
        ignore_conflicts=True, batch_size=1000,
    )


def _location_names(connection: ChannelConnection, targets: Targets) -> dict[str, tuple[str, str]]:
    """``{listing key: (Shopify location gid, name)}`` for the resync's per-location report."""
    if SINGLE_LOCATION in targets:
        return {SINGLE_LOCATION: (connection.shopify_location_gid, "The connection's location")}
    maps = ChannelLocationMap.objects.filter(channel_id=connection.channel_id, platform_location_id__in=list(targets))
    return {m.platform_location_id: (m.platform_location_id, m.name) for m in maps}


def _platform_figures(connection: ChannelConnection, client, listings: list[ChannelListing]) -> dict[int, int | None]:
    """The platform's current figure per listing id (None: not tracked there), ids refreshed on
    the listings; listings whose SKU is unknown are absent."""
    figures: dict[int, int | None] = {}
    if isinstance(client, ShopifyClient):
        at: dict[str, list[ChannelListing]] = {}
        for listing in listings:
            at.setdefault(listing.platform_location_id, []).append(listing)
        for key, here in sorted(at.items()):  # one read per platform location (Shopify answers one location a query)
            location = key or _shopify_location(connection)
            levels = client.inventory_levels_by_sku([listing.product.sku for listing in here], location_id=location)
            for listing in here:
                level = levels.get(listing.product.sku)
                if level is not None:
                    listing.platform_item_id = level.inventory_item_id
                    figures[listing.pk] = level.available
        return figures
    found = client.products_by_sku([listing.product.sku for listing in listings])
    for listing in listings:
        ids = found.get(listing.product.sku)
        if ids:
            listing.platform_item_id, listing.platform_variant_id = str(ids["product_id"]), str(ids["variation_id"] or "")
            figures[listing.pk] = ids.get("stock_quantity")
    return figures


def _resync_round(
    connection: ChannelConnection, client, listings: list[ChannelListing], run: ChannelStockSyncRun, targets: Targets,
    names: dict[str, tuple[str, str]],
) -> None:
    marks = {listing.pk: listing.marks for listing in listings}
    outcome = _Outcome()
    platform = _platform_figures(connection, client, listings)
    known = [listing for listing in listings if listing.pk in platform]
    outcome.unknown.extend(listing.pk for listing in listings if listing.pk not in platform)
    figures = _figures(connection.channel.code, known, targets)
    wanted: dict[int, int] = {}
    for listing in known:
        ours, theirs = figures[listing.pk], platform[listing.pk]
        if ours == theirs:
            outcome.pushed[listing.pk] = ours  # what the platform shows is what we publish
            continue
        wanted[listing.pk] = ours
        run.drifted += 1
        if len(run.drift_sample) < DRIFT_SAMPLE:
            drift = {"sku": listing.product.sku, "platform": theirs, "oms": ours}
            run.drift_sample.append({**drift, "location": listing.platform_location_id} if listing.platform_location_id else drift)
    try:
        _send(connection, client, [listing for listing in known if listing.pk in wanted], wanted, outcome)
    except PlatformError as error:
        _all_failed([listing for listing in known if listing.pk in wanted], outcome, error, retry_after=getattr(error, "retry_after", None))
    _record(listings, outcome, marks)
    for listing in listings if names else ():
        gid, name = names.get(listing.platform_location_id, (listing.platform_location_id, ""))
        tally = run.by_location.setdefault(gid, {"name": name, "checked": 0, "drifted": 0, "pushed": 0})
        tally["checked"] += 1
        tally["drifted"] += int(listing.pk in wanted)
        tally["pushed"] += int(listing.pk in wanted and listing.pk in outcome.pushed)
    run.skus_checked += len(listings)
    run.unknown += len(outcome.unknown)
    run.pushed += len([pk for pk in wanted if pk in outcome.pushed])
    run.failed += len(outcome.failed)
    run.save(update_fields=["skus_checked", "drifted", "pushed", "failed", "unknown", "drift_sample", "by_location"])


def _run_finish(run: ChannelStockSyncRun, *, status: str, message: str) -> ChannelStockSyncRun:
    run.status, run.message, run.finished_at = status, message[:500], timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    logger.info("Stock resync of %s: %s, %d checked, %d drifted, %d pushed, %d failed", run.channel_id, status, run.skus_checked,
                run.drifted, run.pushed, run.failed)
    return run


def channels_stock_resync_all(*, actor: Actor) -> list[ChannelStockSyncRun]:
    """The nightly job: a resync of every channel that pushes stock."""
    codes = ChannelConnection.objects.filter(stock_push_enabled=True, channel__is_active=True).values_list("channel__code", flat=True)
    return [channel_stock_resync(channel=code, actor=actor) for code in list(codes)]


def channel_stock_status(connection: ChannelConnection) -> dict:
    """What the connection page shows: listings by state (at the platform locations the channel
    publishes at now), how many Shopify locations are mapped, the last resync."""
    targets = _targets(connection)
    listings = ChannelListing.objects.filter(_published({connection.channel_id: targets}))
    counts = dict.fromkeys(ChannelListing.Status.values, 0)
    for status, count in listings.order_by().values_list("status").annotate(n=Count("pk")):
        counts[status] = count
    return {
        "counts": counts,
        "locations": 0 if SINGLE_LOCATION in targets else len(targets),
        "dirty": listings.filter(dirty=True).count(),
        "last_pushed_at": listings.aggregate(last=Max("last_pushed_at"))["last"],
        "last_run": ChannelStockSyncRun.objects.filter(channel_id=connection.channel_id).first(),
    }


__all__ = [
    "PushReport", "SINGLE_LOCATION", "channel_listings_push_again", "channel_location_targets", "channel_stock_push", "channel_stock_resync", "channel_stock_resync_request",
    "channel_stock_status", "channels_stock_resync_all", "stock_changes_note", "stock_changes_take", "stock_ledger_sweep", "stock_listings_mark",
    "stock_push_channels", "stock_push_channels_forget",
]
