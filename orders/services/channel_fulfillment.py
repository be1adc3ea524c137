"""Fulfillment passed back to the channels: what ships, arrives or is cancelled in the OMS is told
to the shop the order came from (Shopify, WooCommerce), parcel by parcel.

- Fulfillment sits above orders, so the subscribers here read the fulfillment events by name and
  take what they need from the payload (``fulfillment.shipped`` carries the parcel's lines).
- Each (order, fulfillment order, action) is one ``ChannelFulfillmentSync`` row: a redelivered
  event finds it and adds nothing; a task run twice finds it sent. It is sent by a task after
  commit, with the row locked (a second worker skips it); 429 and 5xx are tried again later with
  backoff (the beat sweep sends what is due); a refusal stays, with the platform's reason, until
  a person sends it again from the admin.
- Before creating a Shopify fulfillment the order's fulfillments are read: one already carrying
  the parcel's tracking number (a call that timed out but was applied) is taken as the result.
- Only channels whose connection has ``push_fulfillments`` on are told anything.
- A cancellation that came from the platform itself is not echoed back.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, NotFound

from ..models import (
    Channel, ChannelConnection, ChannelFulfillmentSync, Order, OrderEvent, OrderLine, OrderStatus, PlatformCancellation,
)
from ..platforms import PlatformRateLimited, PlatformRefused, PlatformUnavailable, RetryPolicy, Tracking, client_for
from ..platforms.shopify import ShopifyClient
from ..platforms.woocommerce import SHIPMENT_TRACKING_META, WooCommerceClient, shipment_tracking_items
from .audit import order_event, order_lock, order_touch


Sync = ChannelFulfillmentSync
OPEN = [Sync.Status.PENDING, Sync.Status.RETRYING]
PUSHED_ADAPTERS = (Channel.Adapter.SHOPIFY, Channel.Adapter.WOOCOMMERCE)
MAX_ATTEMPTS = 10  # then a person decides (the admin's retry)
# When a failed sync is sent again: a minute after the first try, doubling to an hour.
RESCHEDULE = RetryPolicy(first_delay=60, longest_delay=3600)
# A task waits a little for a platform that asks; a longer wait is rescheduled instead.
CLIENT_POLICY = RetryPolicy(attempts=3, longest_wait=10)
SHIPPED_IN_FULL = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
SYSTEM = "channel-sync"


class WaitFor(DomainError):
    """Not sendable yet (a delivery before its shipment reached the platform): tried again later."""

    code = "channel_sync_waiting"


# --- recording (subscribers of the domain events) ----------------------------------------------


def _connection_pushing(order: Order) -> ChannelConnection | None:
    channel = order.channel
    if channel.adapter not in PUSHED_ADAPTERS:
        return None
    connection = ChannelConnection.objects.filter(channel=channel, push_fulfillments=True).first()
    return connection


def channel_fulfillment_record(*, order_id: int, action: str, fulfillment_ref: str = "", payload: dict | None = None, actor: Actor) -> Sync | None:
    """Record that ``action`` must be passed on to the order's channel, and send it after commit.

    Guarantees: nothing is recorded for a channel that does not push fulfillments; one row per
    (order, fulfillment order, action) whatever the number of calls (the existing one is
    returned and not sent again).
    """
    if action not in Sync.Action.values:
        raise InvalidInput(f"{action!r} is not a channel sync action.", fields={"action": [f"One of: {', '.join(Sync.Action.values)}."]})
    with transaction.atomic():
        order = Order.objects.select_related("channel").filter(pk=order_id).first()
        if order is None:
            raise NotFound(f"No order with id {order_id}.")
        if _connection_pushing(order) is None:
            return None
        existing = Sync.objects.filter(order=order, fulfillment_ref=fulfillment_ref, action=action).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                sync = Sync.objects.create(
                    channel=order.channel, order=order, fulfillment_ref=fulfillment_ref, action=action, payload=payload or {},
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:  # recorded meanwhile by a concurrent delivery of the same event
            return Sync.objects.get(order=order, fulfillment_ref=fulfillment_ref, action=action)
        transaction.on_commit(lambda: _enqueue(sync.pk), robust=True)
    return sync


def _enqueue(sync_id: int) -> None:
    from ..tasks import channel_fulfillment_send as task

    task.delay(sync_id)


def on_fulfillment_shipped(event) -> None:
    """Subscriber of ``fulfillment.shipped``: the parcel (carrier, tracking, its lines) goes to the channel."""
    payload = event.payload
    quantities = {int(line["order_line_id"]): int(line["quantity"]) for line in payload.get("lines") or [] if line.get("quantity")}
    lines = OrderLine.objects.filter(order_id=payload["order_id"], pk__in=quantities).order_by("line_number")
    status = Order.objects.filter(pk=payload["order_id"]).values_list("status", flat=True).first()
    summary = {
        "carrier": payload.get("carrier_name") or payload.get("carrier") or "",
        "tracking_number": payload.get("tracking_number") or "",
        "tracking_url": payload.get("tracking_url") or "",
        "lines": [{"order_line_id": line.pk, "line_id": line.external_line_id, "sku": line.sku, "name": line.name,
                   "quantity": quantities[line.pk]} for line in lines],
        "order_shipped_in_full": status in SHIPPED_IN_FULL,
    }
    channel_fulfillment_record(
        order_id=payload["order_id"], action=Sync.Action.SHIP, fulfillment_ref=payload["fulfillment_order"], payload=summary, actor=SYSTEM,
    )


def on_fulfillment_delivered(event) -> None:
    """Subscriber of ``fulfillment.delivered``: the channel hears the parcel arrived."""
    payload = event.payload
    channel_fulfillment_record(
        order_id=payload["order_id"], action=Sync.Action.DELIVER, fulfillment_ref=payload["fulfillment_order"],
        payload={"delivered_at": event.created_at.isoformat()}, actor=SYSTEM,
    )


def platform_actor(channel: Channel) -> str:
    """How the platform's own webhooks sign the changes they make (orders.api.channels)."""
    return f"{channel.adapter}:{channel.code}"


