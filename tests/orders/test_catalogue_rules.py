"""Catalogue rules at intake: SKUs a group may or may not buy, minimums and case packs, rounded or refused."""

import json
from decimal import Decimal

import pytest
from django.utils import translation

from customers.catalogue import Catalogue
from customers.models import CatalogueRule, Customer
from oms.errors import InvalidInput
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_intake

from ..factories import CustomerFactory, CustomerGroupFactory, intake_data, place_order


@pytest.fixture
def group(db):
    return CustomerGroupFactory(code="trade", name="Trade", payment_terms_days=30)


@pytest.fixture
def buyer(group):
    return CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=group)


def rule(group, sku="", category="", **fields):
    return CatalogueRule.objects.create(customer_group=group, sku=sku, category=category, **fields)


def refused(buyer, lines):
    with pytest.raises(InvalidInput) as error:
        order_intake(data=intake_data(lines, email=buyer.email, payment_status="pending"), actor="test")
    assert not Order.objects.exists()
    return error.value.fields


# --- the rules themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "case", "quantity", "expected"),
    [(None, 6, 6, 6), (None, 6, 7, 12), (None, 6, 1, 6), (10, None, 3, 10), (10, None, 11, 11), (10, 6, 3, 12), (10, 6, 13, 18), (12, 6, 12, 12)],
)
def test_rounding_goes_up_to_the_minimum_then_to_whole_cases(group, minimum, case, quantity, expected):
    made = CatalogueRule(customer_group=group, sku="SKU-A", min_quantity=minimum, case_pack=case, on_mismatch=CatalogueRule.Mismatch.ROUND_UP)

    verdict = Catalogue(group, [made]).judge("SKU-A", "", quantity)

    assert verdict.quantity == expected
    assert bool(verdict.rounded) == (expected != quantity)
    assert not verdict.refused


def test_a_skus_own_rule_beats_its_categorys(group):
    rules = [CatalogueRule(customer_group=group, category="Footwear", allowed=False), CatalogueRule(customer_group=group, sku="SKU-A", allowed=True)]

    catalogue = Catalogue(group, rules)

    assert not catalogue.judge("SKU-A", "Footwear", 1).refused
    assert catalogue.judge("SKU-B", "Footwear", 1).refused == "Trade may not buy SKU-B: remove the line."
    assert not catalogue.judge("SKU-C", "Bags", 1).refused


def test_a_refusal_is_said_in_the_language_where_it_is_shown_and_a_rounding_is_recorded_in_english(group):
    rules = [CatalogueRule(customer_group=group, sku="PLATE", min_quantity=10, case_pack=6, on_mismatch=CatalogueRule.Mismatch.REFUSE),
             CatalogueRule(customer_group=group, sku="TEAPOT", allowed=False),
             CatalogueRule(customer_group=group, sku="CUP", case_pack=6, on_mismatch=CatalogueRule.Mismatch.ROUND_UP)]
    catalogue = Catalogue(group, rules)

    plate, teapot = catalogue.judge("PLATE", "", 13), catalogue.judge("TEAPOT", "", 1)
    with translation.override("de"):
        german = (str(plate.refused), str(teapot.refused), catalogue.judge("CUP", "", 7).rounded)

    assert german == ("Für Trade gilt bei PLATE: mindestens 10, in Kartons zu 6. Bestellen Sie 18 statt 13.",
                      "TEAPOT ist für Trade nicht freigegeben: Entfernen Sie die Zeile.", "CUP: 7 rounded up to 12 (in cases of 6)")
    assert str(plate.refused) == "PLATE is sold to Trade at least 10, in cases of 6: order 18 instead of 13."


# --- intake -----------------------------------------------------------------------------------


def test_a_forbidden_sku_refuses_the_order_naming_the_line(stocked, group, buyer):
    stocked("SKU-A", 10)
    stocked("SKU-B", 10)
    rule(group, sku="SKU-B", allowed=False)

    assert refused(buyer, [("SKU-A", 1), ("SKU-B", 1)]) == {"lines[1].sku": ["Trade may not buy SKU-B: remove the line."]}


def test_a_restricted_group_buys_only_what_a_rule_allows(stocked, group, buyer):
    group.catalogue_restricted = True
    group.save()
    stocked("SKU-A", 10, category="Footwear")
    stocked("SKU-B", 10, category="Bags")
    rule(group, category="Footwear")

    assert refused(buyer, [("SKU-A", 1), ("SKU-B", 2)]) == {"lines[1].sku": ["SKU-B is not in the catalogue of Trade: remove the line."]}
    order = place_order([("SKU-A", 1)], email=buyer.email, payment_status="pending")
    assert order.status == OrderStatus.ALLOCATED


def test_a_refusing_rule_says_what_quantity_to_order(stocked, group, buyer):
    stocked("SKU-A", 100)
    rule(group, sku="SKU-A", min_quantity=10, case_pack=6, on_mismatch=CatalogueRule.Mismatch.REFUSE)

    fields = refused(buyer, [("SKU-A", 13)])

    assert fields == {"lines[0].quantity": ["SKU-A is sold to Trade at least 10, in cases of 6: order 18 instead of 13."]}
    assert json.loads(json.dumps(fields)) == fields  # plain text, as the API and the import logs store it


def test_a_rounding_rule_rounds_up_prices_the_rounded_quantity_and_says_so(stocked, group, buyer):
    from customers.models import PriceList, PriceListItem

    stocked("SKU-A", 100)
    rule(group, sku="SKU-A", case_pack=12, on_mismatch=CatalogueRule.Mismatch.ROUND_UP)
    tiers = PriceList.objects.create(code="trade-usd", name="Trade", currency="USD", customer_group=group)
    PriceListItem.objects.create(price_list=tiers, sku="SKU-A", price=Decimal("10.00"))
    PriceListItem.objects.create(price_list=tiers, sku="SKU-A", min_quantity=12, price=Decimal("9.00"))

    order = place_order([("SKU-A", 5, None)], email=buyer.email, payment_status="pending")

    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.price_break, line.quantity_reserved) == (12, Decimal("9.00"), 12, 12)
    note = order.events.get(kind=OrderEvent.Kind.NOTE)
    assert note.message == "Quantities rounded up to the catalogue rules: SKU-A: 5 rounded up to 12 (in cases of 12)"


def test_customers_outside_the_group_are_not_bound_by_its_rules(stocked, group):
    stocked("SKU-A", 10)
    rule(group, sku="SKU-A", allowed=False)

    order = place_order([("SKU-A", 1)], email="someone@example.com")

    assert order.status == OrderStatus.ALLOCATED
