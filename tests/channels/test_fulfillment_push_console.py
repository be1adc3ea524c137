"""What people see and do about the channel pushes: a refusal with the platform's reason on the
order page and in the list, sent again by a role that may; a cancellation made on the platform
after the OMS shipped, held in a work queue until someone decides."""

from datetime import date

from django.urls import reverse

from oms.work_queues import work_queues_for
from orders.models import ChannelFulfillmentSync, Order, OrderEvent, OrderStatus, PlatformCancellation

from ..admin.conftest import console, messages_of  # noqa: F401  (the console(role) fixture)
from .fulfillment_push_support import (  # noqa: F401  (fixtures)
    FIRST_TRACKING, catalogue, connected, ship, shop_order, shop_order_payload, timeline,
)

Sync = ChannelFulfillmentSync
CHANGELIST = "/admin/orders/channelfulfillmentsync/"


def refused_shipment(platform, ship, order) -> Sync:
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_user_errors")
    ship(order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    return Sync.objects.get(order=order)


def test_the_order_page_shows_what_was_passed_on_and_shopify_s_reason_for_a_refusal(console, connected, shop_order, ship, platform):
    refused_shipment(platform, ship, shop_order)

    page = console("Customer service").get(reverse("admin:orders_order_change", args=[shop_order.pk])).content.decode()

    assert "Refused by the platform" in page and "Invalid fulfillment order line item quantity requested." in page
    assert "Send refused ones again" in page


def test_customer_service_sends_a_refused_shipment_again_from_the_list(
    console, connected, shop_order, ship, platform, django_capture_on_commit_callbacks,
):
    sync = refused_shipment(platform, ship, shop_order)
    service = console("Customer service")
    listing = service.get(CHANGELIST).content.decode()
    assert "Invalid fulfillment order line item quantity requested." in listing and "send_again" in listing

    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    with django_capture_on_commit_callbacks(execute=True):
        response = service.post(CHANGELIST, {"action": "send_again", "_selected_action": [sync.pk]}, follow=True)

    assert "1 sent again." in messages_of(response)
    sync.refresh_from_db()
    assert (sync.status, sync.platform_id) == (Sync.Status.SENT, "gid://shopify/Fulfillment/1069019880")
    assert any(note.startswith(f"{sync} sent again by hand") for note in timeline(shop_order))


def test_accounting_sees_the_refusals_but_may_not_send_them_again_and_the_floor_does_not_see_them(
    console, connected, shop_order, ship, platform,
):
    sync = refused_shipment(platform, ship, shop_order)

    accounting = console("Accounting")
    assert "send_again" not in accounting.get(CHANGELIST).content.decode()
    accounting.post(CHANGELIST, {"action": "send_again", "_selected_action": [sync.pk]})
    assert Sync.objects.get(pk=sync.pk).status == Sync.Status.REFUSED
    assert console("Warehouse", username="floor").get(CHANGELIST).status_code == 403


def test_a_cancellation_on_shopify_after_shipping_is_held_for_a_person_not_applied(
    console, connected, shop_order, ship, platform, shopify, django_capture_on_commit_callbacks,
):
    # given the order shipped (and Shopify heard of it)
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    sent = len(platform.requests)

    # when Shopify says it was cancelled, twice
    payload = shop_order_payload(cancelled_at="2026-12-04T08:00:00-05:00", cancel_reason="customer")
    with django_capture_on_commit_callbacks(execute=True):
        shopify(payload, topic="orders/cancelled")
        shopify(payload, topic="orders/cancelled")

    # then the order stays shipped, one item waits in the queue, the timeline says why, and nothing goes back
    order = Order.objects.get(pk=shop_order.pk)
    assert order.status == OrderStatus.SHIPPED
    [held] = PlatformCancellation.objects.filter(order=order)
    assert (held.handled_at, held.order_status, held.reason) == (None, OrderStatus.SHIPPED, "cancelled in Shopify: customer")
    assert any("held for a person to decide" in note for note in timeline(order))
    assert len(platform.requests) == sent
    service = console("Customer service")
    queue = {shown.queue.key: shown for shown in work_queues_for(service.user, date.today())}["platform_cancelled"]
    assert queue.figures.count == 1 and not queue.read_only
    assert service.get("/admin/orders/platformcancellation/?handled_at__isnull=True").context["cl"].result_count == 1

    # when customer service writes what was decided
    response = service.post(
        reverse("admin:orders_platformcancellation_change", args=[held.pk]), {"resolution": "Refunded in Shopify; parcel kept as a gift"},
        follow=True,
    )

    # then it is handled, out of the queue, and in the audit trail with who did it
    assert response.status_code == 200
    held.refresh_from_db()
    assert held.handled_at is not None and held.handled_by == "customer_service"
    assert {shown.queue.key: shown for shown in work_queues_for(service.user, date.today())}["platform_cancelled"].figures.count == 0
    note = OrderEvent.objects.filter(order=order, message__startswith="Cancellation on the platform handled").get()
    assert note.message.endswith("Refunded in Shopify; parcel kept as a gift") and note.actor_label == "customer_service"


def test_deciding_needs_a_resolution_and_a_role_that_may(console, connected, shop_order, ship, platform, shopify):
    platform.play("shopify/order_fulfillment_orders_open", "shopify/fulfillment_create_ok")
    ship(shop_order, {"SHIRT-M": 3, "CAP-1": 1}, FIRST_TRACKING)
    shopify(shop_order_payload(cancelled_at="2026-12-04T08:00:00-05:00"), topic="orders/cancelled")
    held = PlatformCancellation.objects.get(order=shop_order)
    page = reverse("admin:orders_platformcancellation_change", args=[held.pk])

    blank = console("Customer service").post(page, {"resolution": ""})
    assert blank.status_code == 200 and "This field is required." in blank.content.decode()
    console("Accounting", username="books").post(page, {"resolution": "done"})

    assert PlatformCancellation.objects.get(pk=held.pk).handled_at is None

