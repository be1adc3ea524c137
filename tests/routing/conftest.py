import pytest

from inventory.services import stock_receive
from orders.models import Allocation, Channel, RoutingStrategy
from orders.routing.config import routing_memo_clear

from ..factories import ChannelFactory, LocationFactory, ProductFactory, address
from ..inventory.invariants import stock_invariant_violations

BOSTON = address()


@pytest.fixture(autouse=True)
def clean_routing_memo():
    """Strategies and loads a process remembers belong to the test that read them."""
    routing_memo_clear()
    yield
    routing_memo_clear()


@pytest.fixture(autouse=True)
def stock_stays_consistent(db):
    yield
    assert stock_invariant_violations() == []


@pytest.fixture
def sites(db, web_channel):
    """Warehouses in New York, Chicago and Los Angeles (a customer in Boston is nearest New York)."""
    return {
        "ny": LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01),
        "chicago": LocationFactory(code="chicago", name="Chicago DC", city="Chicago", latitude=41.85, longitude=-87.65),
        "la": LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24),
    }


@pytest.fixture
def marketplace(db):
    return ChannelFactory(code="market", name="Marketplace", kind=Channel.Kind.MARKETPLACE)


def stock(sku: str, **per_location: int) -> None:
    ProductFactory(sku=sku)
    for location, quantity in per_location.items():
        stock_receive(sku=sku, location=location, quantity=quantity, actor="test")


def strategy(channel=None, allowed=(), **fields) -> RoutingStrategy:
    made = RoutingStrategy.objects.create(name=f"for {channel.code if channel else 'everyone'}", channel=channel, **fields)
    if allowed:
        made.allowed_locations.set(allowed)
    return made


def reserved_at(order) -> dict[tuple[str, str], int]:
    return {
        (a.line.sku, a.location.code): a.quantity
        for a in Allocation.objects.filter(line__order=order).select_related("line", "location")
    }
