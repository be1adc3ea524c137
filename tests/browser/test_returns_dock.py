"""The returns clerk at the dock in a real browser: from the RMA queue to the dock, the RMA's
barcode, then the items by barcode and SKU, the receipt recorded, and the units inspected on the
inspection bench; stock ends where inspection sent it."""

import pytest

from inventory.models import Product, StockLevel
from returns.models import ReturnStatus
from returns.services import return_request

from ..frontdoor.conftest import staff  # noqa: F401
from ..inventory.invariants import stock_invariant_violations
from ..returns.conftest import fresh, line, shipped_order  # noqa: F401
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
MUG_GTIN = "4006381333931"

# Every form control on the page has a label a screen reader announces (axe's "label" rule).
UNLABELLED = """() => Array.from(document.querySelectorAll('#content input:not([type=hidden]):not([type=submit]), #content select, #content textarea'))
  .filter((element) => !element.labels.length && !element.getAttribute('aria-label')).map((element) => element.name)"""


def test_the_returns_clerk_scans_an_rma_at_the_dock_scans_the_items_and_inspects_them(live_server, browser_page, staff, shipped_order):  # noqa: F811
    # Given: a customer sends back 2 mugs (GTIN 4006381333931) and a cup of a delivered order, approved.
    order = shipped_order([("MUG", 2), ("CUP", 1)])
    Product.objects.filter(sku="MUG").update(gtin=MUG_GTIN)
    rma = return_request(order_id=order.pk, lines=[line(1, 2, "too_small"), line(2, 1, "damaged")], actor="portal")
    assert rma.status == ReturnStatus.APPROVED
    mugs_before = StockLevel.objects.get(product__sku="MUG", location__code="chicago").on_hand
    staff("Warehouse", username="rita")
    page = browser_page

    # The clerk signs in, opens the returns queue and goes to the dock.
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/returns/returnrequest/")
    page.get_by_role("link", name="Dock: receive by scan").click()
    page.get_by_label("Receiving at").select_option("chicago")
    page.get_by_label("Scan the RMA barcode").fill(rma.number)
    page.get_by_label("Scan the RMA barcode").press("Enter")
    page.get_by_role("heading", name=f"2. The items of {rma.number}").wait_for()
    page.step("the return opened at the dock")
    assert page.evaluate(UNLABELLED) == []

    # Scanning: a mug by its barcode, another, and the cup by its SKU; each Enter adds a scan.
    for code in (MUG_GTIN, MUG_GTIN, "CUP"):
        page.get_by_label("Scan an item (barcode or SKU; 3*SKU for three)").fill(code)
        page.get_by_label("Scan an item (barcode or SKU; 3*SKU for three)").press("Enter")
        page.wait_for_load_state()
    page.get_by_text("3 unit(s) scanned so far.").wait_for()
    expected = page.get_by_role("table", name="Expected in the parcel against what was scanned")
    assert expected.get_by_role("row", name="MUG").get_by_text("Complete").count() == 1
    page.step("everything scanned")
    page.get_by_role("button", name="Record receipt").click()
    page.get_by_text(f"{rma.number}: 3 unit(s) recorded at chicago.").wait_for()
    page.step("receipt recorded")
    assert fresh(rma).status == ReturnStatus.RECEIVED

    # Inspection: the mugs are as new and go back on the shelf; the cup is damaged and quarantined.
    page.get_by_role("link", name=f"Inspect {rma.number}").click()
    page.get_by_label("Condition of line 1 (MUG)").select_option(label="New, unopened")
    page.get_by_label("Disposition of line 1 (MUG)").select_option(label="Restock (sellable)")
    page.get_by_label("Condition of line 2 (CUP)").select_option(label="Damaged")
    page.get_by_label("Disposition of line 2 (CUP)").select_option(label="Restock (sellable)")
    page.get_by_role("button", name="Record inspection").click()
    # A damaged cup is not sellable: the bench says so on its line and records nothing.
    page.get_by_text("Damaged units are not sellable").wait_for()
    page.step("inspection refused with what to fix")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Disposition of line 2 (CUP)").select_option(label="Quarantine (damaged)")
    page.step("inspection filled in")
    page.get_by_role("button", name="Record inspection").click()
    # The policy refunds after inspection: the page comes back with the money already on its way.
    page.get_by_text(f"{rma.number}: Inspected. Status: Refunded.").wait_for()
    page.step("the return inspected and refunded")

    # Then the return is refunded, the mugs are sellable again and the cup is in quarantine.
    assert fresh(rma).status == ReturnStatus.REFUNDED
    assert StockLevel.objects.get(product__sku="MUG", location__code="chicago").on_hand == mugs_before + 2
    assert StockLevel.objects.get(product__sku="CUP", location__code="chicago").damaged == 1
    assert stock_invariant_violations() == []
    assert page_stayed_clean(page)
