"""The shipment pages of the console: list, timeline, the void action, the exceptions queue, roles."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from shipping.models import Carrier, ShipmentStatus
from shipping.services import shipments_flag_late

from .test_shipments import MONDAY, book, carriers, fresh, scan  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def login(client, role: str | None = None):
    User = get_user_model()
    if role is None:
        user = User.objects.create_superuser("root", "root@example.com", "x")
    else:
        user = User.objects.create_user(role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_list_and_the_page_with_its_timeline_newest_first(client):
    shipment = book()
    scan(shipment, "accepted", MONDAY + 2 * HOUR)
    scan(shipment, "out_for_delivery", MONDAY + 50 * HOUR)
    login(client)

    listing = client.get(reverse("admin:shipping_shipment_changelist"), {"q": shipment.tracking_number}).content.decode()
    page = client.get(reverse("admin:shipping_shipment_change", args=[shipment.pk])).content.decode()

    assert shipment.tracking_number in listing and "SO-0000042-1" in listing
    assert "Tracking timeline (newest first)" in page
    assert page.index("Out for delivery") < page.index("Accepted by the carrier")
    assert "Ada Lovelace" in page and "12.86 USD" in page and "Download label PDF" in page


def test_void_action_voids_what_it_may_and_says_why_not_for_the_rest(client):
    unscanned, scanned = book(), book()
    scan(scanned, "in_transit", MONDAY + 3 * HOUR)
    login(client, "Warehouse")

    response = client.post(reverse("admin:shipping_shipment_changelist"), {"action": "void", "_selected_action": [unscanned.pk, scanned.pk]}, follow=True)

    notes = messages_of(response)
    assert fresh(unscanned).status == ShipmentStatus.VOIDED and fresh(scanned).status == ShipmentStatus.IN_TRANSIT
    assert f"Voided: {unscanned.tracking_number}." in notes
    assert any(note.startswith(f"{scanned.tracking_number}: ") and "can no longer be voided" in note for note in notes)


def test_customer_service_sees_shipments_and_timelines_but_cannot_void(client):
    shipment = book()
    login(client, "Customer service")

    listing = client.get(reverse("admin:shipping_shipment_changelist"))
    page = client.get(reverse("admin:shipping_shipment_change", args=[shipment.pk]))
    client.post(reverse("admin:shipping_shipment_changelist"), {"action": "void", "_selected_action": [shipment.pk]})

    assert listing.status_code == 200 and page.status_code == 200
    assert 'value="void"' not in listing.content.decode()
    assert fresh(shipment).status == ShipmentStatus.LABEL_CREATED


def test_the_exceptions_queue_holds_exceptions_returns_and_late_ones_only(client, settings):
    settings.OMS_SHIPPING_NO_SCAN_DAYS = 30
    fine, troubled, late = book(reference="fine"), book(reference="troubled"), book(reference="late")
    scan(fine, "in_transit", MONDAY + 3 * HOUR)
    scan(troubled, "in_transit", MONDAY + 3 * HOUR)
    scan(troubled, "exception", MONDAY + 30 * HOUR)
    shipments_flag_late(now=MONDAY + datetime.timedelta(days=6), actor="test")  # all three are past Friday's promise
    scan(fine, "delivered", MONDAY + datetime.timedelta(days=6, hours=1))
    login(client, "Customer service")

    queue = client.get(reverse("admin:shipping_shipmentexceptionqueue_changelist")).content.decode()

    assert troubled.tracking_number in queue and late.tracking_number in queue
    assert fine.tracking_number not in queue  # late, but delivered since
    assert "not delivered by the promised" in queue
    assert 'column-direction' in queue and 'direction__exact=return' in queue  # outbound or return, filterable


def test_the_carrier_page_sets_a_tracking_secret_without_showing_it_again(client):
    login(client)
    carrier = Carrier.objects.get(code="oms-post")
    url = reverse("admin:shipping_carrier_change", args=[carrier.pk])
    page = client.get(url).content.decode()
    assert "Not set: tracking events are refused." in page and "/api/v1/carriers/oms-post/tracking/" in page

    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data["holidays"] = '["2026-12-25"]'
    for prefix in ("services", "zones", "surcharges"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    data["new_tracking_secret"] = "trk_new_secret_9876"
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Carrier.objects.get(pk=carrier.pk).tracking_secret == "trk_new_secret_9876"
    page = client.get(url).content.decode()
    assert "••••••••9876" in page and "trk_new_secret_9876" not in page
