"""The pick list page as a working screen: the current task big, confirmed by scanning its bin and
item; short picks with a reason; then the way to packing. Only the floor may scan."""

from django.urls import reverse

from fulfillment.models import FulfillmentHold, PickListLine, PickListStatus
from orders.models import OrderEvent

from .conftest import messages_of
from .floor_support import fresh_fo, in_fulfillment, pick_page, picking, pending, receive, shelves  # noqa: F401


def scan(client, pick_list, line, **fields):
    return client.post(reverse("admin:fulfillment_picklist_scan", args=[pick_list.pk]), {"line": line.pk, **fields}, follow=True)


def tasks(pick_list) -> list[PickListLine]:
    return list(pick_list.lines.select_related("bin", "product").order_by("sequence"))


def test_given_a_pick_list_when_the_picker_scans_bin_then_item_then_each_task_is_confirmed_and_packing_is_offered(console, picking):
    fo, pick_list = picking()
    warehouse = console("Warehouse")
    first, second = tasks(pick_list)

    page = warehouse.get(pick_page(pick_list)).content.decode()
    assert "Task 1" in page and "A-01-1-02" in page and "2 × MUG" in page and 'name="bin_code"' in page
    assert 'id="id_bin_code" value="" autocomplete="off" autocapitalize="characters"\n             autofocus' in page

    # The bin alone (a scanner's Enter without script): checked, kept, and the item is asked for.
    at_bin = scan(warehouse, pick_list, first, bin_code="a-01-1-02", barcode="", quantity=2)
    assert "✓ right bin" in at_bin.content.decode() and not PickListLine.objects.get(pk=first.pk).is_confirmed

    scan(warehouse, pick_list, first, bin_code="A-01-1-02", barcode="4006381333931", quantity=2)
    after_first = warehouse.get(pick_page(pick_list)).content.decode()
    assert PickListLine.objects.get(pk=first.pk).quantity_picked == 2
    assert "Task 2" in after_first and "A-02-1-05" in after_first and "1 of 2 tasks confirmed" in after_first

    done = scan(warehouse, pick_list, second, bin_code="A-02-1-05", barcode="CUP", quantity=1)

    page = done.content.decode()
    assert "All tasks confirmed" in page and f"Pack {fo.number}" in page
    assert f"{reverse('admin:fulfillment_packing')}?number={fo.number}" in page
    assert pick_list.__class__.objects.get(pk=pick_list.pk).status == PickListStatus.DONE


def test_given_the_wrong_bin_or_item_when_scanned_then_it_is_refused_saying_what_was_expected(console, picking):
    fo, pick_list = picking()
    warehouse = console("Warehouse")
    first = tasks(pick_list)[0]

    wrong_bin = scan(warehouse, pick_list, first, bin_code="A-02-1-05", barcode="MUG", quantity=2)
    wrong_item = scan(warehouse, pick_list, first, bin_code="A-01-1-02", barcode="CUP", quantity=2)
    too_few = scan(warehouse, pick_list, first, bin_code="A-01-1-02", barcode="MUG", quantity=1)

    assert any("Scanned bin A-02-1-05, but task 1 of" in m and "is at bin A-01-1-02" in m for m in messages_of(wrong_bin))
    assert any("Scanned CUP (CUP · Blue cup), but task 1" in m and "MUG · Blue mug (GTIN 4006381333931)" in m for m in messages_of(wrong_item))
    assert "✓ right bin" in wrong_item.content.decode()  # the bin stays scanned: only the item is scanned again
    assert any("asks for 2 × MUG; 1 were counted" in m and "short pick" in m for m in messages_of(too_few))
    assert not PickListLine.objects.get(pk=first.pk).is_confirmed


def test_given_a_short_pick_with_a_reason_then_the_line_the_hold_and_the_audit_trail_say_why(console, picking):
    fo, pick_list = picking()
    warehouse = console("Warehouse")
    first = tasks(pick_list)[0]

    done = warehouse.post(
        reverse("admin:fulfillment_picklist_short", args=[pick_list.pk]),
        {"line": first.pk, "quantity_found": 1, "short_reason": "damaged", "short_note": "box crushed"}, follow=True,
    )

    line = PickListLine.objects.get(pk=first.pk)
    assert line.short and line.quantity_picked == 1 and (line.short_reason, line.short_note) == ("damaged", "box crushed")
    assert any("Short pick recorded: 1 of 2 × MUG" in m for m in messages_of(done))
    hold = FulfillmentHold.objects.get(fulfillment_order=fo, reason="short_pick")
    assert "1 × MUG missing in bin A-01-1-02 (damaged: box crushed)" in hold.detail
    assert OrderEvent.objects.filter(order=fo.order, message__contains="(damaged: box crushed)").exists()
    assert "damaged: box crushed" in done.content.decode()  # the lines table shows why
    assert "Task 2" in done.content.decode()


def test_given_a_short_pick_for_another_reason_without_a_note_then_nothing_is_recorded(console, picking):
    fo, pick_list = picking()
    first = tasks(pick_list)[0]

    done = console("Warehouse").post(
        reverse("admin:fulfillment_picklist_short", args=[pick_list.pk]),
        {"line": first.pk, "quantity_found": 0, "short_reason": "other", "short_note": ""}, follow=True,
    )

    assert any("not recorded" in m and "Say what happened" in m for m in messages_of(done))
    assert not PickListLine.objects.get(pk=first.pk).is_confirmed and not fresh_fo(fo).is_held


def test_given_accounting_or_customer_service_then_the_task_shows_without_the_scan_form_and_a_scan_is_refused(console, picking):
    fo, pick_list = picking()
    first = tasks(pick_list)[0]

    for role in ("Accounting", "Customer service"):
        client = console(role, username=role.replace(" ", "").lower())
        page = client.get(pick_page(pick_list))
        refused = client.post(reverse("admin:fulfillment_picklist_scan", args=[pick_list.pk]), {"line": first.pk, "bin_code": "A-01-1-02", "barcode": "MUG", "quantity": 2})
        short = client.post(reverse("admin:fulfillment_picklist_short", args=[pick_list.pk]), {"line": first.pk, "quantity_found": 0, "short_reason": "not_found"})

        if page.status_code == 200:  # accounting may not see pick lists at all
            assert "Task 1" in page.content.decode() and 'name="bin_code"' not in page.content.decode()
        assert refused.status_code == short.status_code == 403
        assert "fulfillment.confirm_picklist" in refused.content.decode()
    assert not PickListLine.objects.filter(confirmed_at__isnull=False).exists()


def test_given_picks_not_confirmed_when_the_packer_scans_then_it_says_so_and_links_the_pick_list(console, picking):
    fo, pick_list = picking()
    url = f"{reverse('admin:fulfillment_packing')}?number={fo.number}"
    warehouse = console("Warehouse")

    page = warehouse.get(url).content.decode()
    scanned = warehouse.post(url, {"number": fo.number, "barcode": "MUG", "quantity": 1, "_scan": "1"}).content.decode()

    assert "Its picks are not confirmed yet" in page and pick_page(pick_list) in page
    assert f"are not confirmed yet (pick list {pick_list.number})" in scanned
    assert "everything picked is packed already" not in scanned.lower()
