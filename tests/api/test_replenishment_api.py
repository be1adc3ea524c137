"""The replenishment suggestions over the API: list with filters, run now, accept, dismiss, bad input."""

import pytest

from inventory.models import PurchaseOrder
from inventory.purchasing import supplier_create, supplier_product_set

from ..factories import ProductFactory
from ..reports.replenishment_support import forecast_store
from .support import error_of


@pytest.fixture
def suggested(warehouse):
    kettle = ProductFactory(sku="KET-1", abc_class="A")
    mug = ProductFactory(sku="MUG-1", abc_class="C")
    supplier_create(code="acme", name="Acme", currency="USD", lead_time_days=10, actor="test")
    supplier_product_set(supplier="acme", sku="KET-1", unit_cost="5.00", pack_size=6, is_preferred=True, actor="test")
    supplier_product_set(supplier="acme", sku="MUG-1", unit_cost="2.00", is_preferred=True, actor="test")
    forecast_store({(kettle, warehouse): 2.0, (mug, warehouse): 1.0})


def run_now(api, **body):
    response = api.post("/api/v1/replenishment/runs/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_run_lists_explained_lines_with_filters(api, suggested):
    run = run_now(api)
    assert (run["line_count"], run["buy_count"], run["write_safety_stock"], run["planning"]) == (2, 2, False, "class")

    lines = api.get("/api/v1/replenishment/suggestions/").json()
    assert {line["sku"] for line in lines} == {"KET-1", "MUG-1"}
    kettle = next(line for line in lines if line["sku"] == "KET-1")
    assert kettle["quantity"] % 6 == 0 and kettle["supplier"] == "acme" and kettle["status"] == "open"
    assert kettle["quantity"] == kettle["raw_quantity"] + (-kettle["raw_quantity"]) % 6
    assert "reorder point" in kettle["explanation"] and kettle["target_fill_rate"] == 0.98
    # Class A is KET-1 alone: planned as a class, it gets at least the class's target.
    assert kettle["fill_rate"] >= 0.98 and f"class A target 98%: this SKU planned at {kettle['fill_rate']:.0%}" in kettle["explanation"]

    only_a = api.get("/api/v1/replenishment/suggestions/", {"abc_class": "A", "kind": "buy", "location": "chicago"}).json()
    assert [line["sku"] for line in only_a] == ["KET-1"]
    assert api.get("/api/v1/replenishment/suggestions/", {"supplier": "other"}).json() == []


def test_accepting_over_the_api_drafts_the_po_once(api, suggested):
    run_now(api)
    ids = [line["id"] for line in api.get("/api/v1/replenishment/suggestions/").json()]

    first = api.post("/api/v1/replenishment/suggestions/accept/", {"ids": ids}, format="json")
    again = api.post("/api/v1/replenishment/suggestions/accept/", {"ids": ids}, format="json")

    assert first.status_code == 200 and len(first.json()["purchase_orders"]) == 1
    assert again.status_code == 200 and again.json()["accepted"] == [] and sorted(again.json()["already_accepted"]) == sorted(ids)
    assert PurchaseOrder.objects.count() == 1
    assert {line["purchase_order"] for line in api.get("/api/v1/replenishment/suggestions/").json()} == set(first.json()["purchase_orders"])
    refused = api.post("/api/v1/replenishment/suggestions/dismiss/", {"ids": ids[:1]}, format="json")
    assert refused.status_code == 409 and "cannot be dismissed" in error_of(refused)["message"]


def test_dismissing_over_the_api(api, suggested):
    run_now(api)
    ids = [line["id"] for line in api.get("/api/v1/replenishment/suggestions/").json()]
    response = api.post("/api/v1/replenishment/suggestions/dismiss/", {"ids": ids[:1]}, format="json")
    assert response.status_code == 200 and response.json() == {"dismissed": ids[:1]}
    assert [line["id"] for line in api.get("/api/v1/replenishment/suggestions/", {"status": "dismissed"}).json()] == ids[:1]


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": "1"}, {"ids": [0]}, {"ids": ["x"]}, {"ids": [2**40]}, {"ids": list(range(1, 1002))}, []])
def test_bad_ids_are_a_400_naming_the_field(api, suggested, body):
    response = api.post("/api/v1/replenishment/suggestions/accept/", body, format="json")
    assert response.status_code == 400, response.json()
    error_of(response)


def test_unknown_ids_are_a_404_naming_them(api, suggested):
    response = api.post("/api/v1/replenishment/suggestions/accept/", {"ids": [987654]}, format="json")
    assert response.status_code == 404
    assert "987654" in error_of(response)["message"]


@pytest.mark.parametrize("params", [{"kind": "steal"}, {"status": "x"}, {"abc_class": "Z"}, {"run": "abc"}, {"run": "-1"}, {"run": "99999999999"}])
def test_bad_filters_are_a_400(api, suggested, params):
    response = api.get("/api/v1/replenishment/suggestions/", params)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def test_a_bad_run_body_is_a_400(api, suggested):
    response = api.post("/api/v1/replenishment/runs/", {"write_safety_stock": "perhaps"}, format="json")
    assert response.status_code == 400 and "write_safety_stock" in error_of(response)["fields"]


def test_the_run_can_write_the_safety_stock(api, suggested):
    assert run_now(api, write_safety_stock=True)["write_safety_stock"] is True
