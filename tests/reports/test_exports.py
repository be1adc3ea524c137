"""Accountants' exports, cell by cell: what each kind holds in CSV and in XLSX, money exact with
its currency, times in the merchant's time zone, formulas made harmless, numbers kept numbers,
and only the rows the filters ask for."""

import datetime
from decimal import Decimal

import pytest

from oms.errors import InvalidInput
from reports.export_files import csv_pieces, xlsx_write
from reports.export_resources import export_resource_for

from .conftest import (
    csv_rows,
    movement_make,
    order_make,
    product_make,
    refund_make,
    shipment_make,
    xlsx_formats,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db


def export_csv(kind: str, **filters) -> list[list[str]]:
    resource = export_resource_for(kind)
    return csv_rows(b"".join(csv_pieces(resource, resource.rows(filters=filters))))


def export_xlsx(kind: str, **filters) -> bytes:
    import io

    resource = export_resource_for(kind)
    output = io.BytesIO()
    xlsx_write(resource, resource.rows(filters=filters), output)
    return output.getvalue()


HOSTILE = "=HYPERLINK(\"http://evil.example\",\"Click\")"


def _lines_history():
    # An order placed at 23:30 UTC on 1 March: already 2 March in Berlin.
    first = order_make(
        lines=[("SHIRT", HOSTILE, 2, "19.990"), ("MUG", "-5 mugs", 1, "0.005")], placed="2026-03-01 23:30", external_id="@SUM(A1)",
    )
    second = order_make(lines=[("CAP", "\tTabbed +cap", 3, "7.000")], placed="2026-03-03 12:00", channel="pos", currency="JPY")
    return first, second


def test_order_lines_csv_holds_each_cell_exact_in_berlin_time_with_formulas_quoted(berlin):
    # Given two orders, one with a line name a spreadsheet would run and a price of half a cent
    first, second = _lines_history()

    # When the order lines are exported to CSV
    rows = export_csv("order_lines")

    # Then every cell is as stored: exact decimals (12.300 shown 12.30, 0.005 kept), times in Berlin
    # (named in the header), formula-looking text quoted, quantities plain numbers
    assert rows == [
        ["order_number", "channel", "placed_at (Europe/Berlin)", "order_status", "line", "sku", "name", "quantity", "quantity_shipped",
         "quantity_returned", "currency", "unit_price", "discount", "tax", "line_total"],
        [first.number, "web", "2026-03-02 00:30:00", "shipped", "1", "SHIRT", "'" + HOSTILE, "2", "0", "0", "EUR", "19.99", "0.00", "1.005", "39.98"],
        [first.number, "web", "2026-03-02 00:30:00", "shipped", "2", "MUG", "'-5 mugs", "1", "0", "0", "EUR", "0.005", "0.00", "1.005", "0.005"],
        [second.number, "pos", "2026-03-03 13:00:00", "shipped", "1", "CAP", "'\tTabbed +cap", "3", "0", "0", "JPY", "7.00", "0.00", "1.005", "21.00"],
    ]


def test_order_lines_xlsx_has_numbers_as_numbers_dates_as_dates_and_text_quoted(berlin):
    first, second = _lines_history()

    content = export_xlsx("order_lines")

    rows = xlsx_rows(content)
    assert rows[0][2] == "placed_at (Europe/Berlin)"
    assert rows[1] == [first.number, "web", datetime.datetime(2026, 3, 2, 0, 30), "shipped", 1, "SHIRT", "'" + HOSTILE, 2, 0, 0, "EUR",
                       19.99, 0, 1.005, 39.98]
    assert rows[2][6] == "'-5 mugs" and rows[2][11] == 0.005
    assert rows[3][6] == "'\tTabbed +cap" and rows[3][10] == "JPY" and rows[3][14] == 21
    # Amounts are stored as their exact decimal text and shown with at least two decimals
    assert [Decimal(str(value)) for value in rows[1][11:15]] == [Decimal("19.99"), Decimal("0"), Decimal("1.005"), Decimal("39.98")]
    formats = xlsx_formats(content)
    assert formats[1][11] == "#,##0.00#" and formats[1][2] == "yyyy-mm-dd hh:mm:ss"


def test_the_stock_ledger_keeps_negative_quantities_as_numbers_not_quoted_text(berlin):
    # Given a receipt of 10 and a shipment of -3, whose reference starts with "-"
    movement_make(on_hand=10, kind="receipt", reference="PO-7", when="2026-03-02 08:00")
    movement_make(on_hand=-3, kind="shipment", reference="-EX-1", reason="+sold", when="2026-03-02 09:15")

    rows = export_csv("stock_movements")
    book = xlsx_rows(export_xlsx("stock_movements"))

    assert [row[2:7] + row[11:14] for row in rows[1:]] == [
        ["receipt", "SHIRT", "Shirt product", "ber", "10", "PO-7", "", "job:test"],
        ["shipment", "SHIRT", "Shirt product", "ber", "-3", "'-EX-1", "'+sold", "job:test"],
    ]
    assert rows[2][1] == "2026-03-02 10:15:00"
    assert book[2][6] == -3 and isinstance(book[2][6], int) and book[2][11] == "'-EX-1"


def test_filters_take_whole_days_in_the_merchants_time_zone(berlin):
    # Given orders at 22:59 and 23:00 UTC on 1 March: 23:59 on 1 March and 00:00 on 2 March in Berlin
    late = order_make(placed="2026-03-01 22:59")
    midnight = order_make(placed="2026-03-01 23:00")
    order_make(placed="2026-03-02 23:00", channel="pos")  # 3 March in Berlin

    # When orders of 2 March are exported, and then those of 1 March
    second = export_csv("orders", **{"from": "2026-03-02", "to": "2026-03-02"})
    first = export_csv("orders", to="2026-03-01")

    assert [row[0] for row in second[1:]] == [midnight.number]
    assert [row[0] for row in first[1:]] == [late.number]
    assert len(export_csv("orders", channel="pos")) == 2 and len(export_csv("orders", channel="web", status="shipped")) == 3
    assert len(export_csv("orders", status="cancelled")) == 1  # the header alone


def test_orders_hold_the_totals_with_their_currency():
    order = order_make(lines=[("SHIRT", "Shirt", 1, "10.000")], external_id="=1+1")

    header, row = export_csv("orders")

    assert dict(zip(header, row, strict=True)) == {
        "order_number": order.number, "channel": "web", "external_id": "'=1+1", "status": "shipped", "payment_status": "paid",
        "placed_at (UTC)": "2026-03-02 10:00:00", "customer_email": "ada@example.com", "ship_country": "DE", "currency": "EUR",
        "subtotal": "10.00", "discount_total": "0.00", "shipping_price": "4.90", "tax_total": "3.125", "grand_total": "14.90",
    }


@pytest.mark.parametrize("filters, field", [
    ({"from": "2026-02-30"}, "filters.from"),
    ({"status": "lost"}, "filters.status"),
    ({"colour": "red"}, "filters.colour"),
    ({"channel": ["web"]}, "filters.channel"),
], ids=["impossible-day", "unknown-status", "unknown-filter", "list-for-text"])
def test_a_bad_filter_is_refused_naming_it(filters, field):
    with pytest.raises(InvalidInput) as refused:
        export_resource_for("orders").rows(filters=filters)
    assert list(refused.value.fields) == [field]


def test_refunds_hold_amount_currency_order_and_the_providers_id_made_safe():
    order = order_make()
    refund = refund_make(order, amount="10.500")

    header, row = export_csv("refunds")

    cells = dict(zip(header, row, strict=True))
    assert (cells["refund_id"], cells["order_number"], cells["status"], cells["amount"], cells["currency"]) == (
        str(refund.pk), order.number, "succeeded", "10.50", "EUR")
    assert cells["provider_refund_id"] == "'=cmd|' /C calc'!A0" and cells["created_at (UTC)"] == "2026-03-05 09:00:00"


def test_shipments_hold_the_quoted_cost_parcels_and_weight():
    shipment_make(tracking="TRK0001", price="6.400", parcels=("1.250", "0.500"))

    header, row = export_csv("shipments")

    cells = dict(zip(header, row, strict=True))
    assert {key: cells[key] for key in ("tracking_number", "carrier", "service", "destination_country", "parcels", "weight_kg",
                                        "currency", "quoted_cost", "collection_date", "late")} == {
        "tracking_number": "TRK0001", "carrier": "oms-post", "service": "ground", "destination_country": "FR", "parcels": "2",
        "weight_kg": "1.75", "currency": "EUR", "quoted_cost": "6.40", "collection_date": "2026-03-03", "late": "no",
    }


def test_stock_valuation_at_a_day_sums_the_ledger_to_that_days_end_times_unit_cost(berlin):
    # Given shirts (cost 7.125) received on 1 March, some sold on 2 March at 00:30 Berlin time
    # (still 1 March in UTC), and more received on 3 March; mugs without a cost
    product_make("SHIRT", cost="7.125")
    product_make("MUG", cost=None)
    movement_make(sku="SHIRT", on_hand=10, when="2026-03-01 09:00")
    movement_make(sku="SHIRT", on_hand=-4, kind="shipment", when="2026-03-01 23:30")
    movement_make(sku="SHIRT", location="muc", on_hand=5, when="2026-03-01 10:00")
    movement_make(sku="SHIRT", on_hand=100, when="2026-03-03 09:00")
    movement_make(sku="MUG", on_hand=2, when="2026-03-01 09:00")
    movement_make(sku="OLD", on_hand=3, when="2026-02-01 09:00")
    movement_make(sku="OLD", on_hand=-3, kind="scrap", when="2026-02-02 09:00")

    # When the stock is valued at the end of 1 and of 2 March (Berlin)
    first = export_csv("stock_valuation", at="2026-03-01")
    second = export_csv("stock_valuation", at="2026-03-02")

    # Then the 00:30 sale counts on 2 March only; nothing left is not listed; no cost, no value
    assert first == [
        ["sku", "name", "location", "on_hand", "currency", "unit_cost", "value"],
        ["MUG", "Mug product", "ber", "2", "EUR", "", ""],
        ["SHIRT", "Shirt product", "ber", "10", "EUR", "7.125", "71.25"],
        ["SHIRT", "Shirt product", "muc", "5", "EUR", "7.125", "35.625"],
    ]
    assert second[2] == ["SHIRT", "Shirt product", "ber", "6", "EUR", "7.125", "42.75"]
    assert export_csv("stock_valuation", at="2026-03-02", location="muc")[1:] == [["SHIRT", "Shirt product", "muc", "5", "EUR", "7.125", "35.625"]]


def test_the_resource_gives_django_import_export_the_same_cells():
    # The resources are django-import-export's: its own export (tablib) makes the same cells.
    _lines_history()
    resource = export_resource_for("order_lines")

    dataset = resource.export(resource.rows())

    assert [list(dataset.headers)] + [[str(cell) for cell in row] for row in dataset] == export_csv("order_lines")
