"""The returns console: the RMA queue (filters, constant queries, bulk approve), the dock that
receives by scan, the inspection bench, the RMA slip (with its label) and the returns' queues on
the home."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from inventory.models import Location, Product, StockMovement
from returns.models import ReturnPolicy, ReturnRequest, ReturnStatus
from returns.services import ReceivedItem, return_approve, return_label_issue, return_receive, return_request
from returns.work_queues import return_queues_count

from ..admin.conftest import console, messages_of  # noqa: F401 (console: the fixture)
from ..api.conftest import api, client_for  # noqa: F401 (fixtures)
from ..api.support import error_of
from ..shipping.test_shipments import carriers  # noqa: F401 (the autouse fixture: the demo carriers)
from .conftest import fresh, line

pytestmark = pytest.mark.django_db
QUEUE = "admin:returns_returnrequest_changelist"
DOCK = "admin:returns_returnrequest_dock"
MUG_GTIN = "4006381333931"


@pytest.fixture
def requests_by_hand(db):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)


@pytest.fixture
def mugs_and_cups(shipped_order):
    """An order of 3 mugs (GTIN 4006381333931) and 1 cup, shipped and delivered; a return of all of it, approved."""
    order = shipped_order([("MUG", 3), ("CUP", 1)])
    Product.objects.filter(sku="MUG").update(gtin=MUG_GTIN)
    return return_request(order_id=order.pk, lines=[line(1, 3, "damaged"), line(2, 1, "too_small")], actor="portal")


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


# --- the queue ---


def test_the_queue_lists_twenty_returns_in_as_many_queries_as_one(console, shipped_order, requests_by_hand, django_assert_max_num_queries):  # noqa: F811
    # Given one return, the queue's query count; then nineteen more returns on other orders and channels' lines.
    cs = console("Customer service")
    url = reverse(QUEUE)
    first = shipped_order([("SKU-A", 1)])
    return_request(order_id=first.pk, lines=[line()], actor="portal")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert cs.get(url).status_code == 200
    for _ in range(19):
        order = shipped_order([("SKU-A", 1)])
        return_request(order_id=order.pk, lines=[line()], actor="portal")
    # When the queue shows all twenty, Then it costs no more queries than for one.
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = cs.get(url)
    assert response.content.decode().count("RMA-") >= 20


def test_the_queue_filters_by_age_and_location(console, mugs_and_cups):  # noqa: F811
    cs = console("Customer service")
    ReturnRequest.objects.filter(pk=mugs_and_cups.pk).update(created_at=timezone.now() - datetime.timedelta(days=10))
    assert mugs_and_cups.number in cs.get(reverse(QUEUE) + "?older_than=7").content.decode()
    assert mugs_and_cups.number not in cs.get(reverse(QUEUE) + "?older_than=14").content.decode()


def test_bulk_approve_approves_each_requested_return_and_says_why_not_for_the_others(console, shipped_order, requests_by_hand):  # noqa: F811
    # Given two requested returns and one already approved.
    waiting = [return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal") for _ in range(2)]
    decided = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    return_approve(return_id=decided.pk, actor="cs")
    cs = console("Customer service")
    # When customer service approves all three from the queue.
    response = cs.post(reverse(QUEUE), {"action": "approve_returns", "_selected_action": [r.pk for r in [*waiting, decided]]}, follow=True)
    # Then the two requested ones are approved, and the third is named with the reason it was not.
    said = messages_of(response)
    assert f"Approved 2: {waiting[0].number}, {waiting[1].number}." in said
    assert f"{decided.number}: not approved, it is approved (only requested returns are)." in said
    assert {fresh(rma).status for rma in waiting} == {ReturnStatus.APPROVED}


def test_bulk_approve_is_not_open_to_the_warehouse(console, shipped_order, requests_by_hand):  # noqa: F811
    rma = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    dock = console("Warehouse")
    assert "approve_returns" not in dock.get(reverse(QUEUE)).content.decode()
    dock.post(reverse(QUEUE), {"action": "approve_returns", "_selected_action": [rma.pk]})
    assert fresh(rma).status == ReturnStatus.REQUESTED


# --- the dock ---


def dock_post(client, rma, scans="", scan="", **buttons):
    return client.post(reverse(DOCK), {"location": "chicago", "rma": rma.number, "scans": scans, "scan": scan, **buttons}, follow=True)


def test_the_dock_tallies_scans_by_barcode_and_sku_and_a_partial_parcel_keeps_the_return_open(console, mugs_and_cups):  # noqa: F811
    dock = console("Warehouse")
    # Given the clerk at Chicago scanned the RMA's barcode.
    page = dock.get(reverse(DOCK), {"location": "chicago", "rma": mugs_and_cups.number}).content.decode()
    assert "The items of " + mugs_and_cups.number in page and "<script>" not in page and 'style="' not in page
    # When they scan a mug by its barcode, then "2*MUG"... and a SOCK the return does not name.
    page = dock_post(dock, mugs_and_cups, scan=MUG_GTIN).content.decode()
    assert f'name="scans" value="{MUG_GTIN}"' in page
    page = dock_post(dock, mugs_and_cups, scans=MUG_GTIN, scan="SOCK").content.decode()
    assert "Not on this return" in page
    page = dock_post(dock, mugs_and_cups, scans=f"{MUG_GTIN}\nSOCK", scan="undo-me", undo="1").content.decode()
    assert f'name="scans" value="{MUG_GTIN}"' in page  # the last scan taken back
    # And record the receipt with one mug, the sock, and nothing more ticked.
    response = dock_post(dock, mugs_and_cups, scans=f"{MUG_GTIN}\nSOCK", record="1")
    # Then one mug is received, the sock recorded as unexpected, and the return stays open for the rest.
    said = " ".join(messages_of(response))
    assert "2 unit(s) recorded at chicago" in said and "Not on the return (recorded for a person to decide): SOCK × 1" in said
    assert "Still expected: MUG × 2, CUP × 1" in said and "The return stays open for the rest." in said
    rma = fresh(mugs_and_cups)
    assert rma.status == ReturnStatus.IN_TRANSIT and rma.unexpected_items == [{"sku": "SOCK", "quantity": 1, "note": ""}]
    assert [(x.quantity_received, x.quantity_missing) for x in rma.lines.order_by("id")] == [(1, 0), (0, 0)]

    # When the second parcel brings two mugs ("2*MUG") and the clerk says nothing more will come.
    response = dock_post(dock, mugs_and_cups, scans="2*MUG", record="1", complete="on")
    # Then the return is received with the cup recorded as missing, and the dock offers its inspection.
    said = " ".join(messages_of(response))
    assert "Recorded as missing: CUP × 1." in said and "Status: Received." in said
    assert [(x.quantity_received, x.quantity_missing) for x in fresh(mugs_and_cups).lines.order_by("id")] == [(3, 0), (0, 1)]
    assert f"Inspect {mugs_and_cups.number}" in response.content.decode()


def test_the_dock_says_what_is_wrong_and_records_nothing(console, shipped_order, requests_by_hand):  # noqa: F811
    rma = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    dock = console("Warehouse")
    unknown = dock.get(reverse(DOCK), {"location": "chicago", "rma": "RMA-999999"}).content.decode()
    assert "No return has the number &#x27;RMA-999999&#x27;" in unknown
    page = dock_post(dock, rma, scans="SKU-A", record="1").content.decode()
    assert "is requested, not approved: customer service decides on it before it can be received." in page
    return_approve(return_id=rma.pk, actor="cs")
    page = dock_post(dock, rma, scan="0*SKU-A").content.decode()
    assert "a quantity above zero" in page
    page = dock_post(dock, rma, record="1").content.decode()
    assert "Scan the items in the parcel first" in page
    assert fresh(rma).status == ReturnStatus.APPROVED and StockMovement.objects.filter(reference=rma.number).count() == 0


def test_scanning_the_next_parcels_rma_into_the_item_field_opens_it(console, mugs_and_cups, shipped_order):  # noqa: F811
    other = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    dock = console("Warehouse")
    page = dock_post(dock, mugs_and_cups, scans="MUG", scan=other.number).content.decode()
    assert f"{other.number} is another return: record or undo the scans of {mugs_and_cups.number} first." in page
    response = dock_post(dock, mugs_and_cups, scan=other.number)
    assert f"The items of {other.number}" in response.content.decode()


def test_the_rma_pages_scans_read_barcodes_too(console, mugs_and_cups):  # noqa: F811
    dock = console("Warehouse")
    dock.post(reverse("admin:returns_returnrequest_action", args=[mugs_and_cups.pk, "receive"]),
              {"location": "chicago", "scans": f"{MUG_GTIN} 3\nCUP"})
    rma = fresh(mugs_and_cups)
    assert rma.status == ReturnStatus.RECEIVED and rma.unexpected_items == []


def test_the_dock_costs_the_same_queries_for_one_line_as_for_eight(console, shipped_order, django_assert_max_num_queries):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    skus = [f"SKU-{n}" for n in range(8)]
    large = return_request(order_id=shipped_order([(sku, 1) for sku in skus]).pk, lines=[line(n + 1) for n in range(8)], actor="portal")
    dock = console("Warehouse")
    dock_post(dock, small, scans="SKU-A\nSOCK", scan="4006381333931")  # sessions and permissions warmed up
    with CaptureQueriesContext(connection) as one:
        dock_post(dock, small, scans="SKU-A\nSOCK", scan="4006381333931")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = dock_post(dock, large, scans="\n".join([*skus, "SOCK"]), scan="4006381333931").content.decode()
    assert "Not on this return" in page and page.count("Complete") == 8


def test_the_dock_is_for_those_who_receive(console, mugs_and_cups):  # noqa: F811
    assert console("Customer service").get(reverse(DOCK)).status_code == 403
    dock = console("Warehouse", "dock")
    assert reverse(DOCK) in dock.get(reverse(QUEUE)).content.decode()


# --- the inspection bench ---


def test_the_inspection_form_says_what_to_fix_then_posts_each_line_to_the_ledger(console, mugs_and_cups):  # noqa: F811
    return_receive(return_id=mugs_and_cups.pk, location="chicago", items=[ReceivedItem("MUG", 3), ReceivedItem("CUP", 1)], actor="dock")
    dock = console("Warehouse")
    url = reverse("admin:returns_returnrequest_inspect", args=[mugs_and_cups.pk])
    page = dock.get(url).content.decode()
    assert "Condition of line 1 (MUG)" in page and "<script>" not in page
    # When the clerk restocks damaged mugs, refuses a cup without saying why, and forgets a condition.
    response = dock.post(url, {
        "line1-condition": "damaged", "line1-disposition": "restock", "line1-quantity_accepted": "3",
        "line2-condition": "", "line2-disposition": "restock", "line2-quantity_accepted": "0",
    })
    # Then each mistake is named on its line and nothing is recorded.
    page = response.content.decode()
    assert response.status_code == 200
    assert "Damaged units are not sellable: refurbish, quarantine, scrap or return them to the vendor." in page
    assert "Choose the units&#x27; condition." in page and "Say why 1 unit(s) are refused." in page
    assert fresh(mugs_and_cups).status == ReturnStatus.RECEIVED and not StockMovement.objects.filter(reference=mugs_and_cups.number).exists()
    too_many = dock.post(url, {"line1-condition": "new", "line1-disposition": "restock", "line1-quantity_accepted": "4",
                               "line2-condition": "new", "line2-disposition": "restock", "line2-quantity_accepted": "1"})
    assert "At most the 3 received." in too_many.content.decode()
    # When the inspection is right, Then the return is inspected and each line's units go where they were sent.
    response = dock.post(url, {
        "line1-condition": "damaged", "line1-disposition": "scrap", "line1-quantity_accepted": "3",
        "line2-condition": "opened", "line2-disposition": "restock", "line2-quantity_accepted": "0", "line2-note": "worn",
    }, follow=True)
    assert f"{mugs_and_cups.number}: Inspected. Status: Inspected." in messages_of(response)
    rma = fresh(mugs_and_cups)
    assert rma.status == ReturnStatus.INSPECTED
    assert [(x.condition, x.disposition, x.quantity_accepted, x.inspection_note) for x in rma.lines.order_by("id")] == [
        ("damaged", "scrap", 3, ""), ("opened", "restock", 0, "worn")]
    assert sorted(StockMovement.objects.filter(reference=rma.number).values_list("kind", flat=True)) == ["damage", "return_restock", "scrap"]


def test_the_inspection_bench_is_for_received_returns_and_inspectors(console, mugs_and_cups):  # noqa: F811
    url = reverse("admin:returns_returnrequest_inspect", args=[mugs_and_cups.pk])
    assert console("Customer service").get(url).status_code == 403
    response = console("Warehouse", "dock").get(url, follow=True)
    assert f"{mugs_and_cups.number} is approved: only a received return is inspected." in messages_of(response)


# --- the slip ---


def test_the_rma_slip_carries_the_number_lines_reasons_address_and_deadline(api, mugs_and_cups):  # noqa: F811
    # Given the return's label goes to the Chicago dock.
    Location.objects.filter(code="chicago").update(postal_code="60601", line1="1 Dock St", city="Chicago")
    return_label_issue(return_id=mugs_and_cups.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    response = api.get(f"/api/v1/returns/{mugs_and_cups.number}/slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages == 1
    rma = fresh(mugs_and_cups)
    for expected in (f"Return {rma.number}", rma.order.number, "MUG", "Arrived damaged", "CUP", "Too small",
                     f"by {timezone.localdate(rma.expires_at):%-d %B %Y}", "1 Dock St", rma.shipment.tracking_number):
        assert expected in text, expected
    # The slip draws the number as a Code 128 barcode and a QR code (SVG paths in the page).
    from returns.documents import rma_slip, rma_slip_html

    html = rma_slip_html(rma_slip(rma.pk))
    assert 'class="code128"' in html and 'class="qr"' in html


def test_a_return_not_approved_has_no_slip(api, shipped_order, requests_by_hand):  # noqa: F811
    rma = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
    response = api.get(f"/api/v1/returns/{rma.number}/slip.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 409
    assert "Approve it first" in error_of(response)["message"]
    assert api.get("/api/v1/returns/RMA-999999/slip.pdf").status_code == 404


def test_print_slip_and_label_gives_one_pdf_with_the_label_pages_after_the_slip(console, mugs_and_cups):  # noqa: F811
    cs = console("Customer service")
    # Without a label: refused, naming the return.
    response = cs.post(reverse(QUEUE), {"action": "print_slips_with_labels", "_selected_action": [mugs_and_cups.pk]}, follow=True)
    assert f"{mugs_and_cups.number}: no return label yet" in " ".join(messages_of(response))
    # With a label: the slip and then the 4x6 label, one PDF.
    return_label_issue(return_id=mugs_and_cups.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    response = cs.post(reverse(QUEUE), {"action": "print_slips_with_labels", "_selected_action": [mugs_and_cups.pk]})
    assert response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    shipment = fresh(mugs_and_cups).shipment
    assert pages == 2 and f"Return {mugs_and_cups.number}" in text and "RETURN" in text and shipment.tracking_number in text
    # The RMA page links both documents.
    page = cs.get(reverse("admin:returns_returnrequest_change", args=[mugs_and_cups.pk])).content.decode()
    slip = reverse("admin:returns_returnrequest_slip", args=[mugs_and_cups.pk])
    assert f'href="{slip}"' in page and f'href="{slip}?label=1"' in page
    assert cs.get(f"{slip}?label=1")["Content-Type"] == "application/pdf"


# --- the home's queues ---


def test_the_home_counts_returns_to_decide_overdue_and_to_inspect(console, shipped_order, requests_by_hand):  # noqa: F811
    # Given a request outside the policy, an approved return expiring tomorrow, one past its date,
    # one with weeks left, and one received.
    late = shipped_order([("SKU-A", 1)])
    ReturnPolicy.objects.filter(channel__isnull=True).update(window_days=1)
    from orders.models import OrderEvent

    OrderEvent.objects.filter(order=late).update(created_at=timezone.now() - datetime.timedelta(days=5))
    outside = return_request(order_id=late.pk, lines=[line()], actor="portal")
    assert outside.needs_attention
    ReturnPolicy.objects.filter(channel__isnull=True).update(window_days=30)
    approved = []
    for days in (1, -1, 20, 20):
        rma = return_request(order_id=shipped_order([("SKU-A", 1)]).pk, lines=[line()], actor="portal")
        return_approve(return_id=rma.pk, actor="cs")
        ReturnRequest.objects.filter(pk=rma.pk).update(expires_at=timezone.now() + datetime.timedelta(days=days))
        approved.append(rma)
    return_receive(return_id=approved[3].pk, location="chicago", items=[ReceivedItem("SKU-A")], actor="dock")
    # When the home measures the returns' queues.
    figures = return_queues_count(frozenset({"returns_decide", "returns_overdue", "returns_inspect"}), timezone.localdate())
    # Then each counts exactly its own.
    assert figures["returns_decide"].count == 1
    assert figures["returns_overdue"].count == 2 and figures["returns_overdue"].rows[0].count == 1
    assert figures["returns_inspect"].count == 1 and figures["returns_inspect"].rows[0].label.startswith("chicago")
    # And the home's links lead to lists of exactly those returns.
    home = console("Customer service").get(reverse("admin:index"))
    queues = {queue["key"]: queue for queue in home.context["work_queues"]}
    listed = home.client.get(queues["returns_overdue"]["url"]).content.decode()
    assert approved[0].number in listed and approved[1].number in listed and approved[2].number not in listed
    assert outside.number in home.client.get(queues["returns_decide"]["url"]).content.decode()
