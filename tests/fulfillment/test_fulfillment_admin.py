"""The operator console's fulfillment orders: list filters, the page, and actions that call services."""

import pytest
from django.contrib.auth import get_user_model

from fulfillment.models import FulfillmentOrder, FulfillmentStatus

from .fulfillment_support import east, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401

CHANGELIST = "/admin/fulfillment/fulfillmentorder/"


@pytest.fixture
def console(client, db):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def test_given_fulfillment_orders_when_the_list_is_filtered_by_held_then_only_held_ones_show(console, receive, warehouse, in_fulfillment):
    from fulfillment.services import fulfillment_order_hold_place

    receive("SKU-A", 5, warehouse)
    held = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)]))
    free = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)]))
    fulfillment_order_hold_place(fulfillment_order_id=held.pk, reason="manual", actor="cs")

    page = console.get(CHANGELIST, {"held": "yes"}).content.decode()

    assert held.number in page and free.number not in page
    assert console.get(f"{CHANGELIST}{held.pk}/change/").status_code == 200


def test_given_a_pending_fulfillment_order_when_moved_through_the_intermediate_form_then_it_moves(console, receive, warehouse, east, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))
    receive("SKU-A", 5, east)

    form = console.post(CHANGELIST, {"action": "move", "_selected_action": [fo.pk]})
    assert form.status_code == 200 and b"Move fulfillment orders" in form.content
    # A browser posts the pressed button's name too, and Django's list ignores an action that comes with "_save".
    assert b'name="_save"' not in form.content and b'class="default" name="apply"' in form.content
    done = console.post(CHANGELIST, {"action": "move", "_selected_action": [fo.pk], "apply": "1", "location": east.pk}, follow=True)

    assert f"Moved to newark: {fo.number}" in done.content.decode()
    assert fresh_fo(fo).location_id == east.pk and stock_at("SKU-A", east) == (5, 2)


def test_given_an_open_order_when_its_fulfillment_order_is_cancelled_in_the_console_then_the_refusal_is_a_message(console, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))

    done = console.post(CHANGELIST, {"action": "cancel", "_selected_action": [fo.pk], "apply": "1", "reason": "customer called"}, follow=True)

    assert done.status_code == 200 and "which is still open" in done.content.decode()
    assert fresh_fo(fo).status == FulfillmentStatus.PENDING


def test_given_held_fulfillment_orders_when_released_in_bulk_then_the_console_asks_why_first_and_records_it(
    console, receive, warehouse, in_fulfillment
):
    from fulfillment.services import fulfillment_order_hold_place

    receive("SKU-A", 5, warehouse)
    held = [FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)])) for _ in range(2)]
    for fo in held:
        fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason="manual", actor="cs")
    selection = {"action": "release_holds", "_selected_action": [fo.pk for fo in held]}

    asked = console.post(CHANGELIST, selection)
    no_reason = console.post(CHANGELIST, {**selection, "apply": "1", "reason": ""})
    still_held = [fresh_fo(fo).holds.filter(released_at__isnull=True).count() for fo in held]
    done = console.post(CHANGELIST, {**selection, "apply": "1", "reason": "address confirmed by phone"}, follow=True)

    assert asked.status_code == 200 and all(fo.number in asked.content.decode() for fo in held)
    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    assert still_held == [1, 1]
    assert "Holds released" in done.content.decode()
    for fo in held:
        hold = fresh_fo(fo).holds.get()
        assert hold.released_at is not None and hold.release_note == "address confirmed by phone"


def test_given_a_fulfillment_order_when_units_are_split_through_the_form_then_a_new_one_is_made(console, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 3)]))
    line = fo.lines.get()

    done = console.post(CHANGELIST, {"action": "split", "_selected_action": [fo.pk], "apply": "1", f"line_{line.pk}": 1, "location": ""}, follow=True)

    assert f"split off {fo.number}" in done.content.decode()
    assert FulfillmentOrder.objects.filter(order=fo.order).count() == 2
