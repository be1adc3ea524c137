"""The operations and finance dashboards in the console, and their PDF, on the hand-built history
of ``history.py`` (range 2026-03-10 .. 2026-03-11)."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree, html
from pypdf import PdfReader

from reports.dashboards import DASHBOARDS, dashboard_pdf, figures_of
from reports.kpis import Filters
from reports.rollups import rollups_rebuild
from reports.selectors import kpi_answer

from ..admin.conftest import console  # noqa: F401 (the fixture)
from . import history

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-03-10", "to": "2026-03-11"}


@pytest.fixture
def past():
    built = history.build()
    rollups_rebuild(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 20))
    return built


def page(client, name, **params):
    return client.get(reverse(f"admin:reports_dashboard_{name}"), {**RANGE, **params})


def tiles(response) -> dict[str, list[list[str]]]:
    """Each tile's figures as the page prints them, by KPI key (a KPI shown twice: both)."""
    tree = html.fromstring(response.content.decode())
    found: dict[str, list[list[str]]] = {}
    for section in tree.xpath("//section[@data-kpi]"):
        found.setdefault(section.get("data-kpi"), []).append([dd.text_content() for dd in section.xpath(".//dd")])
    return found


def shown(answer: dict) -> list[str]:
    return [text for _, text in figures_of(answer["value"], answer["unit"])]


@pytest.mark.parametrize("role", ["Operations manager", "Accounting"])
@pytest.mark.parametrize("name", ["operations", "finance"])
def test_managers_and_accountants_open_both_dashboards_from_the_sidebar(console, past, role, name):  # noqa: F811
    # Given a user of a role that views reports
    user = console(role)

    # When they open the console's index and follow the dashboard's entry
    index = user.get(reverse("admin:index")).content.decode()
    url = reverse(f"admin:reports_dashboard_{name}")
    response = page(user, name)

    # Then the entry is there and the dashboard shows every tile it lists
    assert f'href="{url}"' in index
    assert response.status_code == 200
    assert len(tiles(response)) == len({tile.key for tile in DASHBOARDS[name].tiles})


@pytest.mark.parametrize("name", ["operations", "finance"])
def test_the_warehouse_neither_sees_nor_opens_the_dashboards(console, past, name):  # noqa: F811
    picker = console("Warehouse")

    assert reverse(f"admin:reports_dashboard_{name}") not in picker.get(reverse("admin:index")).content.decode()
    assert page(picker, name).status_code == 403
    assert picker.get(reverse(f"admin:reports_dashboard_{name}_pdf"), RANGE).status_code == 403


def test_operations_figures_are_the_registrys_answers(console, past):  # noqa: F811
    # Given the history rolled up, when the manager opens the operations dashboard for the range
    shown_tiles = tiles(page(console("Operations manager"), "operations"))

    # Then each tile's figure is what kpi_answer says for the same range
    assert shown_tiles["orders"] == [["3"]]
    assert shown_tiles["units"] == [["7"]]
    for key in ("orders", "units", "on_time_ship", "on_time_delivery", "fill_rate", "backorder_rate", "split_rate", "short_picks",
                "late_shipments", "pick_productivity", "late_rate", "stage_time"):
        assert shown_tiles[key][0] == shown(kpi_answer(key=key, params=RANGE)), key
    assert shown_tiles["split_rate"] == [["33.33 %"]]


def test_finance_figures_are_per_currency_and_never_added(console, past):  # noqa: F811
    shown_tiles = tiles(page(console("Accounting"), "finance"))

    # Then revenue is one figure per currency (EUR 40.00 and USD 150.00, never 190)
    assert shown_tiles["revenue"][0] == ["EUR 40.00", "USD 150.00"]
    assert shown_tiles["average_order_value"][0] == ["EUR 40.00", "USD 75.00"]
    for key in ("revenue", "average_order_value", "return_rate", "restock_share", "shipping_cost_per_order"):
        assert shown_tiles[key][0] == shown(kpi_answer(key=key, params=RANGE)), key


def test_a_channel_filter_narrows_the_tiles_that_offer_it_and_names_the_others(console, past):  # noqa: F811
    response = page(console("Operations manager"), "operations", channel="pos")
    content = response.content.decode()

    assert tiles(response)["orders"] == [["1"]]
    assert tiles(response)["orders"][0] == shown(kpi_answer(key="orders", params={**RANGE, "channel": "pos"}))
    # pick productivity is per location only
    assert "Not filtered by channel: this KPI covers every channel." in content


