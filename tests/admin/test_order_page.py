"""The order page follows the order into fulfillment: its fulfillment orders, their next step for
the role, and their shipments with tracking, inline; the routing decision folded below the lines."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fulfillment.models import FulfillmentHold, FulfillmentOrder
from fulfillment.services import fulfillment_order_split
from orders.services import order_start_fulfillment
from shipping.demo import demo_shipping_seed
from shipping.models import Shipment
from shipping.selectors import rate_card_forget

from ..factories import place_order
from .conftest import ship_with_a_scan

pytestmark = pytest.mark.django_db


def order_page(client, order) -> str:
    response = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def started(stocked, django_capture_on_commit_callbacks):
    """An order sent to fulfillment (its fulfillment order created by the event subscriber)."""
    stocked("SKU-A", 10)
    order = place_order([("SKU-A", 2)])
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    return order


@pytest.fixture
def shipped(started, django_capture_on_commit_callbacks):
    """The started order packed, shipped with the demo carriers, and scanned once in Boston."""
    rate_card_forget()
    demo_shipping_seed()
    ship_with_a_scan(FulfillmentOrder.objects.get(order=started), django_capture_on_commit_callbacks, location="Boston MA")
    yield started
    rate_card_forget()


def test_after_start_fulfillment_the_warehouse_sees_the_fulfillment_order_and_its_next_step_instead_of_a_dead_end(console, started):
    fulfillment_order = FulfillmentOrder.objects.get(order=started)

    page = order_page(console("Warehouse"), started)

    assert "No lifecycle step is open to you" not in page
    assert "the next steps are on its fulfillment orders below" in page
    assert f'href="{reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk])}">{fulfillment_order.number}</a>' in page
    assert "SKU-A × 2" in page and fulfillment_order.location.code in page
    # Pending and on no pick list: the next step is building one, on its page where the button is.
    assert f'<a class="button" href="{reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk])}">Create its pick list</a>' in page


def test_the_next_step_is_a_link_only_for_a_role_that_may_take_it_and_holds_show_with_their_reason(console, started):
    fulfillment_order = FulfillmentOrder.objects.get(order=started)
    FulfillmentHold.objects.create(fulfillment_order=fulfillment_order, reason="address", detail="Gate code missing")
    FulfillmentOrder.objects.filter(pk=fulfillment_order.pk).update(is_held=True)

    accounting = order_page(console("Accounting"), started)
    service = order_page(console("Customer service", username="service"), started)

    assert fulfillment_order.number in accounting and "Gate code missing" in accounting
    assert "On hold: release the hold to go on" in accounting
    next_step_link = re.compile(r'<a class="button" href="[^"]+">On hold: release the hold')
    assert not next_step_link.search(accounting)  # accounting may not release it
    assert next_step_link.search(service)


def test_a_shipped_order_shows_carrier_tracking_number_latest_event_and_the_label_to_roles_that_see_shipments(console, shipped):
    shipment = Shipment.objects.get()

    warehouse = order_page(console("Warehouse"), shipped)
    accounting = order_page(console("Accounting", username="accounting", without="shipping"), shipped)

    assert shipment.carrier.name in warehouse and shipment.service.name in warehouse
    assert f'href="{reverse("admin:shipping_shipment_change", args=[shipment.pk])}">{shipment.tracking_number}</a>' in warehouse
    assert "Boston MA" in warehouse
    assert f'href="{reverse("admin:shipping_shipment_label", args=[shipment.pk])}"' in warehouse
    # A role that does not see shipments: the column, the link and the label are not there.
    assert shipment.tracking_number in warehouse and reverse("admin:shipping_shipment_label", args=[shipment.pk]) not in accounting
    assert reverse("admin:shipping_shipment_change", args=[shipment.pk]) not in accounting


def test_the_order_page_costs_the_same_queries_with_one_fulfillment_order_or_three(console, stocked, django_capture_on_commit_callbacks):
    stocked("SKU-A", 50)
    with django_capture_on_commit_callbacks(execute=True):
        small, large = place_order([("SKU-A", 1)]), place_order([("SKU-A", 3)])
        for order in (small, large):
            order_start_fulfillment(order_id=order.pk, actor="test")
    fulfillment_order = FulfillmentOrder.objects.get(order=large)
    line = fulfillment_order.lines.get()
    fulfillment_order_split(fulfillment_order_id=fulfillment_order.pk, lines={line.pk: 1}, to_location_id=None, actor="test")
    fulfillment_order_split(fulfillment_order_id=fulfillment_order.pk, lines={line.pk: 1}, to_location_id=None, actor="test")
    assert FulfillmentOrder.objects.filter(order=large).count() == 3
    client = console("Warehouse")
    order_page(client, small)  # warm the caches (sessions, content types)

    with CaptureQueriesContext(connection) as one:
        order_page(client, small)
    with CaptureQueriesContext(connection) as three:
        order_page(client, large)

    assert len(three.captured_queries) == len(one.captured_queries)


def test_the_routing_decision_is_folded_below_the_lines(console, started):
    page = order_page(console("Warehouse"), started)

    lines_at, routing_at = page.index("lines-group"), page.index('<details class="module order-routing"')
    assert lines_at < routing_at
    assert "<summary><strong>Routing</strong>" in page and "routing-candidates" in page[routing_at:]
