"""The console: the wave action on fulfillment orders, pick lists in path order and the packing page."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fulfillment.models import FulfillmentOrder, FulfillmentStatus, PackageType, PickList
from fulfillment.services.picking import pick_confirm
from inventory.models import Product

from .fulfillment_support import in_fulfillment, ledger_reconciles, receive  # noqa: F401


@pytest.fixture
def two_pending(warehouse, receive, in_fulfillment):
    receive("MUG", 10, warehouse)
    receive("CUP", 10, warehouse)
    Product.objects.filter(sku="MUG").update(gtin="4006381333931", name="Blue mug")
    return [FulfillmentOrder.objects.get(order=in_fulfillment(lines)) for lines in ([("MUG", 2)], [("CUP", 1), ("MUG", 1)])]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def wave(admin_client, fos):
    return admin_client.post(
        reverse("admin:fulfillment_fulfillmentorder_changelist"),
        {"action": "create_wave_pick_list", "_selected_action": [fo.pk for fo in fos]}, follow=True,
    )


def test_given_pending_orders_when_the_wave_action_runs_then_one_pick_list_holds_them_and_its_page_lists_the_lines(admin_client, two_pending):
    response = wave(admin_client, two_pending)

    pick_list = PickList.objects.get()
    assert any("Pick lists created" in m and pick_list.number in m for m in messages_of(response))
    page = admin_client.get(reverse("admin:fulfillment_picklist_change", args=[pick_list.pk])).content.decode()
    assert page.count("MUG") >= 2 and "CUP" in page
    assert {fo.status for fo in FulfillmentOrder.objects.all()} == {FulfillmentStatus.PICKING}


def test_given_an_order_already_picking_when_the_wave_action_runs_then_the_refusal_is_shown_and_nothing_is_built(admin_client, two_pending):
    wave(admin_client, two_pending[:1])

    response = wave(admin_client, two_pending)

    assert any("is picking, not pending" in m for m in messages_of(response))
    assert PickList.objects.count() == 1


def test_given_a_picked_order_on_the_packing_page_when_items_are_scanned_then_it_shows_what_is_still_expected_and_packs(admin_client, two_pending):
    PackageType.objects.create(code="box-s", name="Small box", inner_length_mm=300, inner_width_mm=200, inner_height_mm=150, max_weight_grams=5000)
    wave(admin_client, two_pending[1:])
    for line in PickList.objects.get().lines.all():
        pick_confirm(pick_list_line_id=line.pk, quantity_picked=line.quantity, actor="picker")
    fo = two_pending[1]
    url = f"{reverse('admin:fulfillment_packing')}?number={fo.number}"

    page = admin_client.get(url).content.decode()
    assert "Blue mug" in page and "Still expected" in page

    wrong = admin_client.post(url, {"number": fo.number, "barcode": "NOPE", "quantity": 1, "_scan": "1"})
    assert "Scanned NOPE, which no product has as GTIN or SKU" in wrong.content.decode()

    admin_client.post(url, {"number": fo.number, "barcode": "4006381333931", "quantity": 1, "_scan": "1"})
    admin_client.post(url, {"number": fo.number, "barcode": "CUP", "quantity": 1, "_scan": "1"})
    closed = admin_client.post(url, {"number": fo.number, "package_type": "box-s", "weight_grams": 700, "_close": "1"}, follow=True)

    assert any("is packed" in m for m in messages_of(closed))
    assert FulfillmentOrder.objects.get(pk=fo.pk).status == FulfillmentStatus.PACKED


def test_given_staff_without_the_picking_permission_when_they_open_the_packing_page_then_it_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="x", is_staff=True)
    client.force_login(user)

    assert client.get(reverse("admin:fulfillment_packing")).status_code == 403