def test_each_tile_links_to_its_drilldown_list(console, past):  # noqa: F811
    manager = console("Operations manager")
    tree = html.fromstring(page(manager, "operations").content.decode())

    orders_link = tree.xpath("//section[@data-kpi='orders']//p[@class='dashboard-drilldown']/a")[0]
    assert orders_link.get("href") == kpi_answer(key="orders", params=RANGE)["drilldown"]["url"]
    listed = manager.get(orders_link.get("href")).content.decode()
    assert past["o1"].number in listed and past["o2"].number in listed


@pytest.mark.parametrize("params, field, message", [
    ({"from": "2026-03-12", "to": "2026-03-10"}, "from", "The range must start on or before its end."),
    ({"from": "yesterday"}, "from", "Enter a valid date."),
    ({"from": "2000-01-01", "to": "2026-03-10"}, "from", "The range may span at most"),
    ({"channel": "nowhere"}, "channel", "Select a valid choice."),
    ({"preset": "365"}, "preset", "Select a valid choice."),
    ({"location": "x" * 500}, "location", "Select a valid choice."),
], ids=["from-after-to", "not-a-date", "too-long", "unknown-channel", "unknown-preset", "huge-location"])
def test_a_bad_range_or_filter_is_a_form_error_not_a_500(console, past, params, field, message):  # noqa: F811
    manager = console("Operations manager")

    for name in ("operations", "finance"):
        response = manager.get(reverse(f"admin:reports_dashboard_{name}"), params)
        pdf = manager.get(reverse(f"admin:reports_dashboard_{name}_pdf"), params)

        assert response.status_code == 400 and pdf.status_code == 400
        assert message in response.content.decode()
        assert not tiles(response)


def test_a_preset_sets_the_range_and_keeps_the_filters(console, past):  # noqa: F811
    manager = console("Operations manager")
    content = page(manager, "operations", channel="web").content.decode()

    assert "preset=7" in content and "channel=web" in content
    assert manager.get(reverse("admin:reports_dashboard_operations"), {"preset": "month", "channel": "web"}).status_code == 200


@pytest.mark.parametrize("name", ["operations", "finance"])
def test_a_dashboard_costs_the_same_queries_with_twice_the_history(console, past, name):  # noqa: F811
    manager = console("Operations manager")
    page(manager, name)  # warm the session and the content types
    with CaptureQueriesContext(connection) as small:
        page(manager, name)

    # Given as much history again (same channels, locations and kinds of events)
    history.build_more()
    rollups_rebuild(date_from=datetime.date(2026, 3, 1), date_to=datetime.date(2026, 3, 20))
    with CaptureQueriesContext(connection) as large:
        page(manager, name)

    assert len(large.captured_queries) == len(small.captured_queries)


def test_charts_are_svg_without_scripts_and_pass_the_pages_csp(console, past):  # noqa: F811
    response = page(console("Operations manager"), "operations")
    content = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)

    charts = re.findall(r'<figure class="dashboard-chart-box">(<svg.*?</svg>)</figure>', content, flags=re.S)
    assert len(charts) >= 5
    for chart in charts:
        root = etree.fromstring(chart)  # well-formed XML
        assert "<script" not in chart and "style=" not in chart
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title").text
        assert all(style.get("nonce") == nonce for style in root.iter("{http://www.w3.org/2000/svg}style"))
    assert "<script" not in content.split("</head>")[1].replace('<script src="', "")  # no inline script in the body


def test_the_bottleneck_stage_is_marked_per_location(console, past):  # noqa: F811
    content = page(console("Operations manager"), "operations").content.decode()

    # wh-a: captured->allocated 9 min, picking->packed 2 h, packed->shipped about a day: shipping waits longest
    assert "◀ slowest" in content


@pytest.mark.parametrize("name, title", [("operations", "Operations dashboard"), ("finance", "Finance dashboard")])
def test_the_dashboard_as_pdf_carries_its_title_and_figures(past, name, title):
    # When the scheduled-report job asks for the dashboard of the range
    content = dashboard_pdf(name, Filters(date_from=datetime.date(2026, 3, 10), date_to=datetime.date(2026, 3, 11)))

    # Then it is a PDF with the dashboard's title, its range and its figures
    assert content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert title in text
    assert "10 Mar 2026" in text
    assert ("USD 150.00" in text) if name == "finance" else ("33.33 %" in text)


def test_the_download_pdf_link_serves_the_same_range(console, past):  # noqa: F811
    manager = console("Operations manager")
    tree = html.fromstring(page(manager, "finance", channel="web").content.decode())
    link = tree.xpath("//a[text()='Download PDF']")[0].get("href")

    response = manager.get(link)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "finance-dashboard-2026-03-10-2026-03-11.pdf" in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Finance dashboard" in text and "channel web" in text
