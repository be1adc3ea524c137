"""Shipping from the console books the carrier and hands over the label in one step; where no
carrier service takes the lane, a manual shipment with the merchant's own carrier and tracking
number is recorded instead (console and API)."""

from django.urls import reverse

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from orders.models import Order
from shipping.models import Carrier, Shipment
from shipping.selectors import rate_card, rate_card_forget
from shipping.services import shipments_flag_late, shipments_track_poll, tracking_events_record

from ..api.conftest import api, client_for  # noqa: F401
from .conftest import messages_of
from ..fulfillment.fulfillment_support import carriers  # noqa: F401
from .floor_support import fo_page, floor_url, fresh_fo, in_fulfillment, packed, pending, picking, receive, shelves  # noqa: F401


def abroad(fo: FulfillmentOrder) -> FulfillmentOrder:
    """The same fulfillment order going to Toronto, a lane no demo carrier serves."""
    Order.objects.filter(pk=fo.order_id).update(
        shipping_address={"name": "Ada Lovelace", "line1": "1 King St W", "city": "Toronto", "region": "ON", "postal_code": "M5H1A1", "country": "CA"}
    )
    return fo


def test_given_a_packed_order_when_the_warehouse_ships_it_then_the_label_and_packing_slip_are_on_the_next_screen(console, carriers, packed):
    fo = packed()
    warehouse = console("Warehouse")
    assert "Ship: book the carrier and print the label" in warehouse.get(fo_page(fo)).content.decode()

    shipped = warehouse.post(floor_url(fo, "ship"), follow=True)

    stored = fresh_fo(fo)
    label_url = reverse("admin:fulfillment_fulfillmentorder_label", args=[fo.pk])
    page = shipped.content.decode()
    assert stored.status == FulfillmentStatus.SHIPPED and stored.shipment is not None
    assert stored.tracking_number in page and f'<iframe class="floor-label" src="{label_url}"' in page
    assert "Download label" in page and reverse("admin:fulfillment_fulfillmentorder_packing_slip", args=[fo.pk]) in page
    label = warehouse.get(label_url)
    assert label["Content-Type"] == "application/pdf" and label["Content-Disposition"].startswith("inline")
    assert label["X-Frame-Options"] == "SAMEORIGIN" and label.content.startswith(b"%PDF")
    slip = warehouse.get(reverse("admin:fulfillment_fulfillmentorder_packing_slip", args=[fo.pk]))
    assert slip["Content-Type"] == "application/pdf" and slip.content.startswith(b"%PDF")


def test_given_no_carrier_for_the_lane_when_shipped_then_the_refusal_offers_the_own_carrier_and_that_ships_it(console, carriers, packed):
    fo = abroad(packed())
    warehouse = console("Warehouse")

    refused = warehouse.post(floor_url(fo, "ship"), follow=True)
    assert any("no carrier service can take it" in m and "Ship it with your own carrier below" in m for m in messages_of(refused))
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED and not Shipment.objects.exists()

    shipped = warehouse.post(
        floor_url(fo, "ship_manual"),
        {"manual_carrier": "Canada Post", "manual_tracking_number": "ab 1234 5678 ca", "manual_tracking_url": "https://www.canadapost-postescanada.ca/track"},
        follow=True,
    )

    shipment = Shipment.objects.select_related("carrier").get()
    stored = fresh_fo(fo)
    assert stored.status == FulfillmentStatus.SHIPPED and stored.shipment_id == shipment.pk and stored.tracking_number == "AB12345678CA"
    assert shipment.carrier.code == "own-canada-post" and shipment.carrier.adapter == Carrier.Adapter.MANUAL and shipment.is_manual
    assert shipment.reference == fo.number and shipment.tracking_url.startswith("https://www.canadapost")
    page = shipped.content.decode()
    assert "with Canada Post" in page and "AB12345678CA" in page and "booked outside the OMS" in page and "<iframe" not in page
    assert fo.order.events.filter(message__contains="with Canada Post (booked outside the OMS), tracking AB12345678CA").exists()


