from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel, StockMovement, Transfer
from inventory.services import stock_quarantine, stock_transfer_create

from ..factories import LocationFactory, ProductFactory, place_order
from .conftest import messages_of

STOCK = reverse("admin:inventory_stocklevel_changelist")
RECEIVE = reverse("admin:inventory_stocklevel_receive")
ADJUST = reverse("admin:inventory_stocklevel_adjust")
LEDGER = reverse("admin:inventory_stockmovement_changelist")


def level(sku: str, location: str = "chicago") -> StockLevel:
    return StockLevel.objects.get(product__sku=sku, location__code=location)


def test_the_stock_list_shows_typed_quantities_and_filters_by_location_and_sku(console, stocked):
    east = LocationFactory(code="east", name="East DC")
    stocked("SKU-A", 10)
    stocked("SKU-B", 4, location=east)
    place_order([("SKU-A", 3)])
    client = console("Warehouse")

    page = client.get(STOCK)
    by_sku = client.get(STOCK, {"q": "SKU-A"})
    at_east = client.get(STOCK, {"location__id__exact": east.pk})

    assert page.status_code == 200
    row = next(r for r in page.context["cl"].result_list if r.product.sku == "SKU-A")
    assert (row.on_hand, row.reserved, row.available) == (10, 3, 7)
    assert [r.product.sku for r in by_sku.context["cl"].result_list] == ["SKU-A"]
    assert [r.product.sku for r in at_east.context["cl"].result_list] == ["SKU-B"]
    assert RECEIVE in page.content.decode()
    assert ADJUST not in page.content.decode()  # warehouse books receipts, a manager adjusts


def test_stock_counters_cannot_be_edited_in_the_admin(console, stocked):
    stocked("SKU-A", 10)
    client = console("Operations manager")
    change = reverse("admin:inventory_stocklevel_change", args=[level("SKU-A").pk])

    response = client.post(change, {"on_hand": "500", "reserved": "0"})

    assert response.status_code == 403
    assert level("SKU-A").on_hand == 10
    assert 'name="on_hand"' not in client.get(change).content.decode()


def test_a_receipt_through_the_form_raises_on_hand_with_a_ledger_row(console, stocked):
    stocked("SKU-A", 10)
    client = console("Warehouse")
    assert client.get(RECEIVE, {"sku": "SKU-A", "location": "chicago"}).status_code == 200

    response = client.post(RECEIVE, {"sku": "SKU-A", "location": "chicago", "quantity": "6", "reference": "PO-991"})

    assert response.status_code == 302
    assert level("SKU-A").on_hand == 16
    movement = StockMovement.objects.get(reference="PO-991")
    assert (movement.kind, movement.on_hand_delta, movement.actor) == ("receipt", 6, client.user)
    assert "Received 6 × SKU-A at chicago." in messages_of(response)


def test_a_receipt_for_an_unknown_sku_or_of_no_units_shows_a_form_error_and_books_nothing(console, stocked):
    stocked("SKU-A", 10)
    client = console("Warehouse")
    before = StockMovement.objects.count()

    unknown = client.post(RECEIVE, {"sku": "SKU-NOPE", "location": "chicago", "quantity": "6"})
    nothing = client.post(RECEIVE, {"sku": "SKU-A", "location": "chicago", "quantity": "0"})

    assert unknown.status_code == 200 and unknown.context["form"].errors["sku"] == ["Unknown SKU 'SKU-NOPE'."]
    assert nothing.status_code == 200 and nothing.context["form"].errors["quantity"] == ["Must be a whole number above zero."]
    assert StockMovement.objects.count() == before
    assert level("SKU-A").on_hand == 10


def test_an_adjustment_through_the_form_is_booked_on_the_ledger_with_its_reason(console, stocked):
    stocked("SKU-A", 10)
    client = console("Operations manager")

    client.post(ADJUST, {"sku": "SKU-A", "location": "chicago", "quantity": "-2", "kind": "count_correction", "reason": "cycle count"})

    assert level("SKU-A").on_hand == 8
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.on_hand_delta, movement.reason) == ("count_correction", -2, "cycle count")


