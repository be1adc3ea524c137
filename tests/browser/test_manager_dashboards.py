"""An operations manager in a real browser: both dashboards with their charts, a new range, a
drill-down to the orders behind a figure, and an export of a list as a file."""

import datetime

import pytest

from reports.rollups import rollups_rebuild

from ..frontdoor.conftest import staff  # noqa: F401
from ..reports import history
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_manager_reads_both_dashboards_drills_down_and_exports_the_orders(live_server, browser_page, staff):  # noqa: F811
    # Given: two days of orders in March, rolled up.
    built = history.build()
    rollups_rebuild(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 20))
    staff("Operations manager", username="mara")
    page = browser_page

    # Mara signs in and opens the operations dashboard from the sidebar.
    sign_in(page, live_server, "mara")
    page.get_by_role("link", name="Operations dashboard").first.click()
    page.get_by_role("heading", name="Operations dashboard").wait_for()
    page.step("operations dashboard, the last 30 days")

    # She sets the range to the two days in March: the figures and charts follow.
    page.get_by_label("From", exact=True).fill("2026-03-10")
    page.get_by_label("To", exact=True).fill("2026-03-11")
    page.get_by_role("button", name="Show").click()
    page.get_by_text("10 Mar 2026 – 11 Mar 2026").wait_for()
    orders_tile = page.locator("section[data-kpi='orders']")
    assert orders_tile.locator("dd").first.inner_text() == "3"
    charts = page.get_by_role("img", name="Orders per day")
    assert charts.count() == 1 and charts.first.bounding_box()["height"] > 100
    assert "from=2026-03-10" in page.url and "to=2026-03-11" in page.url
    page.step("operations dashboard, two days in March")

    # The finance dashboard, for the same range: revenue per currency.
    page.get_by_role("link", name="finance dashboard", exact=True).click()
    page.get_by_text("10 Mar 2026 – 11 Mar 2026").wait_for()
    revenue = page.locator("section[data-kpi='revenue']").first
    assert revenue.locator("dd").all_inner_texts() == ["EUR 40.00", "USD 150.00"]
    page.get_by_role("img", name="Revenue per day (USD)").wait_for()
    page.step("finance dashboard")

    # She follows the orders behind the revenue: the console's orders list, those orders only.
    revenue.get_by_role("link", name="Orders placed in the range").click()
    page.get_by_role("link", name=built["o1"].number).wait_for()
    assert page.get_by_role("link", name=built["o2"].number).count() == 1
    page.step("the orders behind the revenue")

    # And exports them: the list's "Export…" button, CSV, a file downloaded.
    page.get_by_role("link", name="Export…").click()
    page.get_by_label("CSV").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = open(download.path(), encoding="utf-8-sig").read()
    assert built["o1"].number in content and built["o2"].number in content
    page.step("export page after the download")

    assert page_stayed_clean(page)
