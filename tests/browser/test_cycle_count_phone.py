"""A counter on the floor counts a bin with a phone: at 390 px every line's quantity box is on the
screen and big enough to tap (the table becomes one card per line), and the counts are recorded."""

import pytest
from inventory.models import CycleCountLine

from ..frontdoor.conftest import staff  # noqa: F401 (fixture)
from ..inventory.counts_support import two_bin_count
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
THUMB = 44  # px: the smallest target a thumb hits reliably


@pytest.fixture
def count(stocked, settings):
    return two_bin_count(stocked, settings)


def test_a_counter_counts_on_a_phone(live_server, browser_page, staff, count):  # noqa: F811 (the fixture imported above)
    staff("Warehouse", "counter")
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "counter")
    page.goto(f"{live_server.url}/admin/inventory/cyclecount/{count.pk}/count/")
    page.step("the count at phone width")

    # Every quantity box is inside the screen, as wide as half of it and a thumb high; nothing scrolls sideways.
    for sku in ("SKU-A", "SKU-B"):
        box = page.get_by_label(f"Units counted of {sku}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (sku, box)
        assert box["width"] >= PHONE["width"] / 2 and box["height"] >= THUMB, (sku, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    record = page.get_by_role("button", name="Record the counts typed").bounding_box()
    assert record["height"] >= THUMB and record["x"] + record["width"] <= PHONE["width"]

    page.get_by_label("Units counted of SKU-A").fill("17")
    page.get_by_label("Units counted of SKU-B").fill("23")
    page.get_by_role("button", name="Record the counts typed").click()
    page.get_by_text("2 count(s) recorded.").wait_for()
    page.step("counted")
    assert set(CycleCountLine.objects.filter(count=count).values_list("status", flat=True)) == {"posted"}
    assert page_stayed_clean(page)