def on_order_cancelled(event) -> None:
    """Subscriber of ``order.cancelled``: a cancellation made in the OMS goes to the channel; one
    the platform's webhook made is not echoed back."""
    order = Order.objects.select_related("channel").filter(pk=event.payload["order_id"]).first()
    if order is None or order.channel.adapter not in PUSHED_ADAPTERS:
        return
    cancelled_by = (
        OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS, to_status=OrderStatus.CANCELLED)
        .order_by("-created_at", "-id").values_list("actor_label", flat=True).first()
    )
    if cancelled_by == platform_actor(order.channel):
        return
    channel_fulfillment_record(
        order_id=order.pk, action=Sync.Action.CANCEL, payload={"reason": event.payload.get("reason") or ""}, actor=SYSTEM,
    )


# --- sending -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    platform_id: str
    message: str


def channel_fulfillment_send(*, sync_id: int, actor: Actor) -> Sync | None:
    """Send one sync to its platform, if it is still to be sent.

    Guarantees: the row is locked while it is sent, so two workers never send it together (the
    second one returns None); a sent or refused one is left as it is. 429, 5xx and no answer
    leave it ``retrying`` with the next attempt after a growing delay (or what the platform asked
    for); any other refusal, or ``MAX_ATTEMPTS`` failures, leave it ``refused`` with the
    platform's reason, and the order's timeline says so.
    """
    # The transaction spans the platform call: the row lock is what keeps a second worker (a
    # redelivered task, the sweep) from sending the same thing meanwhile. The client's own waits
    # are short (CLIENT_POLICY); a longer one is rescheduled rather than held.
    with transaction.atomic():
        sync = (
            Sync.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("channel", "order").filter(pk=sync_id, status__in=OPEN).first()
        )
        if sync is None:
            return None
        sync.attempts += 1
        now = timezone.now()
        sender = SENDERS.get((sync.channel.adapter, sync.action))
        try:
            if sender is None:
                raise DomainError(f"Channel {sync.channel.code} has no platform adapter to pass a {sync.action} on to.", code="channel_sync_no_adapter")
            connection = ChannelConnection.objects.select_related("channel").filter(channel=sync.channel).first()
            if connection is None:
                raise DomainError(f"Channel {sync.channel.code} has no platform connection any more.", code="channel_sync_no_connection")
            outcome = sender(client_for(connection, policy=CLIENT_POLICY), sync)
        except (PlatformRateLimited, PlatformUnavailable, WaitFor) as error:
            _failed(sync, error.message, now=now, wait=getattr(error, "retry_after", None), actor=actor)
        except DomainError as error:  # the platform said no, or cannot be told (not configured, no platform id)
            _refused(sync, error.message, actor=actor)
        else:
            sync.status, sync.platform_id, sync.sent_at, sync.next_attempt_at, sync.last_error = (
                Sync.Status.SENT, outcome.platform_id[:255], now, None, "",
            )
            sync.save(update_fields=["status", "platform_id", "sent_at", "next_attempt_at", "last_error", "attempts"])
            _timeline(sync, outcome.message, actor=actor)
    return sync


