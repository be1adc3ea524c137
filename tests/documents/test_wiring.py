"""Warehouse documents from the fulfillment models: packing slips of real fulfillment orders, pick
lists of real pick lists, the by-id job renderers, and the parallel batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.documents.rendering import documents_pdf
from fulfillment.documents.sources import packing_slip_documents, pick_list_documents
from fulfillment.models import FulfillmentOrder
from fulfillment.services.picking import pick_list_build
from inventory.models import Bin, StockLevel
from oms.documents import document_job_run, document_job_start
from oms.errors import InvalidInput
from oms.models import DocumentJob
from orders.models import Order
from orders.services import order_start_fulfillment

from ..factories import address, place_order
from ..fulfillment.fulfillment_support import in_fulfillment, ledger_reconciles, receive  # noqa: F401
from .conftest import packing_slip_make, pdf_pages

pytestmark = pytest.mark.django_db

# SKU -> bin code at the warehouse; the path walks zone A aisle 01, then 02, then zone B.
FLOOR = {"SKU-A1": ("A", "01", "02"), "SKU-A2": ("A", "02", "05"), "SKU-B1": ("B", "01", "04")}


@pytest.fixture
def floor(warehouse, receive):
    """The suite's Chicago warehouse with an address, a bin per SKU and 50 units in each."""
    warehouse.line1, warehouse.postal_code, warehouse.region = "1200 W Dock Rd", "60607", "IL"
    warehouse.save()
    for sku, (zone, aisle, position) in FLOOR.items():
        receive(sku, 50, warehouse)
        bin_ = Bin.objects.create(location=warehouse, code=f"{zone}-{aisle}-1-{position}", zone=zone, aisle=aisle, shelf="1", position=position)
        StockLevel.objects.filter(product__sku=sku, location=warehouse).update(bin=bin_)
    return warehouse


@pytest.fixture
def sent_to_fulfillment(django_capture_on_commit_callbacks):
    """``sent_to_fulfillment(lines, shipping_address=..., note=...)``: an order placed with those
    intake fields and sent to fulfillment, its fulfillment orders created as after a real commit."""

    def make(lines, **overrides):
        order = place_order(lines, **overrides)
        with django_capture_on_commit_callbacks(execute=True):
            order_start_fulfillment(order_id=order.pk, actor="test")
        return Order.objects.get(pk=order.pk)

    return make


def fo_of(order) -> FulfillmentOrder:
    return FulfillmentOrder.objects.get(order=order)


def test_given_a_fulfillment_order_when_its_packing_slip_is_printed_then_it_shows_the_order_addresses_lines_note_and_returns(
    floor, sent_to_fulfillment, settings
):
    # Given an order for Grace Hopper with a note, sent to fulfillment at the Chicago DC
    settings.OMS_RETURNS_INSTRUCTIONS = "Send it back to Dock 4 within 14 days."
    order = sent_to_fulfillment([("SKU-A1", 2), ("SKU-B1", 1)],
                                shipping_address=address(name="Grace Hopper", line1="7 Navy Yard", city="Arlington", region="VA", postal_code="22202"))
    Order.objects.filter(pk=order.pk).update(note="Leave it with the concierge.")
    fo = fo_of(order)

    # When its packing slip is rendered
    (slip,) = packing_slip_documents([fo.pk])
    (page,) = pdf_pages(documents_pdf("packing_slips", [slip], chunk_size=50).content)

    # Then the page names the parcel, the order, both addresses, each line, the note and the returns text
    assert fo.number in page and order.number in page and order.placed_at.strftime("%Y-%m-%d") in page
    for text in ("Grace Hopper", "7 Navy Yard", "ARLINGTON, VA 22202", "Chicago DC", "1200 W Dock Rd", "CHICAGO, IL 60607"):
        assert text in page
    assert "SKU-A1" in page and "SKU-B1" in page
    assert "Leave it with the concierge." in page and "Send it back to Dock 4 within 14 days." in page
    assert [(line.sku, line.quantity_ordered, line.quantity_shipped) for line in slip.lines] == [("SKU-A1", 2, 2), ("SKU-B1", 1, 1)]


def test_given_more_fulfillment_orders_when_slips_are_built_then_the_query_count_stays_the_same_and_the_order_is_as_chosen(floor, in_fulfillment):
    fos = [fo_of(in_fulfillment([("SKU-A1", 1), ("SKU-A2", 2)])) for _ in range(5)]

    with CaptureQueriesContext(connection) as one:
        packing_slip_documents([fos[0].pk])
    with CaptureQueriesContext(connection) as five:
        slips = packing_slip_documents([fo.pk for fo in reversed(fos)])

    assert len(one) == len(five) == 2
    assert [slip.fulfillment_order_number for slip in slips] == [fo.number for fo in reversed(fos)]


