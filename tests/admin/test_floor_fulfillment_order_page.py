"""The fulfillment order page carries its own steps: create its pick list, pack, ship, hold and
release, move; each shown to the roles that may take it and refused to the others on POST."""

from django.urls import reverse

from fulfillment.models import FulfillmentHold, FulfillmentStatus, PickList

from .conftest import messages_of
from .floor_support import (  # noqa: F401
    fo_page,
    floor_url,
    fresh_fo,
    in_fulfillment,
    packed,
    pending,
    pick_lists_of,
    picking,
    receive,
    shelves,
)

CHANGELIST = "/admin/fulfillment/fulfillmentorder/"


def test_given_a_pending_order_when_the_warehouse_presses_create_pick_list_then_its_single_pick_list_opens(console, pending):
    fo = pending([("MUG", 2)])
    warehouse = console("Warehouse")

    page = warehouse.get(fo_page(fo)).content.decode()
    assert "Create pick list" in page and "Next: create its pick list" in page

    done = warehouse.post(floor_url(fo, "pick_list"), follow=True)

    (pick_list,) = pick_lists_of(fo)
    assert pick_list.kind == "single" and fresh_fo(fo).status == FulfillmentStatus.PICKING
    assert done.redirect_chain[-1][0] == reverse("admin:fulfillment_picklist_change", args=[pick_list.pk])
    assert any(f"Pick list {pick_list.number} created" in m for m in messages_of(done))
    assert f"Open pick list {pick_list.number}" in warehouse.get(fo_page(fo)).content.decode()


def test_given_accounting_when_it_opens_a_fulfillment_order_then_it_sees_no_step_and_a_post_is_refused_naming_the_permission(console, pending):
    fo = pending([("MUG", 1)])
    accounting = console("Accounting")

    page = accounting.get(fo_page(fo)).content.decode()
    refused = accounting.post(floor_url(fo, "pick_list"))

    assert "/floor/" not in page and "Create pick list" not in page and "Put on hold" not in page
    assert refused.status_code == 403 and "fulfillment.confirm_picklist" in refused.content.decode()
    assert not PickList.objects.exists() and fresh_fo(fo).status == FulfillmentStatus.PENDING


def test_given_customer_service_when_it_opens_a_packed_order_then_it_may_hold_it_but_not_ship_it(console, packed):
    fo = packed()
    service = console("Customer service")

    page = service.get(fo_page(fo)).content.decode()
    refused = service.post(floor_url(fo, "ship"))
    manual = service.post(floor_url(fo, "ship_manual"), {"manual_carrier": "PostNL", "manual_tracking_number": "3SABCD1234567"})

    assert "Put on hold" in page and "Ship: book the carrier" not in page and "Ship with own carrier" not in page
    assert "Packed; waiting for the warehouse to ship it." in page
    assert refused.status_code == manual.status_code == 403
    assert "Can build pick lists, confirm picks, pack and ship" in refused.content.decode()
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED


def test_given_a_hold_without_saying_why_then_it_is_refused_and_with_a_reason_it_holds_and_releases(console, pending):
    fo = pending([("MUG", 1)])
    service = console("Customer service")

    bare = service.post(floor_url(fo, "hold"), {"hold_reason": "address_check", "hold_detail": ""}, follow=True)
    assert any("Say why it is held" in m for m in messages_of(bare)) and not fresh_fo(fo).is_held

    service.post(floor_url(fo, "hold"), {"hold_reason": "address_check", "hold_detail": "Flat number missing"})
    held = service.get(fo_page(fo)).content.decode()
    assert fresh_fo(fo).is_held and "Release holds" in held and "Flat number missing" in held

    unsaid = service.post(floor_url(fo, "release"), {"release_note": ""}, follow=True)
    assert any("Say why the holds can go" in m for m in messages_of(unsaid)) and fresh_fo(fo).is_held

    service.post(floor_url(fo, "release"), {"release_note": "Customer confirmed flat 4"})
    assert not fresh_fo(fo).is_held
    assert FulfillmentHold.objects.get(fulfillment_order=fo).release_note == "Customer confirmed flat 4"


def test_given_an_order_picking_then_its_page_links_the_packing_station_with_its_number(console, picking):
    fo, pick_list = picking()

    page = console("Warehouse").get(fo_page(fo)).content.decode()

    assert f"{reverse('admin:fulfillment_packing')}?number={fo.number}" in page
    assert f"Next: confirm its picks on {pick_list.number}, then pack it." in page


def test_given_a_fresh_order_when_pick_lists_are_printed_then_creating_one_is_offered(console, pending):
    fo = pending([("MUG", 1)])

    done = console("Warehouse").post(CHANGELIST, {"action": "print_pick_lists", "_selected_action": [fo.pk]}, follow=True)

    (message,) = messages_of(done)
    assert "is on an open pick list yet" in message and "Create pick list" in message and fo_page(fo) in message


def test_given_each_role_then_the_list_offers_only_the_actions_it_may_take(console, pending):
    pending([("MUG", 1)])

    def actions(role):
        page = console(role, username=role.replace(" ", "").lower()).get(CHANGELIST).content.decode()
        return {name for name in ("create_wave_pick_list", "print_pick_lists", "ship", "hold") if f'value="{name}"' in page}

    assert actions("Warehouse") == {"create_wave_pick_list", "print_pick_lists", "ship", "hold"}
    assert actions("Customer service") == {"print_pick_lists", "hold"}
    assert actions("Accounting") == set()


def test_given_an_id_that_is_no_number_or_a_step_that_does_not_exist_then_404_not_500(console, pending):
    fo = pending([("MUG", 1)])
    warehouse = console("Warehouse")

    assert warehouse.post("/admin/fulfillment/fulfillmentorder/abc/floor/ship/").status_code == 404
    assert warehouse.get("/admin/fulfillment/fulfillmentorder/abc/label.pdf").status_code == 404
    assert warehouse.post(floor_url(fo, "teleport")).status_code == 404
