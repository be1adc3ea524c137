"""Carrier invoices: imported line by line against the shipments' quotes (dry run, bad rows named,
the same file twice, credits), recorded all or nothing, and the quoted-against-billed KPI."""

import datetime
from decimal import Decimal

import pytest

from oms.errors import InvalidInput
from reports.imports.services import import_run
from reports.selectors import kpi_answer
from shipping.billing import ChargeLine, carrier_charges_record
from shipping.models import Carrier, CarrierCharge, Shipment

from . import history
from .imports_support import csv_file, errors_of

pytestmark = pytest.mark.django_db

PLACED = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def parcels():
    """Two UPS parcels bought on 2026-03-10, quoted 10.00 and 8.00 USD, and a DHL one quoted 5.00."""
    ups, dhl = Carrier.objects.create(code="ups", name="UPS"), Carrier.objects.create(code="dhl", name="DHL")
    made = [history.shipment(ups, "10.00", datetime.date(2026, 3, 13)), history.shipment(ups, "8.00", datetime.date(2026, 3, 13)),
            history.shipment(dhl, "5.00", datetime.date(2026, 3, 13))]
    Shipment.objects.filter(pk__in=[s.pk for s in made]).update(created_at=PLACED)
    return made


def run(content, *, dry_run=False, mode="valid_rows"):
    return import_run(kind="carrier_charges", mode=mode, content=content, file_name="ups-invoice.csv", dry_run=dry_run, actor="accountant")


def test_a_carrier_invoice_is_checked_row_by_row_then_applied_and_the_same_file_again_changes_nothing(parcels):
    one, two, _ = parcels
    invoice = csv_file(
        "tracking_number,invoice,amount,currency",
        f"{one.tracking_number},INV-1,12.00,USD",
        f"{two.tracking_number},INV-1,8.00,",
        "NOPE123,INV-1,3.00,USD",
        f"{one.tracking_number},INV-2,abc,USD",
        f"{two.tracking_number},INV-3,1.00,EUR",
    )

    preview = run(invoice, dry_run=True)

    # The dry run writes nothing and names each bad row by row and column
    assert not CarrierCharge.objects.exists()
    assert [row.action for row in preview.rows][:2] == ["create", "create"]
    assert errors_of(preview) == [(4, "tracking_number"), (5, "amount"), (6, "currency")]
    messages = [error["message"] for row in preview.as_dict()["rows"] for error in row["errors"]]
    assert "No shipment has tracking number 'NOPE123'" in messages[0] and "bought in USD" in messages[2]

    applied = run(invoice)
    again = run(invoice)

    assert [row.outcome for row in applied.rows][:2] == ["created", "created"]
    assert sorted(CarrierCharge.objects.values_list("shipment__tracking_number", "invoice", "amount")) == sorted(
        [(one.tracking_number, "INV-1", Decimal("12.00")), (two.tracking_number, "INV-1", Decimal("8.00"))])
    assert [row.outcome for row in again.rows][:2] == ["unchanged", "unchanged"]
    assert CarrierCharge.objects.count() == 2


def test_a_different_amount_on_an_invoice_on_file_is_refused_and_a_credit_comes_on_another(parcels):
    one = parcels[0]
    carrier_charges_record(lines=[ChargeLine(one.tracking_number, "INV-1", Decimal("12.00"), "USD")], actor="accountant")

    with pytest.raises(InvalidInput) as refused:
        carrier_charges_record(lines=[ChargeLine(one.tracking_number, "INV-2", Decimal("-1.00"), "USD"),
                                      ChargeLine(one.tracking_number, "INV-1", Decimal("11.00"), "USD")], actor="accountant")

    # All or nothing: the good credit line was not recorded either
    assert "already billed 12.00 USD" in refused.value.fields["lines[1].amount"][0]
    assert CarrierCharge.objects.count() == 1
    assert carrier_charges_record(lines=[ChargeLine(one.tracking_number, "INV-2", Decimal("-1.00"), "USD")], actor="accountant") == ["created"]


def test_billed_against_quoted_per_carrier_with_the_parcels_billed_above_their_quote(parcels):
    # Given UPS billed 12.00 and then credited 1.00 for the 10.00 parcel, 8.00 for the 8.00 one;
    # DHL billed 4.50 for its 5.00 parcel
    one, two, three = parcels
    carrier_charges_record(lines=[
        ChargeLine(one.tracking_number, "INV-1", Decimal("12.00"), "USD"), ChargeLine(two.tracking_number, "INV-1", Decimal("8.00"), "USD"),
        ChargeLine(one.tracking_number, "INV-2", Decimal("-1.00"), "USD"), ChargeLine(three.tracking_number, "D-9", Decimal("4.50"), "USD"),
    ], actor="accountant")

    result = kpi_answer(key="shipping_billed_vs_quoted", params={"from": "2026-03-10", "to": "2026-03-10", "by": "carrier"})
    outside = kpi_answer(key="shipping_billed_vs_quoted", params={"from": "2026-03-11", "to": "2026-03-11"})

    # Then 23.00 quoted, 23.50 billed; UPS 18.00 against 19.00 (one parcel over), DHL 5.00 against 4.50
    assert result["value"] == [{"currency": "USD", "value": {"shipments_billed": 3, "quoted": "23.00", "billed": "23.50", "difference": "0.50",
                                                             "difference_rate": 2.17, "billed_over_quote": 1}}]
    rows = {row["label"]: row["value"][0]["value"] for row in result["rows"]}
    assert rows["ups"] == {"shipments_billed": 2, "quoted": "18.00", "billed": "19.00", "difference": "1.00", "difference_rate": 5.56,
                           "billed_over_quote": 1}
    assert rows["dhl"]["difference"] == "-0.50" and rows["dhl"]["billed_over_quote"] == 0
    assert result["drilldown"]["ids"] == [one.pk]
    assert outside["value"] == []
