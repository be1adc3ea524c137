"""A small hand-built history for the exports: rows written straight into the tables with the
values a test then expects cell by cell (exports only read; how the rows came to be is the other
apps' business and their own tests')."""

import csv
import datetime
import io
import itertools
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.api.conftest import client_for  # noqa: F401  (``client_for("reports:read")``: an API client with a key of those scopes)
from inventory.models import Location, Product, StockMovement
from oms.roles import roles_sync
from orders.models import Channel, Order, OrderLine
from returns.models import Refund
from shipping.models import Carrier, ServiceLevel, Shipment, ShipmentParcel

UTC = datetime.UTC
_serial = itertools.count(1)


def at(text: str) -> datetime.datetime:
    """A UTC moment from ``YYYY-MM-DD HH:MM``."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def channel_make(code="web") -> Channel:
    return Channel.objects.get_or_create(code=code, defaults={"name": code.title()})[0]


def order_make(*, lines=(("SHIRT", "Shirt", 2, "19.990"),), placed="2026-03-02 10:00", channel="web", status="shipped",
               currency="EUR", external_id=None, email="ada@example.com") -> Order:
    """An order whose lines are ``(sku, name, quantity, unit_price)``; totals add up."""
    serial = next(_serial)
    subtotal = sum(Decimal(price) * quantity for _, _, quantity, price in lines)
    order = Order.objects.create(
        number=f"EX-{serial:05d}", channel=channel_make(channel), external_id=external_id or f"ext-{serial}", email=email,
        status=status, payment_status="paid", currency=currency, subtotal=subtotal, shipping_price=Decimal("4.900"),
        tax_total=Decimal("3.125"), grand_total=subtotal + Decimal("4.900"), ship_country="DE", placed_at=at(placed),
    )
    for number, (sku, name, quantity, price) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=order, line_number=number, sku=sku, name=name, quantity=quantity, unit_price=Decimal(price),
            tax=Decimal("1.005"), line_total=Decimal(price) * quantity,
        )
    return order


def product_make(sku="SHIRT", cost="7.125", currency="EUR") -> Product:
    return Product.objects.get_or_create(sku=sku, defaults={"name": f"{sku.title()} product", "price": Decimal("19.99"),
                                                            "cost": Decimal(cost) if cost else None, "currency": currency})[0]


def location_make(code="ber") -> Location:
    return Location.objects.get_or_create(code=code, defaults={"name": code.upper(), "country": "DE"})[0]


def movement_make(*, sku="SHIRT", location="ber", on_hand=0, reserved=0, kind="receipt", when="2026-03-02 10:00", reference="", reason=""):
    """A ledger row, and the stock level it belongs to (as the inventory services keep them)."""
    from inventory.models import StockLevel

    product, place = product_make(sku), location_make(location)
    level, _ = StockLevel.objects.get_or_create(product=product, location=place)
    StockLevel.objects.filter(pk=level.pk).update(on_hand=level.on_hand + on_hand)
    return StockMovement.objects.create(
        kind=kind, product=product, location=place, on_hand_delta=on_hand, reserved_delta=reserved, reference=reference,
        reason=reason, actor_label="job:test", created_at=at(when),
    )


def refund_make(order: Order, *, amount="10.500", status="succeeded", when="2026-03-05 09:00") -> Refund:
    refund = Refund(
        order=order, amount=Decimal(amount), currency=order.currency, computed_amount=Decimal(amount), provider="builtin",
        status=status, idempotency_key=f"refund-{next(_serial)}", actor_label="clerk", created_at=at(when),
        provider_refund_id="=cmd|' /C calc'!A0",
    )
    refund.save()
    return refund


def shipment_make(*, tracking="TRK0001", price="6.400", currency="EUR", when="2026-03-03 08:00", parcels=("1.250", "0.500"), reference="FO-1"):
    carrier = Carrier.objects.get_or_create(code="oms-post", defaults={"name": "OMS Post"})[0]
    service = ServiceLevel.objects.get_or_create(carrier=carrier, code="ground", defaults={"name": "Ground"})[0]
    shipment = Shipment.objects.create(
        carrier=carrier, service=service, tracking_number=tracking, reference=reference, origin={"country": "DE"},
        destination={"country": "FR", "postal_code": "75001"}, price=Decimal(price), currency=currency,
        collection_date=datetime.date(2026, 3, 3), promised_delivery_date=datetime.date(2026, 3, 6), created_at=at(when),
    )
    for sequence, weight in enumerate(parcels, start=1):
        ShipmentParcel.objects.create(shipment=shipment, sequence=sequence, tracking_number=f"{tracking}-{sequence}", weight_kg=Decimal(weight))
    return shipment


def staff_make(username: str, role: str | None = None, *, superuser=False):
    roles_sync()
    user = get_user_model().objects.create_user(username=username, password="pw", is_staff=True, is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return get_user_model().objects.get(pk=user.pk)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode()), "a BOM, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx_formats(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.number_format for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def berlin(settings):
    """The merchant is in Berlin (UTC+1 in winter, +2 from the last Sunday of March)."""
    settings.TIME_ZONE = "Europe/Berlin"