def _failed(sync: Sync, reason: str, *, now, wait: float | None, actor: Actor) -> None:
    if sync.attempts >= MAX_ATTEMPTS:
        _refused(sync, f"gave up after {sync.attempts} tries: {reason}", actor=actor)
        return
    delay = RESCHEDULE.delay(sync.attempts)
    sync.status, sync.last_error = Sync.Status.RETRYING, reason[:1000]
    sync.next_attempt_at = now + timedelta(seconds=max(delay, wait or 0))
    sync.save(update_fields=["status", "last_error", "next_attempt_at", "attempts"])


def _refused(sync: Sync, reason: str, *, actor: Actor) -> None:
    sync.status, sync.last_error, sync.next_attempt_at = Sync.Status.REFUSED, reason[:1000], None
    sync.save(update_fields=["status", "last_error", "next_attempt_at", "attempts"])
    _timeline(sync, f"not passed on: {reason}", actor=actor)


def _timeline(sync: Sync, text: str, *, actor: Actor) -> None:
    """A note on the order's timeline (the order is locked for it, as every order change)."""
    what = f"{sync.get_action_display()}{' of ' + sync.fulfillment_ref if sync.fulfillment_ref else ''} to {sync.channel.name}"
    order = order_lock(sync.order_id)
    order_touch(order)
    order_event(order, OrderEvent.Kind.NOTE, f"{what}: {text}", actor=actor, data={"channel_sync": sync.pk, "status": sync.status}).save()


def channel_fulfillment_retry(*, sync_id: int, actor: Actor) -> Sync:
    """Send a refused (or waiting) sync again now: it is set pending and enqueued after commit."""
    with transaction.atomic():
        sync = Sync.objects.select_for_update().filter(pk=sync_id).first()
        if sync is None:
            raise NotFound(f"No channel fulfillment sync with id {sync_id}.")
        if sync.status == Sync.Status.SENT:
            raise DomainError(f"{sync} was sent already; it is not sent twice.", code="already_sent")
        sync.status, sync.attempts, sync.next_attempt_at = Sync.Status.PENDING, 0, timezone.now()
        sync.save(update_fields=["status", "attempts", "next_attempt_at"])
        order = order_lock(sync.order_id)
        order_touch(order)
        order_event(order, OrderEvent.Kind.NOTE, f"{sync} sent again by hand (was: {sync.last_error[:300]})", actor=actor,
                    data={"channel_sync": sync.pk}).save()
        transaction.on_commit(lambda: _enqueue(sync.pk), robust=True)
    return sync


