"""A hand-built stock ledger for the forecast tests: movements written straight into the ledger
at the times a test names (the forecasts only read it)."""

import datetime
from decimal import Decimal

from inventory.models import Location, Product, StockMovement

DAY0 = datetime.date(2026, 1, 5)  # a Monday


def product(sku="MUG") -> Product:
    return Product.objects.get_or_create(sku=sku, defaults={"name": sku.title(), "price": Decimal("9.99"), "currency": "EUR"})[0]


def location(code="ber") -> Location:
    return Location.objects.get_or_create(code=code, defaults={"name": code.upper(), "country": "DE"})[0]


def moment(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(DAY0 + datetime.timedelta(days=day), datetime.time(hour), tzinfo=datetime.UTC)


def move(item: Product, place: Location, day: int, kind: str, *, on_hand=0, reserved=0, damaged=0, reason="", hour=12) -> None:
    StockMovement.objects.create(kind=kind, product=item, location=place, on_hand_delta=on_hand, reserved_delta=reserved,
                                 damaged_delta=damaged, reason=reason, created_at=moment(day, hour), actor_label="test")


def receive(item, place, day, quantity, hour=8):
    move(item, place, day, StockMovement.Kind.RECEIPT, on_hand=quantity, hour=hour)


def ship(item, place, day, quantity, hour=12):
    move(item, place, day, StockMovement.Kind.SHIPMENT, on_hand=-quantity, reserved=-quantity, hour=hour)


def daily_sales(item, place, values, *, first_day=1, opening=None):
    """A receipt large enough on day 0 (or ``opening``), then ``values[i]`` shipped on day ``first_day + i``."""
    receive(item, place, 0, opening if opening is not None else sum(values) + 1000, hour=6)
    for i, quantity in enumerate(values):
        if quantity:
            ship(item, place, first_day + i, int(quantity))
