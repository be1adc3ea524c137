"""A parcel's tracking page, opened from a message's link without signing in: what the parcel is
doing and has done, what is in it, the order's other parcels, and nothing personal."""

import pytest
from django.core import signing
from django.test import override_settings
from django.urls import reverse

from fulfillment.models import FulfillmentOrder
from portal.links import PREFERENCES_PATH, TRACKING_PATH, preferences_token, tracking_token, tracking_url

from .portal_client import tracked_shipment_ids

pytestmark = pytest.mark.django_db


def test_the_tracking_and_preferences_paths_of_the_links_are_the_portals_pages():
    assert TRACKING_PATH.format(token="abc") == reverse("portal:tracking", args=["abc"])
    assert PREFERENCES_PATH.format(token="abc") == reverse("portal:preferences", args=["abc"])


def test_the_link_in_a_message_opens_the_parcels_page_without_signing_in(client, shipped):
    order, shipment = shipped("ada@example.com", (("SKU-A", 2), ("SKU-B", 1)))

    answer = client.get(tracking_url(shipment.pk).removeprefix("http://localhost:8000"))

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "On its way" in page and "In transit" in page and "Boston MA" in page and "Departed sorting centre" in page
    assert "Estimated delivery" in page and shipment.carrier.name in page and shipment.tracking_number in page
    assert "2 × Product SKU-A" in page and "1 × Product SKU-B" in page
    assert "Web shop" in page and order.number in page
    assert "Boston, US" in page


def test_the_tracking_page_shows_no_personal_data_beyond_city_and_country(client, shipped):
    order, shipment = shipped("ada@example.com", phone="+14155550123")

    page = client.get(TRACKING_PATH.format(token=tracking_token(shipment.pk))).content.decode()

    for personal in ("ada@example.com", "Ada", "Lovelace", "12 Main Street", "02108", "4155550123"):
        assert personal not in page


def test_the_tracking_page_links_the_orders_other_parcels_to_their_own_pages(client, shipped, newark):
    order, shipment = shipped("ada@example.com", (("SKU-A", 1), ("SKU-N", 1)), stock_at={"SKU-N": newark.code})
    others = list(FulfillmentOrder.objects.filter(order=order).exclude(shipment=shipment).select_related("shipment"))

    page = client.get(TRACKING_PATH.format(token=tracking_token(shipment.pk))).content.decode()

    assert len(others) == 1
    assert others[0].shipment.tracking_number in page
    assert others[0].shipment_id in tracked_shipment_ids(page)
    assert "Product SKU-N" not in page.split("other parcels")[0]  # its items are on its own page


# Made when the test runs (a signed token carries its time): the ids stay the same on every worker.
FORGED = {
    "not-a-token": lambda: "not-a-token",
    "tampered": lambda: signing.dumps(1, salt="portal.tracking")[:-2] + "xx",
    "preferences-token": lambda: preferences_token(1),
}


@pytest.mark.parametrize("forged", list(FORGED))
def test_a_forged_or_other_purposes_token_gets_a_plain_404(client, shipped, forged):
    shipped("ada@example.com")
    token = FORGED[forged]()

    answer = client.get(f"/portal/track/{token}/")

    assert answer.status_code == 404
    assert "Not found" in answer.content.decode() and "Departed" not in answer.content.decode()


def test_a_token_for_another_shipment_or_none_shows_only_that_or_nothing(client, shipped):
    _, mine = shipped("ada@example.com")
    _, theirs = shipped("grace@example.com")

    assert theirs.tracking_number not in client.get(TRACKING_PATH.format(token=tracking_token(mine.pk))).content.decode()
    assert client.get(TRACKING_PATH.format(token=tracking_token(theirs.pk + 1000))).status_code == 404


def test_an_expired_tracking_link_gets_a_404(client, shipped):
    _, shipment = shipped("ada@example.com")
    token = tracking_token(shipment.pk)

    with override_settings(OMS_TRACKING_LINK_DAYS=-1):
        assert client.get(TRACKING_PATH.format(token=token)).status_code == 404


def test_the_tracking_page_asks_the_same_queries_whatever_the_parcel_holds_or_the_carrier_reported(client, shipped):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shipping.services import tracking_events_record

    _, small = shipped("ada@example.com")
    _, large = shipped("grace@example.com", [(f"SKU-L{n}", 1) for n in range(8)])
    tracking_events_record(carrier_code=large.carrier.code, actor="test", events=[
        {"event_id": f"more-{n}", "tracking_number": large.tracking_number, "code": "arrived_at_facility", "location": f"Depot {n}",
         "occurred_at": timezone.now().isoformat()}
        for n in range(6)
    ])
    counts = []
    for shipment in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TRACKING_PATH.format(token=tracking_token(shipment.pk))).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
