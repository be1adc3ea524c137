"""The goods' value goes on the shipment of a fulfillment order: declared on the label, and
insured with the carrier only when the channel buys the cover."""

from decimal import Decimal

import pytest
from inventory.models import Product
from orders.models import Channel, OrderEvent
from orders.services import order_intake
from orders.services.intake import LineData
from shipping.models import Shipment

from ..factories import intake_data
from ..shipping.test_labels import label_text
from .fulfillment_support import carriers, receive, ship_in_one_box  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(receive, warehouse, web_channel, django_capture_on_commit_callbacks):
    """``shipped(lines, insure=False, currency="USD")``: an order of ``(sku, quantity, unit
    price[, discount])`` lines from Chicago to Boston on a channel that insures parcels or not, packed into
    one weighed box and shipped with the carriers rate shopping picks; its shipment."""

    def make(lines, *, insure=False, currency="USD") -> Shipment:
        Channel.objects.filter(code="web").update(insure_shipments=insure)
        for sku, quantity, price, *_ in lines:
            receive(sku, quantity, warehouse)
            Product.objects.filter(sku=sku).update(price=Decimal(price))  # the catalogue's price: no price hold
        data = intake_data([], currency=currency)
        data.lines = [
            LineData(sku=sku, quantity=quantity, unit_price=Decimal(price), discount=Decimal(discount[0] if discount else 0))
            for sku, quantity, price, *discount in lines
        ]
        return ship_in_one_box(order_intake(data=data, actor="test").order, django_capture_on_commit_callbacks)

    return make


def cover_charges(shipment: Shipment) -> list[dict]:
    return [charge for parcel in shipment.quote["parcels"] for charge in parcel["charges"] if charge["kind"] == "declared_value"]


def test_the_label_of_a_shipped_fulfillment_order_prints_the_value_of_its_goods_with_the_currency(carriers, shipped):
    # Given an order of 2 × 24.50 and 1 × 51.00, shipped on a channel that does not insure
    shipment = shipped([("SKU-A", 2, "24.50"), ("SKU-B", 1, "51.00")])

    # Then the label declares 100.00 USD, and the carrier's cover is not bought
    assert "Declared value 100.00 USD" in " ".join(label_text(shipment).split())
    assert (shipment.declared_value, shipment.declared_currency, shipment.declared_value_insured) == (Decimal("100"), "USD", False)
    assert cover_charges(shipment) == []


def test_a_channel_that_insures_buys_the_carriers_cover_on_the_goods_value_and_the_timeline_says_so(carriers, shipped):
    # Given a channel that insures parcels, and OMS Post's cover of 1% of the value
    shipment = shipped([("SKU-A", 2, "150.00")], insure=True)

    # Then the shipment is insured for 300.00 USD, the price carries 3.00 for it, and the timeline says so
    assert shipment.declared_value_insured and shipment.declared_value == Decimal("300")
    assert [Decimal(charge["amount"]) for charge in cover_charges(shipment)] == [Decimal("3.00")]
    notes = OrderEvent.objects.filter(kind=OrderEvent.Kind.NOTE).values_list("message", flat=True)
    assert any("goods declared at 300.00 USD, insured" in note for note in notes)


def test_goods_sold_in_another_currency_than_the_carriers_are_declared_in_theirs_and_not_insured(carriers, shipped):
    # Given an order paid in euros, on a channel that insures, that only OMS Post (dollars) can carry
    shipment = shipped([("SKU-A", 1, "80.00")], insure=True, currency="EUR")

    # Then the label declares the euros, and nothing is insured (the cover is a share of a dollar value)
    assert shipment.currency == "USD" and not shipment.declared_value_insured
    assert "Declared value 80.00 EUR" in " ".join(label_text(shipment).split())


def test_a_line_discount_lowers_the_declared_value(carriers, shipped):
    # Given 4 units at 25.00 with 20.00 off the line
    shipment = shipped([("SKU-A", 4, "25.00", "20.00")])

    # Then the goods are declared at what they were sold for
    assert shipment.declared_value == Decimal("80")
