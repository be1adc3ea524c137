"""A SKU's demand forecast in the console (an SVG chart, reached from the product's page) and in
the API (scope ``reports:read``)."""

import datetime
import re

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree, html

from reports.forecasting.services import forecast_run

from ..admin.conftest import console  # noqa: F401 (the fixture)
from .conftest import client_for  # noqa: F401 (the fixture)
from .forecast_ledger import location, product, receive, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def forecast():
    """A SKU with 100 days of sales up to yesterday at one location, then a week out of stock, and a
    forecast run over it."""
    mug, ber = product(), location()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    start = yesterday - datetime.timedelta(days=100)
    offset = (start - datetime.date(2026, 1, 5)).days
    receive(mug, ber, offset, 700, hour=6)
    for n, quantity in enumerate(np.random.default_rng(5).poisson(6, 100), start=1):
        if quantity:
            ship(mug, ber, offset + n, int(quantity))
    forecast_run(actor="test")
    return mug, ber


def test_the_sku_page_draws_history_forecast_and_interval_as_an_svg(console, forecast):  # noqa: F811
    mug, ber = forecast
    user = console("Operations manager")

    # When the manager opens the product's page and follows its "Demand forecast" link
    product_page = user.get(reverse("admin:inventory_product_change", args=[mug.pk])).content.decode()
    url = reverse("admin:reports_forecast_sku", args=[mug.pk])
    assert f'href="{url}"' in product_page
    response = user.get(url)

    # Then the page shows the chart (inline SVG, no script, titled for assistive technology) and the figures
    assert response.status_code == 200
    content = response.content.decode()
    charts = re.findall(r'<figure class="dashboard-chart-box">(<svg.*?</svg>)</figure>', content, flags=re.S)
    assert charts
    root = etree.fromstring(charts[0])
    assert root.get("role") == "img" and not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert root.find("{http://www.w3.org/2000/svg}title").text == "MUG: daily demand, all locations"
    tree = html.fromstring(content)
    text = tree.text_content()
    assert "Forecast" in text and "Upper bound (80 %)" in text
    assert "Smooth" in text
    rows = tree.xpath("//details//tbody/tr")
    assert len(rows) == 28

    # and the same for one location, by week
    weekly = user.get(url, {"frequency": "weekly", "location": ber.code})
    assert weekly.status_code == 200 and "weekly demand, BER" in weekly.content.decode()
    # a location that does not exist is a form error, not a 500
    assert user.get(url, {"location": "nowhere"}).status_code == 400


def test_the_forecast_pages_need_the_reports_permission(console, forecast):  # noqa: F811
    mug, _ = forecast
    user = console("Warehouse")
    assert user.get(reverse("admin:reports_forecast_sku", args=[mug.pk])).status_code == 403
    assert 'Demand forecast' not in user.get(reverse("admin:inventory_product_change", args=[mug.pk])).content.decode()


def test_the_forecast_index_lists_runs_and_finds_a_sku(console, forecast):  # noqa: F811
    mug, _ = forecast
    user = console("Operations manager")
    page = user.get(reverse("admin:reports_forecasts"))
    assert page.status_code == 200 and "Every active SKU" in page.content.decode()
    found = user.get(reverse("admin:reports_forecasts"), {"sku": "MUG"})
    assert found.status_code == 302 and found["Location"] == reverse("admin:reports_forecast_sku", args=[mug.pk])
    missing = user.get(reverse("admin:reports_forecasts"), {"sku": "NOPE"})
    assert missing.status_code == 400 and "No product with SKU" in missing.content.decode()


def test_the_api_answers_the_forecast_with_its_interval_and_history(client_for, forecast):  # noqa: F811
    api = client_for("reports:read")
    answer = api.get("/api/v1/reports/forecasts/MUG/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["sku"] == "MUG" and body["frequency"] == "daily" and body["location"] is None
    assert body["demand_class"] == "smooth" and body["level"] == 80 and body["method"]
    assert len(body["points"]) == 28
    assert all(p["lo"] <= p["mean"] <= p["hi"] for p in body["points"])
    assert len(body["history"]) == 91 and not any(h["stockout"] for h in body["history"])
    assert body["past"] == [] and body["past_mase"] is None

    weekly = api.get("/api/v1/reports/forecasts/MUG/", {"frequency": "weekly", "location": "ber"}).json()
    assert weekly["location"] == "ber" and len(weekly["points"]) == 4


def test_the_api_says_what_to_fix(client_for, forecast):  # noqa: F811
    api = client_for("reports:read")
    assert api.get("/api/v1/reports/forecasts/NOPE/").status_code == 404
    bad = api.get("/api/v1/reports/forecasts/MUG/", {"frequency": "hourly"})
    assert bad.status_code == 400 and "frequency" in bad.json()["error"]["fields"]
    assert api.get("/api/v1/reports/forecasts/MUG/", {"location": "nowhere"}).status_code == 400
    assert client_for("orders:read").get("/api/v1/reports/forecasts/MUG/").status_code == 403
