"""Factories for the domain; orders are made through the intake service, as every channel makes them."""

import itertools
from decimal import Decimal

import factory

from customers.models import Customer, CustomerGroup
from inventory.models import Location, Product
from orders.models import Channel
from orders.services import AddressData, LineData, OrderIntakeData, order_intake

_external_ids = itertools.count(1)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("20.00")
    currency = "USD"
    weight_grams = 500


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"wh-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    country = "US"
    city = "Chicago"
    latitude = 41.85
    longitude = -87.65


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("code",)

    code = "web"
    name = "Web shop"
    kind = Channel.Kind.WEB


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Group {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"


def address(**overrides) -> AddressData:
    values = dict(name="Ada Lovelace", line1="12 Main Street", city="Boston", region="MA", postal_code="02108", country="US")
    values.update(overrides)
    return AddressData(**values)


def _price(line) -> Decimal | None:
    if len(line) < 3:
        return Decimal("20.00")
    return None if line[2] is None else Decimal(str(line[2]))


def intake_data(lines, **overrides) -> OrderIntakeData:
    """Valid, paid order data; ``lines`` is a list of ``(sku, quantity)`` or ``(sku, quantity,
    unit_price)`` (a price of None: the contract price list prices the line)."""
    values = dict(
        channel="web",
        external_id=f"EXT-{next(_external_ids)}",
        currency="USD",
        email="buyer@example.com",
        first_name="Ada",
        last_name="Lovelace",
        shipping_address=address(),
        payment_status="paid",
        lines=[LineData(sku=line[0], quantity=line[1], unit_price=_price(line)) for line in lines],
    )
    values.update(overrides)
    return OrderIntakeData(**values)


def place_order(lines, actor="test", **overrides):
    """Record an order through intake; returns the order."""
    ChannelFactory(code=overrides.get("channel", "web"))
    return order_intake(data=intake_data(lines, **overrides), actor=actor).order
