"""The console's cycle counts: the floor counts blind by scan and by form, the manager approves;
the count sheet prints the bins in walking order without expected quantities."""

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.counts import cycle_count_plan
from inventory.models import CycleCount, CycleCountLine, StockMovement

from ..inventory.counts_support import two_bin_count
from .conftest import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def count(stocked, settings):
    return two_bin_count(stocked, settings, gtin="4006381333931")


def page_url(count):
    return reverse("admin:inventory_cyclecount_count", args=[count.pk])


def line(count, sku):
    return CycleCountLine.objects.get(count=count, product__sku=sku)


def test_the_list_opens_on_todays_counts(console, count):
    user = console("Warehouse")
    first = user.get(reverse("admin:inventory_cyclecount_changelist"))
    assert first.status_code == 302
    listing = user.get(first["Location"]).content.decode()
    assert count.number in listing and page_url(count) in listing


def test_the_floor_counts_blind_by_scan_and_form(console, count):
    user = console("Warehouse")
    page = user.get(page_url(count)).content.decode()
    assert 'id="id_barcode"' in page and "Expected" not in page
    assert ">17<" not in page and ">23<" not in page
    assert page.index("A-1") < page.index("B-2")  # walking order

    answer = user.post(page_url(count), {"action": "scan", "barcode": "4006381333931"}, follow=True)
    assert "SKU-A: 1 scanned." in messages_of(answer)
    a, b = line(count, "SKU-A"), line(count, "SKU-B")
    answer = user.post(page_url(count), {"action": "submit", f"quantity-{a.pk}": "17", f"quantity-{b.pk}": "20"}, follow=True)
    assert "2 count(s) recorded. Count 1 line(s) again." in messages_of(answer)
    page = answer.content.decode()
    assert ">23<" not in page and ">20<" not in page  # neither the expected nor the first count leaks to the recount
    assert line(count, "SKU-A").status == "posted" and line(count, "SKU-B").status == "recount"


def test_bad_quantities_are_named_and_nothing_is_recorded(console, count):
    user = console("Warehouse")
    a, b = line(count, "SKU-A"), line(count, "SKU-B")
    answer = user.post(page_url(count), {"action": "submit", f"quantity-{a.pk}": "17", f"quantity-{b.pk}": "two"}, follow=True)
    assert any("SKU-B: 'two' is not a whole number" in message for message in messages_of(answer))
    assert line(count, "SKU-A").counted is None
    answer = user.post(page_url(count), {"action": "scan", "barcode": "NOPE"}, follow=True)
    assert any("NOPE is not to be counted" in message for message in messages_of(answer))


def test_the_warehouse_may_not_approve(console, count):
    user = console("Warehouse")
    assert user.post(page_url(count), {"action": "approve"}).status_code == 403
    assert "Approve" not in user.get(page_url(count)).content.decode()


def test_the_manager_sees_the_variance_and_approves(console, count):
    b = line(count, "SKU-B")
    floor = console("Warehouse")
    for quantity in ("20", "21"):
        floor.post(page_url(count), {"action": "submit", f"quantity-{b.pk}": quantity})
    manager = console("Operations manager", username="boss")
    page = manager.get(page_url(count)).content.decode()
    assert '<td data-label="Expected">23</td><td data-label="First count">20</td><td data-label="Variance">-2</td>' in page
    answer = manager.post(page_url(count), {"action": "approve", "line": [str(b.pk)]}, follow=True)
    assert "Approved: the corrections are posted to the ledger." in messages_of(answer)
    movement = StockMovement.objects.get(reference=count.number)
    assert movement.on_hand_delta == -2 and movement.actor == manager.user


def test_the_count_sheet_prints_bins_in_walking_order_without_expected_quantities(console, count):
    from inventory.documents_counts import count_sheet, count_sheet_html

    sheet = count_sheet(count.pk)
    assert [entry.bin for entry in sheet.lines] == ["A-1", "B-2"]
    html = count_sheet_html(sheet)
    assert ">17<" not in html and ">23<" not in html  # (the count number and barcode may hold such digits)
    response = console("Warehouse").get(reverse("admin:inventory_cyclecount_sheet", args=[count.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")


def test_customer_service_does_not_see_counts(console, count):
    assert console("Customer service").get(page_url(count)).status_code == 403


def test_manager_cancels_with_a_reason(console, count):
    manager = console("Operations manager", username="boss")
    answer = manager.post(page_url(count), {"action": "cancel", "reason": ""}, follow=True)
    assert any("Say why" in message for message in messages_of(answer))
    manager.post(page_url(count), {"action": "cancel", "reason": "Stocktake tomorrow"})
    assert CycleCount.objects.get(pk=count.pk).status == "cancelled"


def timeline_of(page: str) -> str:
    return page[page.index("-heading\" class=\"inline-heading\">"):]


def test_the_count_page_shows_its_timeline_blind_to_the_floor(console, count):
    # Given a count where SKU-A matched and SKU-B was off twice (awaiting the manager)
    a, b = line(count, "SKU-A"), line(count, "SKU-B")
    floor = console("Warehouse", username="counter")
    floor.post(page_url(count), {"action": "submit", f"quantity-{a.pk}": "17", f"quantity-{b.pk}": "20"})
    floor.post(page_url(count), {"action": "submit", f"quantity-{b.pk}": "21"})
    # When the counter opens the page, then the timeline says what happened and who did it
    timeline = timeline_of(floor.get(page_url(count)).content.decode())
    assert "SKU-A: counted" in timeline and "SKU-A: posted" in timeline
    assert "expected 17" not in timeline and "correction +0" not in timeline  # for managers only
    assert "SKU-B: counted" in timeline and "SKU-B: recount requested" in timeline and "counter" in timeline
    assert ">20<" not in timeline and ">23<" not in timeline and "expected" not in timeline
    # When the manager opens it, then the figures of the lines counted show
    manager = console("Operations manager", username="boss")
    timeline = timeline_of(manager.get(page_url(count)).content.decode())
    assert "counted 20 · expected 23 · within tolerance no" in timeline
    assert "counted 21 · expected 23 · within tolerance no" in timeline
    assert "SKU-A: correction +0 posted" in timeline and "correction 0 · counted 17 · expected 17" in timeline
    assert "Planned 2 line(s)" in timeline and "lines 2" in timeline


def test_a_long_count_sheet_names_the_count_and_numbers_every_page(stocked, settings, tmp_path):
    import shutil
    import subprocess

    from inventory.documents_counts import count_sheet_pdf

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    # Given a count of 40 lines (a day's most; more than a page)
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 1, "C": 1}
    for index in range(45):
        stocked(f"SHELF-{index:02d}", 3)
    count = cycle_count_plan(location="chicago", day=timezone.localdate(), actor="test")
    assert count.lines.count() >= 40
    # When the sheet is printed, then each page says which count and which page it is
    (tmp_path / "sheet.pdf").write_bytes(count_sheet_pdf(count.pk))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page and f"Count sheet {count.number}" in page and "Units counted" in page
