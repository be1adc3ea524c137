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
    """``console("Warehouse")``: the test client logged in as a staff user holding that role;
    ``console("Accounting", without="shipping")``: that role less its permissions in one app."""

    def login(role: str, username: str | None = None, *, without: str | None = None):
        user = get_user_model().objects.create_user(username=username or role.lower().replace(" ", "_"), password="x", is_staff=True)
        group = Group.objects.get(name=role)
        if without:
            narrowed = Group.objects.create(name=f"{role} without {without}")
            narrowed.permissions.set(group.permissions.exclude(content_type__app_label=without))
            group = narrowed
        user.groups.add(group)
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


def ship_with_a_scan(fulfillment_order, capture_on_commit, *, location: str = "Boston MA"):
    """Pick and pack a fulfillment order into one weighed box, ship it with the carriers the test
    set up (the after-commit events dispatched) and record one in-transit scan; the shipment."""
    from django.utils import timezone

    from fulfillment.models import Package, PackageType
    from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
    from shipping.models import Shipment
    from shipping.services import tracking_events_record

    fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer")
    box, _ = PackageType.objects.get_or_create(
        code="m-box", defaults={"name": "Medium box", "inner_length_mm": 300, "inner_width_mm": 200, "inner_height_mm": 150, "max_weight_grams": 5000}
    )
    Package.objects.create(fulfillment_order=fulfillment_order, package_type=box, weight_grams=900, closed_at=timezone.now())
    with capture_on_commit(execute=True):
        fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor="dock")
    shipment = Shipment.objects.get(reference=fulfillment_order.number)
    tracking_events_record(carrier_code=shipment.carrier.code, actor="test", events=[{
        "event_id": f"scan-{shipment.pk}", "tracking_number": shipment.tracking_number, "code": "in_transit", "status_text": "Departed",
        "location": location, "occurred_at": timezone.now().isoformat(),
    }])
    return shipment
