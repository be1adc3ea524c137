"""Many orders in one call (the bulk API, batch imports): each judged on its own, fewer commits.

A single order costs one commit, and on PostgreSQL a commit waits for the disk. A batch records
its orders in chunks: one transaction per chunk, one savepoint per order inside it, so a refused
order rolls back alone and the chunk pays for one commit instead of one per order.

Locks: a chunk takes, before recording anything, the customers' rows (by e-mail, in order) and
then the stock rows of every product it names (in primary-key order): the same order single
intake takes them in (customer, then stock), so a chunk and a single order, or two chunks, can
never wait on each other in a circle.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from customers.services import customer_upsert
from inventory.selectors import channel_pool_cached, products_by_sku
from oms import geo
from oms.actors import Actor
from oms.errors import DomainError

from ..models import Channel, Order
from ..routing import Decision, Need
from ..routing.batch import BatchOrder, route_batch
from ..routing.config import routing_rules_for, rules_within
from .allocation import StockView
from ..routing.prices import routing_pricer

from .intake import BatchKnown, IntakeResult, OrderIntakeData, intake_batch_known, intake_validate, order_intake


@dataclass
class BatchItem:
    """One order of a batch: its intake result, or the refusal that stopped it."""

    index: int
    result: IntakeResult | None = None
    error: DomainError | None = None


def orders_intake_batch(
    *, orders: Sequence[OrderIntakeData | DomainError], actor: Actor, on_error: Callable[[int, Exception], None] | None = None
) -> list[BatchItem]:
    """Record each order as :func:`order_intake` would, exactly once per ``(channel, external_id)``.

    ``orders`` may hold refusals already made by the caller (input that did not parse); they come
    back as they are, in place. Guarantees: the answer has one item per input, in order; an order
    that is refused (``DomainError``) leaves nothing behind and does not affect the others; an
    unexpected error in one order is reported to ``on_error`` and answered as a refusal of that
    order alone.
    """
    items = [BatchItem(index) for index in range(len(orders))]
    ready: list[tuple[BatchItem, OrderIntakeData]] = []
    for item, data in zip(items, orders):
        if isinstance(data, DomainError):
            item.error = data
            continue
        try:
            intake_validate(data)
        except DomainError as exc:
            item.error = exc
        else:
            ready.append((item, data))
    size = max(1, settings.OMS_BULK_CHUNK_SIZE)
    for start in range(0, len(ready), size):
        _chunk_record(ready[start : start + size], actor=actor, on_error=on_error)
    return items


def _chunk_record(chunk: list[tuple[BatchItem, OrderIntakeData]], *, actor: Actor, on_error) -> None:
    with transaction.atomic():
        first_by_email = {}
        for _, data in chunk:
            first_by_email.setdefault(data.email, data)
        customers = {}
        for email in sorted(first_by_email):
            data = first_by_email[email]
            customers[email] = customer_upsert(email=email, first_name=data.first_name, last_name=data.last_name, phone=data.phone, actor=actor)
        products = products_by_sku(line.sku for _, data in chunk for line in data.lines)
        stock = StockView(product.pk for product in products.values())
        decisions = _chunk_route([data for _, data in chunk], products, stock)
        with intake_batch_known(BatchKnown(customers=customers, products=products, decisions=decisions)):
            for item, data in chunk:
                _item_record(item, data, actor=actor, on_error=on_error)


def _chunk_route(chunk: list[OrderIntakeData], products: dict, stock: StockView) -> dict[tuple[str, str], Decision]:
    """Route the chunk's new orders together (``orders.routing.batch``): they arrived at once, so
    none should take the stock another needed more. Orders that will be held for an unknown or
    inactive SKU, or that exist already, are left out; intake routes anything left out, or any
    plan the stock no longer holds, on its own as usual."""
    channels = dict(Channel.objects.filter(code__in={data.channel for data in chunk}, is_active=True).values_list("code", "pk"))
    existing = set(
        Order.objects.filter(channel__code__in=channels, external_id__in={data.external_id for data in chunk}).values_list("channel__code", "external_id")
    )
    # Each channel routes within its stock rule's locations; intake checks its share when it adopts the plan.
    max_age = settings.OMS_CHANNEL_RULES_MAX_AGE
    rules = {code: rules_within(routing_rules_for(pk), channel_pool_cached(code, max_age_seconds=max_age).location_ids) for code, pk in channels.items()}
    keys, orders = [], []
    seen = set()
    for data in chunk:
        key = (data.channel, data.external_id)
        if data.channel not in channels or key in existing or key in seen:
            continue
        seen.add(key)
        found = [products.get(line.sku) for line in data.lines]
        if not found or any(product is None or not product.is_active for product in found):
            continue
        point = geo.locate(country=data.shipping_address.country, city=data.shipping_address.city)
        needs = [Need(i, product.pk, line.quantity, product.weight_grams) for i, (line, product) in enumerate(zip(data.lines, found))]
        keys.append(key)
        address = data.shipping_address
        pricer = routing_pricer(
            sites=stock.sites, country=address.country, postal_code=address.postal_code, currency=(data.currency or "").strip().upper(),
            pickup_point=bool((address.pickup_point or "").strip()),
        )
        orders.append(BatchOrder(needs, (point.latitude, point.longitude) if point else None, rules[data.channel], pricer))
    if len(orders) < 2:
        return {}
    decisions = route_batch(orders=orders, available=stock.available(), sites=stock.sites)
    return dict(zip(keys, decisions))


def _item_record(item: BatchItem, data: OrderIntakeData, *, actor: Actor, on_error) -> None:
    try:
        # order_intake opens its own atomic block: a savepoint here, rolled back alone.
        item.result = order_intake(data=data, actor=actor)
    except DomainError as exc:
        item.error = exc
    except Exception as exc:  # one order's bug must not cost the others their answer
        if on_error is not None:
            on_error(item.index, exc)
        item.error = DomainError("Something went wrong on our side; this order was not recorded.", code="server_error")
        item.error.status_code = 500
