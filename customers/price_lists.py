"""Contract prices written one break at a time (the accountants' import; the console edits lists
in place). The price list's row is locked while a break is written, so two imports of the same
list apply one after the other, and each change is an event on the list's stream."""

from decimal import Decimal

from django.db import transaction

from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput, NotFound
from oms.events import event_record
from oms.money import quantize

from .models import PriceList, PriceListItem

PRICE_LIST_CHANGED_EVENT = "price_list.changed"


def price_list_item_set(*, price_list: str, sku: str, min_quantity: int, price: Decimal, actor: Actor) -> str:
    """Set the price of ``sku`` from ``min_quantity`` units up on the list with code
    ``price_list``: ``created``, ``updated`` or ``unchanged`` (the same price again writes nothing)."""
    if min_quantity < 1:
        raise InvalidInput("A quantity break starts at 1 unit or more.", fields={"min_quantity": ["At least 1."]})
    if price < 0:
        raise InvalidInput("A price is zero or more.", fields={"price": ["Zero or more."]})
    with transaction.atomic():
        found = PriceList.objects.select_for_update().filter(code=price_list).first()
        if found is None:
            raise NotFound(f"No price list with code {price_list!r}.", code="unknown_price_list")
        price = quantize(price, found.currency)
        item = PriceListItem.objects.filter(price_list=found, sku=sku, min_quantity=min_quantity).first()
        if item is not None and item.price == price:
            return "unchanged"
        before = None if item is None else str(quantize(item.price, found.currency))
        if item is None:
            PriceListItem.objects.create(price_list=found, sku=sku, min_quantity=min_quantity, price=price)
        else:
            item.price = price
            item.save(update_fields=["price"])
        event_record(
            PRICE_LIST_CHANGED_EVENT,
            {"price_list": found.code, "sku": sku, "min_quantity": min_quantity, "price": [before, str(price)],
             "currency": found.currency, "by": actor_fields(actor)["actor_label"]},
            stream=f"price_list:{found.pk}",
        )
    return "created" if before is None else "updated"
