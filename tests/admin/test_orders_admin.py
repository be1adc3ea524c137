from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import HoldReason, Order, OrderEvent, OrderStatus
from orders.services import order_deliver, order_hold_place, order_ship

from ..factories import ChannelFactory, LocationFactory, address, place_order
from .conftest import fresh, messages_of

CHANGELIST = reverse("admin:orders_order_changelist")


def order_page(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def action_url(order, name):
    return reverse("admin:orders_order_action", args=[order.pk, name])


# --- the order list -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Warehouse", "Customer service", "Accounting", "Operations manager"])
def test_given_orders_when_any_role_opens_the_order_list_then_it_shows_them_with_status_total_and_holds(console, stocked, role):
    stocked("SKU-A", 5)
    allocated = place_order([("SKU-A", 2, "12.50")], email="alice@example.com")
    held = place_order([("SKU-A", 1)], payment_status="pending")

    response = console(role).get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert allocated.number in page and held.number in page
    assert "Allocated" in page and "On hold" in page
    assert "25.00 USD" in page
    assert "Payment not authorised" in page
    # The warehouse sees the customer masked (the order is in no fulfillment yet).
    assert ("a•••@example.com" in page and "alice@example.com" not in page) if role == "Warehouse" else "alice@example.com" in page


def numbers_listed(response) -> set[str]:
    return {order.number for order in response.context["cl"].result_list}


def test_given_orders_when_filtering_and_searching_the_list_then_only_matching_orders_show(console, stocked):
    east = LocationFactory(code="east", name="East DC", city="Boston", latitude=42.36, longitude=-71.06)
    stocked("SKU-A", 5)
    stocked("SKU-B", 5, location=east)
    ChannelFactory(code="pos", name="Store", kind="pos")
    at_chicago = place_order([("SKU-A", 1)], email="carol@example.com")
    at_east = place_order([("SKU-B", 1)], channel="pos", external_id="POS-77")
    held = place_order([("SKU-A", 1)], payment_status="pending")
    address_held = place_order([("SKU-A", 1)], shipping_address=address(postal_code=""))
    client = console("Customer service")

    assert numbers_listed(client.get(CHANGELIST, {"status__exact": "on_hold"})) == {held.number, address_held.number}
    assert numbers_listed(client.get(CHANGELIST, {"channel__id__exact": at_east.channel_id})) == {at_east.number}
    assert numbers_listed(client.get(CHANGELIST, {"hold_reason": "address"})) == {address_held.number}
    assert numbers_listed(client.get(CHANGELIST, {"location": str(east.pk)})) == {at_east.number}
    assert numbers_listed(client.get(CHANGELIST, {"q": "SKU-B"})) == {at_east.number}
    assert numbers_listed(client.get(CHANGELIST, {"q": "carol@"})) == {at_chicago.number}
    assert numbers_listed(client.get(CHANGELIST, {"q": "POS-77"})) == {at_east.number}
    assert numbers_listed(client.get(CHANGELIST, {"q": held.number})) == {held.number}
    now = timezone.now()
    in_range = {"created_at__gte": (now - timedelta(hours=1)).isoformat(), "created_at__lt": (now + timedelta(hours=1)).isoformat()}
    assert len(numbers_listed(client.get(CHANGELIST, in_range))) == 4
    assert numbers_listed(client.get(CHANGELIST, {"created_at__gte": (now + timedelta(days=1)).isoformat()})) == set()


def test_the_order_list_costs_the_same_number_of_queries_for_few_or_many_orders(console, stocked):
    stocked("SKU-A", 100)
    client = console("Customer service")
    place_order([("SKU-A", 1)], payment_status="pending", email="a@example.com")
    place_order([("SKU-A", 1)], email="b@example.com")
    client.get(CHANGELIST)  # warm caches (content types, session) out of the count

    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    for index in range(8):
        place_order([("SKU-A", 1)], payment_status="pending" if index % 2 else "paid", email=f"c{index}@example.com")
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- the order page ---------------------------------------------------------------------------


def test_given_an_allocated_order_when_customer_service_opens_it_then_lines_reservations_timeline_and_buttons_show(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = console("Customer service").get(order_page(order))

    assert response.status_code == 200
    page = response.content.decode()
    assert "SKU-A" in page and "40.00 USD" in page
    assert "Reservations" in page and "chicago · Chicago DC" in page
    assert "Received from Web shop" in page  # the timeline
    assert action_url(order, "cancel") in page
    assert action_url(order, "hold") in page
    assert action_url(order, "start_fulfillment") not in page  # customer service does not move stock
    assert 'name="status"' not in page  # the protected status is never a form field


def test_the_order_form_cannot_be_saved_even_by_an_operations_manager(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = console("Operations manager").post(order_page(order), {"status": "completed", "_save": "Save"})

    assert response.status_code == 403
    assert fresh(order).status == OrderStatus.ALLOCATED


def test_the_timeline_lists_events_oldest_first_with_who_did_it(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], actor="api:shop")
    client = console("Customer service")
    client.post(action_url(order, "note"), {"note_text": "Customer called about gift wrap"})

    page = client.get(order_page(order)).content.decode()

    assert page.index("Received from Web shop") < page.index("Customer called about gift wrap")
    assert "api:shop" in page and "customer_service" in page


# --- roles -----------------------------------------------------------------------------------


def test_given_a_warehouse_user_then_there_is_no_cancel_button_and_posting_cancel_is_forbidden(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Warehouse")

    page = client.get(order_page(order)).content.decode()
    response = client.post(action_url(order, "cancel"))

    assert action_url(order, "cancel") not in page
    assert action_url(order, "start_fulfillment") in page
    assert response.status_code == 403
    assert fresh(order).status == OrderStatus.ALLOCATED


def test_given_customer_service_when_cancelling_then_the_order_is_cancelled_and_its_stock_released(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Customer service")

    response = client.post(action_url(order, "cancel"), {"cancel_reason": "customer changed their mind"})

    assert response.status_code == 302 and response["Location"] == order_page(order)
    assert fresh(order).status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0
    assert f"{order.number}: Cancelled. Status: Cancelled." in messages_of(response)
    event = OrderEvent.objects.filter(order=order, to_status=OrderStatus.CANCELLED).get()
    assert event.actor == client.user and "customer changed their mind" in event.message


def test_accounting_sees_orders_but_no_buttons(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    page = console("Accounting").get(order_page(order)).content.decode()

    assert order.number in page
    assert "/action/" not in page


# --- lifecycle buttons -----------------------------------------------------------------------


def test_each_lifecycle_button_moves_the_order_one_step_through_the_service(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Warehouse")

    assert action_url(order, "start_fulfillment") in client.get(order_page(order)).content.decode()
    response = client.post(action_url(order, "start_fulfillment"))

    assert response.status_code == 302
    assert fresh(order).status == OrderStatus.IN_FULFILLMENT
    assert any("Status: In fulfillment" in m for m in messages_of(response))
    # Shipping is the fulfillment orders' (one per location); the order follows them.
    page = client.get(order_page(order)).content.decode()
    assert action_url(order, "ship") not in page and action_url(order, "deliver") not in page
    order_ship(order_id=order.pk, actor="test")
    order_deliver(order_id=order.pk, actor="test")

    response = client.post(action_url(order, "complete"))

    assert fresh(order).status == OrderStatus.COMPLETED
    level = StockLevel.objects.get(product__sku="SKU-A")
    assert (level.on_hand, level.reserved) == (3, 0)
    assert list(OrderEvent.objects.filter(order=order, kind="status").exclude(actor=None).values_list("to_status", flat=True)) == [
        "in_fulfillment", "completed",
    ]


def test_given_an_order_that_cannot_take_a_step_when_it_is_posted_anyway_then_the_domain_error_shows_not_a_500(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Operations manager")

    response = client.post(action_url(order, "complete"), follow=True)

    assert response.status_code == 200
    assert fresh(order).status == OrderStatus.ALLOCATED
    assert "is allocated; it cannot be completed" in response.content.decode()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_a_button_the_state_machine_does_not_allow_is_not_shown(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    page = console("Operations manager").get(order_page(order)).content.decode()

    assert action_url(order, "start_fulfillment") in page
    for closed in ("deliver", "complete", "ship", "release_holds", "allocate"):
        assert action_url(order, closed) not in page


def test_placing_and_releasing_a_hold_from_the_order_page(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Customer service")

    response = client.post(action_url(order, "hold"), {"hold_reason": "fraud_risk", "hold_detail": "billing and shipping far apart"})
    assert fresh(order).status == OrderStatus.ON_HOLD
    hold = order.holds.get(released_at=None)
    page = client.get(order_page(order)).content.decode()
    release_url = reverse("admin:orders_order_hold_release", args=[order.pk, hold.pk])
    assert "billing and shipping far apart" in page and release_url in page

    response = client.post(release_url)

    assert response.status_code == 302
    assert fresh(order).status == OrderStatus.ALLOCATED
    assert order.holds.get().released_by == client.user
    assert "Fraud risk hold released" in " ".join(messages_of(response))


def test_a_hold_with_an_unknown_reason_is_refused_with_a_message(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = console("Customer service").post(action_url(order, "hold"), {"hold_reason": "bored"})

    assert fresh(order).status == OrderStatus.ALLOCATED
    assert any("'bored' is not a hold reason" in m for m in messages_of(response))


def test_releasing_a_stock_hold_whose_cause_persists_shows_why(console, stocked, web_channel):
    order = place_order([("SKU-NEW", 1)])
    hold = order.holds.get()
    assert hold.reason == HoldReason.STOCK

    response = console("Customer service").post(reverse("admin:orders_order_hold_release", args=[order.pk, hold.pk]), follow=True)

    assert response.status_code == 200
    assert "SKU-NEW is still unknown" in response.content.decode()
    assert fresh(order).status == OrderStatus.ON_HOLD


def test_retry_allocation_serves_a_backordered_order_once_stock_arrived(console, stocked):
    stocked("SKU-A", 0)
    order = place_order([("SKU-A", 2)])
    assert order.status == OrderStatus.BACKORDERED
    stock_receive(sku="SKU-A", location="chicago", quantity=5, actor="test")
    client = console("Warehouse")
    assert action_url(order, "allocate") in client.get(order_page(order)).content.decode()

    response = client.post(action_url(order, "allocate"))

    assert fresh(order).status == OrderStatus.ALLOCATED
    assert "Status: Allocated" in " ".join(messages_of(response))


def test_a_payment_authorisation_clears_the_payment_hold(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")

    console("Customer service").post(action_url(order, "payment"), {"payment_status": "authorized"})

    stored = fresh(order)
    assert (stored.payment_status, stored.status) == ("authorized", OrderStatus.ALLOCATED)


def test_an_empty_note_is_refused_with_a_message(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    notes_before = OrderEvent.objects.filter(kind="note").count()

    response = console("Customer service").post(action_url(order, "note"), {"note_text": "  "})

    assert OrderEvent.objects.filter(kind="note").count() == notes_before
    assert any("A note needs some text" in m for m in messages_of(response))


def test_release_all_holds_button(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")
    order_hold_place(order_id=order.pk, reason="manual", detail="check", actor="test")
    client = console("Customer service")
    assert action_url(order, "release_holds") in client.get(order_page(order)).content.decode()

    client.post(action_url(order, "release_holds"))

    assert fresh(order).status == OrderStatus.ALLOCATED
    assert not order.holds.filter(released_at=None).exists()


def test_unknown_action_is_404_and_get_is_not_allowed(console, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Operations manager")

    assert client.post(action_url(order, "teleport")).status_code == 404
    assert client.get(action_url(order, "cancel")).status_code == 405
    assert fresh(order).status == OrderStatus.ALLOCATED
    assert Order.objects.count() == 1
