"""Payment adapters: how money goes back to the customer.

Every adapter has ``refund(order, amount, currency, key, lines) -> RefundOutcome`` and is called
outside any database transaction, except for an order with invoices: there the refund's credit
notes decide how much is left to pay back, under locks held until the answer is recorded
(``returns.services.refunds``), and only that amount is asked for. ``key`` is the refund's idempotency key, the same on every
attempt, so a provider that saw the first attempt never pays twice. An adapter never raises for
a refusal or an outage: it answers ``ok=False`` with the provider's words.

- ``builtin``: records the refund (money is returned outside the OMS, e.g. by the shop's PSP).
- ``store_credit``: credits the customer's store credit (customers' ledger), idempotent on the key.
  It moves no money outside the OMS, so ``returns.services.refunds`` calls it inside the record
  step's transaction, after the refund's credit notes, with only the part an invoice had been paid.
- ``shopify``: creates the refund on the shop's order through the Admin API (``shopify.py``), when
  the channel's Shopify connection has "refund through the shop" (``push_refunds``) on.

``adapter_for(order, method)`` picks one: store credit when asked, Shopify when the order's
channel has a Shopify connection refunding through the shop, else the built-in one.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from customers.store_credit import store_credit_grant
from oms.errors import DomainError
from orders.models import Channel, ChannelConnection, Order


@dataclass(frozen=True)
class RefundItem:
    """Units of one order line the refund is for (the provider may restock or report them)."""

    external_line_id: str
    sku: str
    units: int


@dataclass(frozen=True)
class RefundOutcome:
    ok: bool
    provider_refund_id: str = ""
    reason: str = ""


class PaymentAdapter(Protocol):
    name: str

    def refund(self, *, order: Order, amount: Decimal, currency: str, key: str, lines: list[RefundItem]) -> RefundOutcome: ...


class BuiltInAdapter:
    """Records the refund; the money moves outside the OMS."""

    name = "builtin"

    def refund(self, *, order, amount, currency, key, lines) -> RefundOutcome:
        return RefundOutcome(ok=True, provider_refund_id=f"builtin:{key}")


class StoreCreditAdapter:
    """Puts the amount on the customer's store credit, once per key."""

    name = "store_credit"

    def refund(self, *, order, amount, currency, key, lines) -> RefundOutcome:
        if order.customer_id is None:
            return RefundOutcome(ok=False, reason=f"Order {order.number} has no customer to hold store credit.")
        try:
            change = store_credit_grant(
                customer_id=order.customer_id, currency=currency, amount=amount, reference=order.number or "",
                note="Refund as store credit", idempotency_key=f"refund:{key}", actor="system:refunds",
            )
        except DomainError as error:
            return RefundOutcome(ok=False, reason=error.message)
        return RefundOutcome(ok=True, provider_refund_id=f"store_credit:{change.entry.pk}")


def adapter_for(order: Order, method: str, **client_options) -> PaymentAdapter:
    """The adapter for refunding ``order`` by ``method`` (see the module's docstring)."""
    from ..models import RefundMethod

    if method == RefundMethod.STORE_CREDIT:
        return StoreCreditAdapter()
    channel = order.channel
    if channel.adapter == Channel.Adapter.SHOPIFY:
        connection = ChannelConnection.objects.select_related("channel").filter(channel_id=channel.pk, push_refunds=True).first()
        if connection is not None and connection.shopify_shop_domain:
            from .shopify import ShopifyRefundAdapter

            return ShopifyRefundAdapter(connection, **client_options)
    return BuiltInAdapter()
