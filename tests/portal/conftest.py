"""Orders as the portal shows them: placed through intake, shipped through fulfillment with a
carrier booking, scanned by the carrier."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from inventory.services import stock_receive
from orders.models import Order
from shipping.demo import demo_shipping_seed
from shipping.selectors import rate_card_forget
from shipping.services import tracking_events_record

from fulfillment.models import FulfillmentOrder, Package, PackageType
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start, fulfillment_order_ship
from orders.services import order_start_fulfillment
from shipping.models import Shipment

from portal.notifications import delivery

from ..factories import LocationFactory, ProductFactory, place_order
from .smtp import SmtpServer


@pytest.fixture(autouse=True)
def _forget_rate_counts_and_links():
    """Rate-limit counts and sign-in nonces live in the cache: each test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def newark(db):
    return LocationFactory(code="newark", name="Newark DC", city="Newark", latitude=40.73, longitude=-74.17)


@pytest.fixture
def carriers(db):
    rate_card_forget()
    demo_shipping_seed()
    yield
    rate_card_forget()


@pytest.fixture
def ordered(db, warehouse, web_channel):
    """``ordered("ada@example.com", [("SKU-A", 2)])``: an order placed by that customer."""

    def make(email: str, lines=(("SKU-A", 2),), *, stock_at=None, **overrides) -> Order:
        for sku, quantity in lines:
            ProductFactory(sku=sku, name=f"Product {sku}")
            stock_receive(sku=sku, location=(stock_at or {}).get(sku, warehouse.code), quantity=quantity, actor="test")
        return place_order(list(lines), email=email, **overrides)

    return make


@pytest.fixture
def shipped(ordered, carriers, django_capture_on_commit_callbacks):
    """``shipped("ada@example.com")``: (order, shipment) for an order sent to fulfillment, each of
    its fulfillment orders picked, packed in one box, shipped with a carrier booking and scanned
    in transit at Boston; the shipment is the first fulfillment order's."""

    def make(email: str, lines=(("SKU-A", 2),), **overrides):
        order = ordered(email, lines, **overrides)
        with django_capture_on_commit_callbacks(execute=True):
            order_start_fulfillment(order_id=order.pk, actor="test")
        box, _ = PackageType.objects.get_or_create(
            code="box", defaults={"name": "Box", "inner_length_mm": 300, "inner_width_mm": 200, "inner_height_mm": 150, "max_weight_grams": 5000},
        )
        shipments = []
        for fulfillment_order in FulfillmentOrder.objects.filter(order=order).order_by("sequence"):
            fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
            fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer")
            Package.objects.create(fulfillment_order=fulfillment_order, package_type=box, weight_grams=1200, closed_at=timezone.now())
            with django_capture_on_commit_callbacks(execute=True):
                fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor="dock")
            shipment = Shipment.objects.get(reference=fulfillment_order.number)
            at = (timezone.now() + datetime.timedelta(minutes=5)).isoformat()
            with django_capture_on_commit_callbacks(execute=True):
                tracking_events_record(carrier_code=shipment.carrier.code, actor="test", events=[
                    {"event_id": f"ev-{shipment.pk}", "tracking_number": shipment.tracking_number, "code": "in_transit",
                     "status_text": "Departed sorting centre", "location": "Boston MA", "occurred_at": at},
                ])
            shipments.append(shipment)
        return Order.objects.get(pk=order.pk), shipments[0]

    return make


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost that the project's SMTP backend delivers to; yields its mailbox."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.OMS_NOTIFICATION_RETRY_SECONDS = 0  # in-process tasks retry at once (a worker would wait)
        delivery._connection_drop()  # the process's open session belongs to the previous server
        yield server.mailbox
        delivery._connection_drop()
