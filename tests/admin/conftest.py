import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages

from orders.models import Channel, Order

from ..factories import ChannelFactory
from ..inventory.invariants import stock_invariant_violations

ROLES = ("Warehouse", "Customer service", "Accounting", "Operations manager")


@pytest.fixture(autouse=True)
def stock_stays_consistent(db):
    """Whatever the console did, stock counters still equal the ledger and the order lines."""
    yield
    assert stock_invariant_violations() == []


@pytest.fixture
def console(db, client):
    """``console("Warehouse")``: the test client logged in as a staff user holding that role."""

    def login(role: str, username: str | None = None):
        user = get_user_model().objects.create_user(username=username or role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture
def phone_channel(db):
    return ChannelFactory(code="phone", name="Phone", kind=Channel.Kind.PHONE)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(order: Order) -> Order:
    """The order as stored (``refresh_from_db`` is refused on the protected status field)."""
    return Order.objects.get(pk=order.pk)