def test_given_a_manual_shipment_without_a_tracking_number_then_nothing_ships(console, packed):
    fo = packed()

    refused = console("Warehouse").post(floor_url(fo, "ship_manual"), {"manual_carrier": "PostNL", "manual_tracking_number": ""}, follow=True)

    assert any("Give the tracking number PostNL issued" in m for m in messages_of(refused))
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED and not Shipment.objects.exists() and not Carrier.objects.exists()


def test_given_a_tracking_number_already_recorded_then_the_second_manual_shipment_is_refused_and_nothing_ships(console, packed):
    first, second = packed(), packed()
    warehouse = console("Warehouse")
    warehouse.post(floor_url(first, "ship_manual"), {"manual_carrier": "PostNL", "manual_tracking_number": "3SABC123456"})

    refused = warehouse.post(floor_url(second, "ship_manual"), {"manual_carrier": "PostNL", "manual_tracking_number": "3sabc123456"}, follow=True)

    assert any(f"Tracking number 3SABC123456 is already recorded (for {first.number})" in m for m in messages_of(refused))
    assert fresh_fo(second).status == FulfillmentStatus.PACKED and Shipment.objects.count() == 1


def test_given_a_manual_shipment_then_polling_skips_it_silence_is_not_late_and_posted_events_are_taken(console, packed, django_capture_on_commit_callbacks):
    fo = packed()
    console("Warehouse").post(floor_url(fo, "ship_manual"), {"manual_carrier": "PostNL", "manual_tracking_number": "3SABC123456"})
    shipment = Shipment.objects.get()
    Shipment.objects.filter(pk=shipment.pk).update(collection_date=shipment.collection_date.replace(year=shipment.collection_date.year - 1),
                                                  promised_delivery_date=shipment.promised_delivery_date.replace(year=2999))

    assert shipments_track_poll(actor="job")["polled"] == 0
    assert shipments_flag_late(actor="job") == 0
    with django_capture_on_commit_callbacks(execute=True):
        (result,) = tracking_events_record(
            carrier_code="own-postnl", actor="carrier",
            events=[{"event_id": "e1", "tracking_number": "3SABC123456", "code": "delivered", "occurred_at": "2026-03-02T14:05:00+01:00"}],
        )

    assert result.outcome == "recorded" and fresh_fo(fo).status == FulfillmentStatus.DELIVERED


def test_given_the_api_when_a_packed_order_ships_with_a_manual_carrier_then_its_answer_carries_the_tracking(api, packed):
    fo = packed()

    answer = api.post(
        f"/api/v1/fulfillment-orders/{fo.number}/ship/",
        {"manual_carrier": "PostNL", "tracking_number": "3SABC123456", "tracking_url": "https://postnl.nl/t/3SABC123456"}, format="json",
    )
    missing = api.post(f"/api/v1/fulfillment-orders/{packed().number}/ship/", {"manual_carrier": "PostNL"}, format="json")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["carrier"], body["tracking_number"]) == ("shipped", "own-postnl", "3SABC123456")
    assert body["tracking_url"] == "https://postnl.nl/t/3SABC123456"
    assert missing.status_code == 400 and "tracking_number" in missing.json()["error"]["fields"]


def test_given_customer_service_on_the_api_when_it_ships_then_it_is_refused_like_in_the_console(console, packed):
    fo = packed()
    client = console("Customer service")

    answer = client.post(f"/api/v1/fulfillment-orders/{fo.number}/ship/", {"manual_carrier": "PostNL", "tracking_number": "3SABC123456"},
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")

    assert answer.status_code == 403 and "fulfillment.confirm_picklist" in answer.json()["error"]["message"]
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED


def test_given_an_own_carrier_then_rate_shopping_never_quotes_it_and_shipping_still_books_the_integrated_one(console, carriers, packed):
    Carrier.objects.create(code="own-postnl", name="PostNL", adapter=Carrier.Adapter.MANUAL)
    rate_card_forget()
    fo = packed()

    console("Warehouse").post(floor_url(fo, "ship"))

    assert "own-postnl" not in {card.code for card in rate_card().carriers}
    assert fresh_fo(fo).carrier_code == "oms-post"
