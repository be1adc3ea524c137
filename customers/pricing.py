"""Contract prices: which price list and quantity break price a B2B line.

A customer buys at the prices of its own lists first, then at its group's (a customer's list
overrides the group's SKU by SKU: a SKU the customer's lists lack is priced by the group's). A
list counts on a day when the day lies within its validity and its currency is the order's; of
several lists at one level that count, the one valid from the latest date wins (an open start
is the earliest), then the newest. Within the winning list, a line of ``quantity`` units takes the
price of the highest break at or below ``quantity``; a list whose breaks all start above the
line's quantity does not price it, and the next list is asked.

Only business customers and customers in a group are looked up: a consumer order costs no query.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from .models import Customer, PriceList, PriceListItem


@dataclass(frozen=True)
class ContractPrice:
    price: Decimal
    price_list: PriceList
    min_quantity: int

    def describe(self) -> str:
        """E.g. ``list wholesale-usd, from 10 units``."""
        if self.min_quantity > 1:
            return f"list {self.price_list.code}, from {self.min_quantity} units"
        return f"list {self.price_list.code}"


@dataclass(frozen=True)
class _Offer:
    level: int  # 0: the customer's own list, 1: the group's
    recency: tuple  # higher wins: (valid_from, list id)
    item: PriceListItem


class ContractPrices:
    """The offers of every list that may price a customer's order, read in one query."""

    def __init__(self, offers: dict[str, list[_Offer]]):
        self._offers = offers

    def __bool__(self) -> bool:
        return bool(self._offers)

    def for_line(self, sku: str, quantity: int) -> ContractPrice | None:
        """The contract price of ``quantity`` units of ``sku``, or None when no list prices it."""
        best = None
        for offer in self._offers.get(sku, ()):
            if offer.item.min_quantity > quantity:
                continue
            key = (-offer.level, offer.recency, offer.item.min_quantity)
            if best is None or key > best[0]:
                best = (key, offer)
        if best is None:
            return None
        item = best[1].item
        return ContractPrice(price=item.price, price_list=item.price_list, min_quantity=item.min_quantity)


NO_CONTRACT = ContractPrices({})


def contract_prices(customer: Customer, *, currency: str, skus: Iterable[str], on: datetime.date) -> ContractPrices:
    """The offers for ``skus`` that count for ``customer`` in ``currency`` on day ``on``: one
    query, none for a consumer outside any group."""
    if customer.pk is None or (customer.group_id is None and customer.kind != Customer.Kind.BUSINESS):
        return NO_CONTRACT
    skus = set(skus)
    if not skus:
        return NO_CONTRACT
    owner = Q(price_list__customer_id=customer.pk)
    if customer.group_id is not None:
        owner |= Q(price_list__customer_group_id=customer.group_id)
    items = (
        PriceListItem.objects.filter(owner, sku__in=skus, price_list__currency=currency)
        .filter(Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on))
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on))
        .select_related("price_list")
    )
    offers: dict[str, list[_Offer]] = {}
    for item in items:
        price_list = item.price_list
        level = 0 if price_list.customer_id == customer.pk else 1
        recency = (price_list.valid_from or datetime.date.min, price_list.pk)
        offers.setdefault(item.sku, []).append(_Offer(level, recency, item))
    return ContractPrices(offers)
