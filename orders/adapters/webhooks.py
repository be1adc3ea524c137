"""Taking in a platform's order webhook: signature, dedupe, and the change it describes.

Both platforms sign the same way (base64 of HMAC-SHA256 over the raw body with the shared
secret) and both say which delivery this is, so one receiver serves both; each adapter only
names its headers and topics and reads its JSON (see shopify.py, woocommerce.py).
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from oms.actors import Actor
from oms.errors import DomainError, InvalidTransition

from ..models import Channel, ChannelWebhookReceipt, Order, OrderEvent, OrderStatus, PaymentStatus
from ..services import order_cancel, order_intake, order_note_add, order_payment_update
from ..services.channel_fulfillment import platform_cancellation_hold
from .mapping import PlatformOrder, intake_data_for, order_differences

# What a topic asks for.
UPSERT = "upsert"  # create the order, or bring a known one up to date
CANCEL = "cancel"  # the payload is the cancelled order
DELETE = "delete"  # the order is gone from the platform; only its id comes along


@dataclass(frozen=True)
class Adapter:
    code: str  # orders.Channel.Adapter value
    label: str
    signature_header: str
    topic_header: str
    webhook_id_header: str
    actions: dict[str, str]  # topic -> UPSERT | CANCEL | DELETE
    parse: Callable[[dict], PlatformOrder]
    # A delivery that only checks the URL answers (sent unsigned when a webhook is set up).
    is_ping: Callable[[bytes], bool] = lambda body: False


class SignatureInvalid(DomainError):
    code = "invalid_signature"
    status_code = 401


def signature_verify(*, body: bytes, secret: str, signature: str) -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` is base64(HMAC-SHA256(body, secret)).

    Compared in constant time, before the body is parsed.
    """
    if not secret:
        raise SignatureInvalid("This channel has no webhook secret set; no webhook can be verified.")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(expected, signature.strip().encode("latin-1", "replace")):
        raise SignatureInvalid("The webhook signature does not match the body; nothing was recorded.")


@dataclass
class WebhookResult:
    outcome: str
    order: Order | None = None
    duplicate: bool = False
    created: bool = False


def channel_webhook_apply(
    *, channel: Channel, webhook_id: str, topic: str, action: str, external_id: str, platform_order: PlatformOrder | None, actor: Actor
) -> WebhookResult:
    """Apply one platform webhook to the channel's orders, exactly once per ``webhook_id``.

    Guarantees: the receipt and every change it caused commit together or not at all, so a
    redelivery (same ``webhook_id``) changes nothing and an error leaves nothing behind; the
    same platform order under a new webhook id never records a second order (intake's
    ``(channel, external_id)`` rule) and re-applies only what is not yet recorded.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                receipt = ChannelWebhookReceipt.objects.create(channel=channel, webhook_id=webhook_id[:255], topic=topic[:60])
        except IntegrityError:
            # Taken in before (a concurrent first delivery has committed by the time the insert fails).
            prior = ChannelWebhookReceipt.objects.select_related("order").get(channel=channel, webhook_id=webhook_id[:255])
            return WebhookResult(outcome=f"already received: {prior.outcome}", order=prior.order, duplicate=True)
        order_id = Order.objects.filter(channel=channel, external_id=external_id).values_list("pk", flat=True).first()
        if platform_order is None:  # DELETE: nothing but the id
            result = _deleted(order_id, actor) if action == DELETE else WebhookResult(outcome=f"topic {topic!r} ignored")
        else:
            result = _upsert(channel, order_id, platform_order, cancel=action == CANCEL, actor=actor)
        receipt.outcome, receipt.order = result.outcome[:255], result.order
        receipt.save(update_fields=["outcome", "order"])
    return result


def _deleted(order_id: int | None, actor: Actor) -> WebhookResult:
    if order_id is None:
        return WebhookResult(outcome="deleted in the shop; the order was never received here")
    order, done = _cancel(order_id, reason="deleted in the shop", actor=actor)
    return WebhookResult(outcome=done or "already cancelled", order=order)


def _upsert(channel: Channel, order_id: int | None, platform_order: PlatformOrder, *, cancel: bool, actor: Actor) -> WebhookResult:
    data = intake_data_for(platform_order, channel=channel)
    done, created = [], False
    if order_id is None:
        result = order_intake(data=data, actor=actor)
        order_id, created = result.order.pk, result.created
        if created:
            holds = ", ".join(hold.reason for hold in result.holds)
            done.append(f"created {result.order.number}" + (f" (on hold: {holds})" if holds else ""))
    order = Order.objects.get(pk=order_id)
    if not created:
        differences = order_differences(order, data)
        if differences:
            done += _note_once(order, f"Changed in {platform_order.platform}: {'; '.join(differences)}", actor=actor)
    done += _payment_sync(order, platform_order, actor=actor)
    for refund in platform_order.refunds:
        items = ", ".join(f"{name} ×{quantity}" for name, quantity in refund.items)
        text = f"{platform_order.platform} refund {refund.refund_id}: {refund.amount} {order.currency}"
        text += (f" ({refund.note})" if refund.note else "") + (f"; items: {items}" if items else "")
        done += _note_once(order, text, actor=actor, key=f"{platform_order.platform} refund {refund.refund_id}:")
    if cancel or platform_order.cancelled:
        reason = f"cancelled in {platform_order.platform}" + (f": {platform_order.cancel_reason}" if platform_order.cancel_reason else "")
        order, cancelled = _cancel(order.pk, reason=reason, actor=actor)
        if cancelled:
            done.append(cancelled)
    return WebhookResult(outcome="; ".join(done) or "no change", order=Order.objects.get(pk=order_id), created=created)


def _payment_sync(order: Order, platform_order: PlatformOrder, *, actor: Actor) -> list[str]:
    target = platform_order.payment_status
    if target == order.payment_status or target not in PaymentStatus.values:
        return []
    before = order.payment_status
    order_payment_update(order_id=order.pk, payment_status=target, actor=actor)
    return [f"payment {before} → {target}" + (f" ({platform_order.payment_label})" if platform_order.payment_label != target else "")]


def _cancel(order_id: int, *, reason: str, actor: Actor) -> tuple[Order, str]:
    """Cancel, or say on the timeline why it could not be (shipped already)."""
    order = Order.objects.get(pk=order_id)
    if order.status == OrderStatus.CANCELLED:
        return order, ""
    try:
        order = order_cancel(order_id=order_id, actor=actor, reason=reason)
    except InvalidTransition:
        # Shipped (part of) already: a person decides what the customer gets (refund, return).
        held = platform_cancellation_hold(order_id=order_id, reason=reason, actor=actor)
        return order, "held for a person: cancelled on the platform after shipping" if held else ""
    return order, "cancelled"


def _note_once(order: Order, text: str, *, actor: Actor, key: str | None = None) -> list[str]:
    """Add a timeline note unless the same one (or one starting with ``key``) is there already:
    a platform repeats itself with every update."""
    text = text[:500]
    notes = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE)
    if notes.filter(message__startswith=key).exists() if key else notes.filter(message=text).exists():
        return []
    order_note_add(order_id=order.pk, text=text, actor=actor)
    return [f"noted: {text[:80]}"]