def channel_fulfillments_sweep(*, limit: int = 200) -> int:
    """Enqueue the syncs whose (next) attempt is due; returns how many."""
    due = list(
        Sync.objects.filter(status__in=OPEN, next_attempt_at__lte=timezone.now()).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    for sync_id in due:
        _enqueue(sync_id)
    return len(due)


# --- Shopify ------------------------------------------------------------------------------------


def _parcel_text(sync: Sync) -> str:
    payload = sync.payload
    items = ", ".join(f"{line['quantity']} × {line.get('name') or line['sku']}" for line in payload.get("lines") or [])
    with_what = f" with {payload['carrier']}" if payload.get("carrier") else ""
    tracking = f", tracking {payload['tracking_number']}" if payload.get("tracking_number") else ""
    url = f" ({payload['tracking_url']})" if payload.get("tracking_url") else ""
    return f"Shipped{with_what}{tracking}{url}: {items}."


def _shopify_ship(client: ShopifyClient, sync: Sync) -> Outcome:
    payload = sync.payload
    if not payload.get("lines"):
        raise DomainError(
            f"The lines of {sync.fulfillment_ref} are not known (its shipped event carried none); fulfil it in Shopify by hand.",
            code="channel_sync_no_lines",
        )
    state = client.order_fulfillment_state(sync.order.external_id)
    number = payload.get("tracking_number") or ""
    if number:
        for fulfillment_id, numbers in state.fulfillments:
            if number in numbers:  # sent before, and the answer was lost
                return Outcome(fulfillment_id, f"Shopify already had fulfillment {fulfillment_id} with tracking {number}")
    by_fulfillment_order: dict[str, list[tuple[str, int]]] = {}
    left = {line.id: line.remaining for line in state.open_lines}
    for line in payload.get("lines") or []:
        wanted = int(line["quantity"])
        matches = [
            item for item in state.open_lines
            if (item.line_item_id == line["line_id"] if line.get("line_id") else line["sku"] and item.sku == line["sku"])
        ]
        for item in matches:
            take = min(wanted, left[item.id])
            if take:
                by_fulfillment_order.setdefault(item.fulfillment_order_id, []).append((item.id, take))
                left[item.id] -= take
                wanted -= take
        if wanted:
            raise PlatformRefused(
                f"Channel {sync.channel.code}: Shopify has {int(line['quantity']) - wanted} of {line['sku']} "
                f"(line item {line.get('line_id') or 'unknown'}) left to fulfil, the parcel holds {line['quantity']}.",
                code="platform_nothing_to_fulfil",
            )
    tracking = Tracking(company=payload.get("carrier") or "", number=number, url=payload.get("tracking_url") or "")
    fulfillment_id = client.fulfillment_create(lines_by_fulfillment_order=by_fulfillment_order, tracking=tracking)
    return Outcome(fulfillment_id, f"Shopify fulfillment {fulfillment_id} created ({_parcel_text(sync)})")


def _shipped_sync(sync: Sync) -> Sync:
    shipped = Sync.objects.filter(order=sync.order, fulfillment_ref=sync.fulfillment_ref, action=Sync.Action.SHIP).first()
    if shipped is None:
        raise DomainError(
            f"{sync.fulfillment_ref} was never passed on as shipped (the channel pushed no fulfillments then); nothing to mark delivered.",
            code="channel_sync_nothing_shipped",
        )
    if shipped.status != Sync.Status.SENT:
        raise WaitFor(f"waits until the shipment of {sync.fulfillment_ref} is passed on ({shipped.get_status_display().lower()}).")
    return shipped


def _shopify_deliver(client: ShopifyClient, sync: Sync) -> Outcome:
    shipped = _shipped_sync(sync)
    happened_at = sync.payload.get("delivered_at")
    event_id = client.fulfillment_event_create(
        fulfillment_id=shipped.platform_id, status="DELIVERED", happened_at=datetime.fromisoformat(happened_at) if happened_at else None,
    )
    return Outcome(event_id, f"Shopify fulfillment {shipped.platform_id} marked delivered")


def _shopify_cancel(client: ShopifyClient, sync: Sync) -> Outcome:
    if client.order_fulfillment_state(sync.order.external_id).cancelled:
        return Outcome("", "Shopify had the order cancelled already")
    reason = sync.payload.get("reason") or ""
    job_id = client.order_cancel(order_id=sync.order.external_id, staff_note=f"Cancelled in the OMS ({sync.order.number}){': ' + reason if reason else ''}")
    return Outcome(job_id, "Shopify is cancelling the order (refund to the original payment)")


# --- WooCommerce --------------------------------------------------------------------------------


def _woo_order_id(sync: Sync) -> int:
    try:
        return int(sync.order.external_id)
    except ValueError:
        raise DomainError(f"WooCommerce order ids are numbers; {sync.order.external_id!r} is not.", code="channel_sync_bad_id") from None


def _woo_ship(client: WooCommerceClient, sync: Sync) -> Outcome:
    payload, order_id = sync.payload, _woo_order_id(sync)
    number = payload.get("tracking_number") or ""
    changes: dict = {}
    shop_order = client.order_get(order_id)  # what it holds already: a retry adds nothing twice
    if number:
        items = shipment_tracking_items(shop_order)
        if all(item.get("tracking_number") != number for item in items):
            items.append({
                "tracking_provider": "", "custom_tracking_provider": payload.get("carrier") or "",
                "custom_tracking_link": payload.get("tracking_url") or "", "tracking_number": number,
                "date_shipped": str(int(sync.created_at.timestamp())), "tracking_id": uuid.uuid5(uuid.NAMESPACE_URL, f"oms-sync-{sync.pk}").hex,
            })
            changes["meta_data"] = [{"key": SHIPMENT_TRACKING_META, "value": items}]
    if payload.get("order_shipped_in_full") and shop_order.get("status") != "completed":
        changes["status"] = "completed"
    if changes:
        client.order_update(order_id=order_id, changes=changes)
    note_id = client.order_note_add(order_id=order_id, note=_parcel_text(sync), customer_note=True)
    return Outcome(str(note_id), f"WooCommerce order note {note_id} added" + (", order completed" if "status" in changes else ""))


def _woo_deliver(client: WooCommerceClient, sync: Sync) -> Outcome:
    shipped = Sync.objects.filter(order=sync.order, fulfillment_ref=sync.fulfillment_ref, action=Sync.Action.SHIP).first()
    tracking = (shipped.payload.get("tracking_number") if shipped else "") or ""
    note = f"Delivered: the parcel {sync.fulfillment_ref}" + (f" (tracking {tracking})" if tracking else "") + " arrived."
    note_id = client.order_note_add(order_id=_woo_order_id(sync), note=note)
    return Outcome(str(note_id), f"WooCommerce order note {note_id} added")


def _woo_cancel(client: WooCommerceClient, sync: Sync) -> Outcome:
    client.order_update(order_id=_woo_order_id(sync), changes={"status": "cancelled"})
    return Outcome("", "WooCommerce order set to cancelled")


SENDERS: dict[tuple[str, str], Callable] = {
    (Channel.Adapter.SHOPIFY, Sync.Action.SHIP): _shopify_ship,
    (Channel.Adapter.SHOPIFY, Sync.Action.DELIVER): _shopify_deliver,
    (Channel.Adapter.SHOPIFY, Sync.Action.CANCEL): _shopify_cancel,
    (Channel.Adapter.WOOCOMMERCE, Sync.Action.SHIP): _woo_ship,
    (Channel.Adapter.WOOCOMMERCE, Sync.Action.DELIVER): _woo_deliver,
    (Channel.Adapter.WOOCOMMERCE, Sync.Action.CANCEL): _woo_cancel,
}


# --- cancelled on the platform after shipping: held for a person --------------------------------


def platform_cancellation_hold(*, order_id: int, reason: str, actor: Actor) -> PlatformCancellation | None:
    """The platform cancelled an order the OMS has shipped (part of): nothing is cancelled, a
    person is asked to decide (work queue "Cancelled on the platform after shipping"), and the
    timeline says so. Once per order (a platform repeats the cancellation with every update)."""
    with transaction.atomic():
        order = order_lock(order_id)
        if PlatformCancellation.objects.filter(order=order).exists():  # the platform repeats it with every update
            return None
        held = PlatformCancellation.objects.create(order=order, channel_id=order.channel_id, reason=reason[:255], order_status=order.status)
        order_touch(order)
        order_event(
            order, OrderEvent.Kind.NOTE,
            f"{reason[:1].upper()}{reason[1:]}, but the order is {order.get_status_display().lower()}: not cancelled here; "
            "held for a person to decide (Cancelled on the platform after shipping).",
            actor=actor, data={"platform_cancellation": held.pk},
        ).save()
    return held


def platform_cancellation_handle(*, cancellation_id: int, resolution: str, actor: Actor) -> PlatformCancellation:
    """A person decided what to do about a cancellation on the platform after shipping."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput("Say what was decided (e.g. refunded on the platform, return requested).", fields={"resolution": ["Required."]})
    with transaction.atomic():
        held = PlatformCancellation.objects.select_for_update().filter(pk=cancellation_id).first()
        if held is None:
            raise NotFound(f"No platform cancellation with id {cancellation_id}.")
        if held.handled_at is not None:
            return held
        order = order_lock(held.order_id)
        held.handled_at, held.handled_by, held.resolution = timezone.now(), actor_fields(actor)["actor_label"], resolution[:500]
        held.save(update_fields=["handled_at", "handled_by", "resolution"])
        order_touch(order)
        order_event(order, OrderEvent.Kind.NOTE, f"Cancellation on the platform handled: {resolution}", actor=actor,
                    data={"platform_cancellation": held.pk}).save()
    return held