def test_an_adjustment_below_what_is_reserved_or_without_a_reason_is_refused_on_the_form(console, stocked):
    stocked("SKU-A", 10)
    place_order([("SKU-A", 8)])
    client = console("Operations manager")
    before = StockMovement.objects.count()

    too_far = client.post(ADJUST, {"sku": "SKU-A", "location": "chicago", "quantity": "-5", "kind": "adjustment", "reason": "broken"})
    no_reason = client.post(ADJUST, {"sku": "SKU-A", "location": "chicago", "quantity": "-1", "kind": "adjustment", "reason": ""})

    assert too_far.status_code == 200
    assert "below what is reserved" in " ".join(too_far.context["form"].non_field_errors())
    assert no_reason.context["form"].errors["reason"] == ["A reason is required."]
    assert StockMovement.objects.count() == before
    assert level("SKU-A").on_hand == 10


def test_a_warehouse_user_may_not_adjust_stock(console, stocked):
    stocked("SKU-A", 10)
    client = console("Warehouse")

    assert client.get(ADJUST).status_code == 403
    assert client.post(ADJUST, {"sku": "SKU-A", "location": "chicago", "quantity": "5", "kind": "adjustment", "reason": "x"}).status_code == 403
    assert level("SKU-A").on_hand == 10


def test_the_ledger_is_listed_filtered_and_searched_but_never_changed_or_deleted(console, stocked):
    stocked("SKU-A", 10)
    stocked("SKU-B", 5)
    order = place_order([("SKU-A", 2)])
    client = console("Operations manager")
    movement = StockMovement.objects.filter(kind="receipt", product__sku="SKU-A").get()
    change = reverse("admin:inventory_stockmovement_change", args=[movement.pk])

    listed = client.get(LEDGER)
    reservations = client.get(LEDGER, {"kind__exact": "reservation"})
    by_reference = client.get(LEDGER, {"q": order.number})
    page = client.get(change).content.decode()
    edited = client.post(change, {"on_hand_delta": "1000"})
    deleted = client.post(reverse("admin:inventory_stockmovement_delete", args=[movement.pk]), {"post": "yes"})
    added = client.get(reverse("admin:inventory_stockmovement_add"))

    assert listed.status_code == 200 and len(listed.context["cl"].result_list) == 3
    assert [m.kind for m in reservations.context["cl"].result_list] == ["reservation"]
    assert [m.reference for m in by_reference.context["cl"].result_list] == [order.number]
    assert (edited.status_code, deleted.status_code, added.status_code) == (403, 403, 403)
    assert StockMovement.objects.get(pk=movement.pk).on_hand_delta == 10
    assert 'name="_save"' not in page and "deletelink" not in page
    assert "delete_selected" not in listed.content.decode()


def test_a_transfer_is_drafted_dispatched_and_received_from_the_admin(console, stocked):
    east = LocationFactory(code="east", name="East DC")
    stocked("SKU-A", 10)
    client = console("Warehouse")
    add = reverse("admin:inventory_transfer_add")
    form = {
        "source": "chicago", "destination": "east", "reference": "rebalance",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-0-sku": "SKU-A", "lines-0-quantity": "4",
    }

    response = client.post(add, form)
    transfer = Transfer.objects.get()
    page_url = reverse("admin:inventory_transfer_change", args=[transfer.pk])
    assert response["Location"] == page_url and transfer.status == "draft"
    assert reverse("admin:inventory_transfer_action", args=[transfer.pk, "dispatch"]) in client.get(page_url).content.decode()

    client.post(reverse("admin:inventory_transfer_action", args=[transfer.pk, "dispatch"]))
    assert (level("SKU-A").on_hand, level("SKU-A", "east").incoming) == (6, 4)
    client.post(reverse("admin:inventory_transfer_action", args=[transfer.pk, "receive"]))

    assert Transfer.objects.get().status == "received"
    assert (level("SKU-A", "east").on_hand, level("SKU-A", "east").incoming) == (4, 0)
    assert east.pk == level("SKU-A", "east").location_id


def test_a_refused_transfer_step_shows_the_reason(console, stocked):
    LocationFactory(code="east", name="East DC")
    stocked("SKU-A", 2)
    transfer = stock_transfer_create(source="chicago", destination="east", lines=[("SKU-A", 5)], actor="test")
    client = console("Warehouse")

    response = client.post(reverse("admin:inventory_transfer_action", args=[transfer.pk, "dispatch"]), follow=True)

    assert response.status_code == 200
    assert "SKU-A: only 2 available at chicago, 5 to transfer." in response.content.decode()
    assert Transfer.objects.get().status == "draft" and level("SKU-A").on_hand == 2