def test_given_a_batch_pick_list_when_printed_then_lines_follow_the_path_with_bins_zones_and_each_orders_tote_and_slot(floor, in_fulfillment):
    # Given two orders waved into one batch pick list
    first = fo_of(in_fulfillment([("SKU-B1", 1), ("SKU-A1", 2)]))
    second = fo_of(in_fulfillment([("SKU-A2", 3), ("SKU-A1", 1)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[first.pk, second.pk], kind="batch", actor="lead")

    # When the pick list is printed
    (document,) = pick_list_documents([pick_list.pk])
    (page,) = pdf_pages(documents_pdf("pick_lists", [document], chunk_size=50).content)

    # Then the lines are in walking order (A-01, A-02, then zone B), each with its order's tote and slot
    walked = [(line.bin_code, line.zone, line.sku, line.quantity, line.tote) for line in document.lines]
    assert [step[0] for step in walked] == ["A-01-1-02", "A-01-1-02", "A-02-1-05", "B-01-1-04"]
    assert {(step[2], step[3], step[4]) for step in walked[:2]} == {("SKU-A1", 2, first.number), ("SKU-A1", 1, second.number)}
    assert walked[2:] == [("A-02-1-05", "A", "SKU-A2", 3, second.number), ("B-01-1-04", "B", "SKU-B1", 1, first.number)]
    assert pick_list.number in page and "Chicago DC" in page and "Batch / wave" in page
    positions = [page.index(text) for text in ("A-01-1-02", "A-02-1-05", "B-01-1-04")]
    assert positions == sorted(positions)
    assert f"{first.number} / " in page and f"{second.number} / " in page


def test_given_a_single_pick_list_when_printed_then_no_tote_column_is_shown(floor, in_fulfillment):
    fo = fo_of(in_fulfillment([("SKU-A1", 1)]))
    (pick_list,) = pick_list_build(location=floor.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")

    (document,) = pick_list_documents([pick_list.pk])

    assert not document.has_totes
    assert "Tote" not in pdf_pages(documents_pdf("pick_lists", [document], chunk_size=50).content)[0]


def test_given_an_id_that_names_nothing_when_a_job_is_started_then_it_is_refused_naming_it_and_nothing_is_queued(floor, in_fulfillment):
    fo = fo_of(in_fulfillment([("SKU-A1", 1)]))

    with pytest.raises(InvalidInput, match="no fulfillment order with id 987654"):
        document_job_start(kind="packing_slips", payload={"fulfillment_order_ids": [fo.pk, 987654]}, actor="clerk")
    with pytest.raises(InvalidInput, match="pick_list_ids"):
        document_job_start(kind="pick_lists", payload={"pick_list_ids": "all"}, actor="clerk")

    assert DocumentJob.objects.count() == 0


def test_given_fulfillment_orders_when_a_by_id_job_runs_then_it_prints_one_slip_each_in_the_order_given(
    floor, in_fulfillment, django_capture_on_commit_callbacks
):
    fos = [fo_of(in_fulfillment([("SKU-A1", 1)])) for _ in range(3)]
    chosen = [fos[2].pk, fos[0].pk, fos[1].pk]

    with django_capture_on_commit_callbacks(execute=False):
        job = document_job_start(kind="packing_slips", payload={"fulfillment_order_ids": chosen}, actor="clerk")
    assert document_job_run(job_id=job.pk) == "done"

    job.refresh_from_db()
    pages = pdf_pages(bytes(job.pdf))
    assert [page.split("Packing slip ")[1].split()[0] for page in pages] == [fos[2].number, fos[0].number, fos[1].number]
    assert (job.page_count, job.progress_done, job.progress_total) == (3, 3, 3)


def test_given_a_wave_when_laid_out_in_parallel_then_the_pages_and_their_order_equal_the_serial_render_and_fonts_are_embedded():
    # Given 7 slips (chunks of 2: four chunks over two worker processes)
    slips = [packing_slip_make(number=f"FO-P{n:03d}", lines=[(f"SKU-{n}", f"Item {n}", 1, 1)]) for n in range(7)]
    seen = []

    # When rendered serially and in parallel
    serial = documents_pdf("packing_slips", slips, chunk_size=2, processes=1)
    parallel = documents_pdf("packing_slips", slips, chunk_size=2, processes=2, progress=lambda done, total: seen.append((done, total)))

    # Then the same pages come out in the same order, progress went up chunk by chunk, and every
    # page's fonts are embedded in the file
    assert pdf_pages(parallel.content) == pdf_pages(serial.content)
    assert [page.split("Packing slip ")[1].split()[0] for page in pdf_pages(parallel.content)] == [f"FO-P{n:03d}" for n in range(7)]
    assert parallel.page_count == serial.page_count == 7
    assert seen == [(2, 7), (4, 7), (6, 7), (7, 7)]
    assert _every_font_embedded(parallel.content)


def _every_font_embedded(content: bytes) -> bool:
    import io

    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(content)).pages:
        fonts = page["/Resources"]["/Font"]
        for font in fonts.values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font else font["/FontDescriptor"]
            if not any(key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                return False
    return True


def test_given_a_wave_when_a_worker_process_meets_a_refused_resource_then_the_whole_render_is_refused(monkeypatch):
    # Given 4 slips in chunks of 2 whose HTML (as a broken template would) names a file on the disk
    from fulfillment.documents import DocumentResourceRefused
    from fulfillment.documents import rendering

    original = rendering.documents_html
    monkeypatch.setattr(rendering, "documents_html", lambda kind, chunk: original(kind, chunk).replace(
        "</head>", '<link rel="stylesheet" href="file:///etc/passwd"></head>'))
    slips = [packing_slip_make(number=f"FO-R{n:03d}") for n in range(4)]

    # When laid out by two worker processes, then the refusal comes back to the caller: no PDF
    # with a hole in it, no silent fallback to another path
    with pytest.raises(DocumentResourceRefused, match="file:///etc/passwd"):
        documents_pdf("packing_slips", slips, chunk_size=2, processes=2)
