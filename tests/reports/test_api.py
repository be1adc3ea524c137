"""GET /api/v1/reports/kpis/ and /api/v1/reports/kpis/{key}/."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from reports.kpis import REGISTRY
from reports.rollups import rollups_rebuild

from . import history

pytestmark = pytest.mark.django_db


def staff(role: str | None) -> APIClient:
    user = get_user_model().objects.create_user(f"u-{role}", password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


def test_the_registry_lists_every_kpi_with_its_definition(client_for):
    response = client_for("reports:read").get("/api/v1/reports/kpis/")
    assert response.status_code == 200
    listed = {kpi["key"]: kpi for kpi in response.json()["results"]}
    assert set(listed) == set(REGISTRY)
    assert listed["orders"]["dimensions"] == ["day", "hour", "weekday", "channel"]
    assert listed["orders"]["definition"].startswith("Orders placed in the range")


def test_a_kpi_as_json_with_its_split_and_drilldown(client_for):
    built = history.build()
    rollups_rebuild(date_from=datetime.date(2026, 3, 9), date_to=datetime.date(2026, 3, 12))
    response = client_for("reports:read").get("/api/v1/reports/kpis/orders/?from=2026-03-10&to=2026-03-11&channel=web&by=hour")
    assert response.status_code == 200
    body = response.json()
    assert body["value"] == 2
    assert [(row["group"], row["value"]) for row in body["rows"]] == [(9, 1), (23, 1)]
    assert body["filters_applied"] == {"channel": "web"}
    # The drill-down: the two web orders behind the figure, newest first, as a console list
    assert body["drilldown"]["more"] is False
    assert body["drilldown"]["ids"] == [built["o2"].pk, built["o1"].pk]
    assert body["drilldown"]["url"] == f"/admin/orders/order/?id__in={built['o2'].pk}%2C{built['o1'].pk}"


@pytest.mark.parametrize(("query", "param"), [
    ("from=2026-02-30", "from"),
    ("to=soon", "to"),
    ("from=2026-03-11&to=2026-03-10", "from"),
    ("by=colour", "by"),
    ("by=sku", "by"),
    ("carrier=ups", "carrier"),
    ("channel=nowhere", "channel"),
    ("sku=" + "x" * 80, "sku"),
], ids=["impossible-date", "not-a-date", "reversed", "unknown-dimension", "dimension-not-offered", "filter-not-offered",
        "unknown-channel", "too-long"])
def test_bad_parameters_are_400_naming_the_parameter(client_for, query, param):
    response = client_for("reports:read").get(f"/api/v1/reports/kpis/orders/?{query}")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {param}


def test_an_unknown_kpi_is_404(client_for):
    response = client_for("reports:read").get("/api/v1/reports/kpis/nothing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_scope_and_the_permission_are_needed(client_for):
    assert client_for("orders:read").get("/api/v1/reports/kpis/").status_code == 403
    assert staff("Warehouse").get("/api/v1/reports/kpis/").status_code == 403
    assert staff("Operations manager").get("/api/v1/reports/kpis/").status_code == 200
    assert staff("Accounting").get("/api/v1/reports/kpis/revenue/").status_code == 200