def test_transfers_can_be_cancelled_in_bulk_and_an_unknown_sku_is_a_form_error(console, stocked):
    LocationFactory(code="east", name="East DC")
    stocked("SKU-A", 10)
    ProductFactory(sku="SKU-B")
    first = stock_transfer_create(source="chicago", destination="east", lines=[("SKU-A", 1)], actor="test")
    second = stock_transfer_create(source="chicago", destination="east", lines=[("SKU-B", 1)], actor="test")
    client = console("Warehouse")

    client.post(reverse("admin:inventory_transfer_changelist"), {"action": "cancel_transfers", "_selected_action": [first.pk, second.pk]})
    bad = client.post(reverse("admin:inventory_transfer_add"), {
        "source": "chicago", "destination": "east", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "SKU-NOPE", "lines-0-quantity": "1",
    })

    assert set(Transfer.objects.values_list("status", flat=True)) == {"cancelled"}
    assert bad.status_code == 200 and "Lines: Unknown SKU 'SKU-NOPE'." in bad.context["form"].non_field_errors()
    assert Transfer.objects.count() == 2


QUARANTINE = reverse("admin:inventory_stocklevel_quarantine")


def test_a_manager_releases_refurbished_units_from_the_stock_row_form_which_shows_the_quarantined_count(console, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=3, reason="dented", actor="test")
    client = console("Operations manager")
    listed = client.get(STOCK).content.decode()
    assert "release from quarantine…" in listed and "scrap quarantined…" in listed

    form = client.get(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release"})
    response = client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release", "quantity": "2", "reason": "refurbished"})

    assert form.status_code == 200 and form.context["title"] == "Release from quarantine"
    assert "Now 3 of 10 on hand of SKU-A at chicago are quarantined." in form.content.decode()
    assert response.status_code == 302
    assert (level("SKU-A").on_hand, level("SKU-A").damaged) == (10, 1)
    movement = StockMovement.objects.latest("id")
    assert (movement.kind, movement.damaged_delta, movement.reason, movement.actor) == ("quarantine_release", -2, "refurbished", client.user)
    assert "Released from quarantine: 2 × SKU-A at chicago." in messages_of(response)


def test_quarantine_then_scrap_through_the_form(console, stocked):
    stocked("SKU-A", 10)
    client = console("Operations manager")

    client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "quarantine", "quantity": "4", "reason": "water damage"})
    client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "scrap", "quantity": "1", "reason": "beyond repair"})

    assert (level("SKU-A").on_hand, level("SKU-A").damaged) == (9, 3)


def test_releasing_more_than_is_quarantined_or_without_a_reason_is_an_error_on_the_form(console, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=1, reason="dented", actor="test")
    client = console("Operations manager")
    before = StockMovement.objects.count()

    too_many = client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release", "quantity": "4", "reason": "refurbished"})
    no_reason = client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release", "quantity": "1", "reason": ""})

    assert too_many.status_code == 200
    assert too_many.context["form"].errors["quantity"] == ["Only 1 unit(s) are quarantined here."]
    assert "Now 1 of 10 on hand of SKU-A at chicago are quarantined." in too_many.content.decode()
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"] == ["A reason is required."]
    assert StockMovement.objects.count() == before
    assert level("SKU-A").damaged == 1


def test_a_warehouse_user_may_not_release_quarantined_units(console, stocked):
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=2, reason="dented", actor="test")
    client = console("Warehouse")

    listed = client.get(STOCK).content.decode()
    shown = client.get(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release"})
    posted = client.post(QUARANTINE, {"sku": "SKU-A", "location": "chicago", "step": "release", "quantity": "1", "reason": "refurbished"})

    assert QUARANTINE not in listed
    assert (shown.status_code, posted.status_code) == (403, 403)
    assert level("SKU-A").damaged == 2


def test_the_stock_list_with_quarantine_links_keeps_its_query_count(console, stocked):
    client = console("Operations manager")
    stocked("SKU-A", 10)
    stock_quarantine(sku="SKU-A", location="chicago", quantity=1, reason="dented", actor="test")
    client.get(STOCK)

    with CaptureQueriesContext(connection) as few:
        client.get(STOCK)
    for index in range(5):
        stocked(f"SKU-M{index}", 4)
        stock_quarantine(sku=f"SKU-M{index}", location="chicago", quantity=1, reason="dented", actor="test")
    with CaptureQueriesContext(connection) as many:
        client.get(STOCK)

    assert len(many) == len(few)
