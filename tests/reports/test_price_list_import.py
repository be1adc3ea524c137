"""Contract prices imported from a spreadsheet: checked row by row against the lists, the
products and the list's currency, applied through the price-list service, and priced by intake's
resolution afterwards; the same file again changes nothing."""

import datetime
from decimal import Decimal

import pytest

from customers.models import Customer, CustomerGroup, PriceList, PriceListItem
from customers.pricing import contract_prices
from inventory.models import Product
from oms.models import DomainEvent
from reports.imports.services import import_run

from .imports_support import csv_file, errors_of, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists():
    trade = CustomerGroup.objects.create(code="trade", name="Trade")
    usd = PriceList.objects.create(code="trade-usd", name="Trade USD", currency="USD", customer_group=trade)
    jpy = PriceList.objects.create(code="trade-jpy", name="Trade JPY", currency="JPY", customer_group=trade)
    for sku in ("MUG", "CAP"):
        Product.objects.create(sku=sku, name=sku.title(), price="10.00", currency="USD")
    PriceListItem.objects.create(price_list=usd, sku="MUG", min_quantity=1, price=Decimal("8.00"))
    buyer = Customer.objects.create(email="buyer@example.com", kind=Customer.Kind.BUSINESS, group=trade)
    return usd, jpy, buyer


def run(content, *, dry_run=False, mode="valid_rows", file_name="prices.csv"):
    return import_run(kind="price_lists", mode=mode, content=content, file_name=file_name, dry_run=dry_run, actor="accountant")


def test_breaks_are_previewed_then_written_and_intake_prices_from_them(lists):
    usd, _, buyer = lists
    prices = csv_file(
        "price_list,sku,min_quantity,price",
        "trade-usd,MUG,,7.50",     # the break on file: 8.00 -> 7.50
        "trade-usd,MUG,10,6.90",   # a new break
        "trade-usd,CAP,,4.00",     # a new SKU on the list
    )

    preview = run(prices, dry_run=True)

    assert [(row.action, row.changes) for row in preview.rows] == [
        ("update", {"price": ["8.00", "7.50"]}), ("create", {"price": [None, "6.90"]}), ("create", {"price": [None, "4.00"]}),
    ]
    assert PriceListItem.objects.count() == 1 and PriceListItem.objects.get().price == Decimal("8.00")

    applied = run(prices)

    assert [row.outcome for row in applied.rows] == ["updated", "created", "created"]
    offers = contract_prices(buyer, currency="USD", skus=["MUG", "CAP"], on=datetime.date(2026, 12, 5))
    assert offers.for_line("MUG", 3).price == Decimal("7.50")
    assert offers.for_line("MUG", 12).price == Decimal("6.90") and offers.for_line("MUG", 12).min_quantity == 10
    assert offers.for_line("CAP", 1).price == Decimal("4.00")
    changes = DomainEvent.objects.filter(name="price_list.changed").order_by("id")
    assert [event.payload["price"] for event in changes] == [["8.00", "7.50"], [None, "6.90"], [None, "4.00"]]
    assert {event.stream for event in changes} == {f"price_list:{usd.pk}"}


def test_the_same_file_again_changes_nothing(lists):
    prices = csv_file("price_list,sku,price", "trade-usd,MUG,8.00", "trade-usd,CAP,3.99")
    run(prices)
    events = DomainEvent.objects.count()

    again = run(prices)

    assert [row.outcome for row in again.rows] == ["unchanged", "unchanged"]
    assert DomainEvent.objects.count() == events
    assert PriceListItem.objects.count() == 2


def test_each_bad_row_says_what_to_fix_and_all_or_nothing_writes_nothing(lists):
    prices = csv_file(
        "price_list,sku,min_quantity,price",
        "trade-usd,MUG,,7.00",
        "nope,MUG,,7.00",          # unknown list
        "trade-usd,GHOST,,7.00",   # unknown product
        "trade-usd,CAP,0,7.00",    # a break of 0 units
        "trade-jpy,CAP,,7.50",     # yen have no minor unit
        "trade-usd,CAP,,",         # no price
        "trade-usd,MUG,1,6.00",    # the first row's break again
    )

    report = run(prices, mode="all_or_nothing")

    assert errors_of(report) == [(3, "price_list"), (4, "sku"), (5, "min_quantity"), (6, "price"), (7, "price"), (8, "sku")]
    messages = {(row["row"], error["column"]): error["message"] for row in report.as_dict()["rows"] for error in row["errors"]}
    assert "No price list with code 'nope'" in messages[(3, "price_list")]
    assert "No product with SKU 'GHOST'" in messages[(4, "sku")]
    assert "more decimals than JPY" in messages[(6, "price")]
    assert "also on row 2" in messages[(8, "sku")]
    assert PriceListItem.objects.get().price == Decimal("8.00")
    assert not DomainEvent.objects.filter(name="price_list.changed").exists()


def test_an_excel_workbook_is_read_like_the_csv(lists):
    _, jpy, _ = lists
    workbook = xlsx_file([["price_list", "sku", "min_quantity", "price"], ["trade-jpy", "MUG", 24, 950]])

    report = run(workbook, file_name="prices.xlsx")

    assert [row.outcome for row in report.rows] == ["created"]
    item = PriceListItem.objects.get(price_list=jpy)
    assert (item.sku, item.min_quantity, item.price) == ("MUG", 24, Decimal("950"))
