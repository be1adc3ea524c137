"""Suppliers and purchase orders over the API, and the dated incoming they add to stock and orders."""

import datetime

import pytest
from django.utils import timezone

from inventory.models import PurchaseOrder, StockLevel
from inventory.purchasing import supplier_create, supplier_product_set
from oms.models import DomainEvent

from ..factories import ProductFactory, place_order
from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(warehouse):
    ProductFactory(sku="SKU-A", name="Kettle")
    ProductFactory(sku="SKU-B", name="Mug")
    supplier_create(code="acme", name="Acme Ltd", currency="EUR", lead_time_days=10, actor="test")
    supplier_product_set(supplier="acme", sku="SKU-A", unit_cost="4.00", supplier_sku="AC-1", is_preferred=True, actor="test")


def draft(api, lines=({"sku": "SKU-A", "quantity": 10},), **extra):
    response = api.post("/api/v1/purchase-orders/", {"supplier": "acme", "location": "chicago", "lines": list(lines), **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_suppliers_are_created_read_and_changed_with_their_etag(api, db):
    created = api.post("/api/v1/suppliers/", {"code": "globex", "name": "Globex", "currency": "EUR", "lead_time_days": 5,
                                              "lead_time_spread_days": "1.5", "email": "buy@globex.example"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["currency"] == "EUR" and created["ETag"] == '"1"'

    changed = api.patch("/api/v1/suppliers/globex/", {"lead_time_days": 7}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["lead_time_days"] == 7

    stale = api.patch("/api/v1/suppliers/globex/", {"lead_time_days": 9}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert [s["code"] for s in api.get("/api/v1/suppliers/").json()["results"]] == ["globex"]


@pytest.mark.parametrize("body, field", [
    ({"code": "x", "name": "X", "currency": "EURO"}, "currency"),
    ({"code": "x", "name": "X", "currency": "ABC"}, "currency"),
    ({"code": "x", "name": "X", "email": "nope"}, "email"),
    ({"code": "x y", "name": "X"}, "code"),
    ({"code": "x", "name": "X", "pack_size": 0}, "pack_size"),
])
def test_a_bad_supplier_is_a_400_naming_the_field(api, db, body, field):
    response = api.post("/api/v1/suppliers/", body, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_supplier_products_are_set_and_listed(api, acme):
    response = api.post("/api/v1/suppliers/acme/products/", {"sku": "SKU-B", "unit_cost": "1.255", "pack_size": 12}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "supplier": "acme", "sku": "SKU-B", "supplier_sku": "", "unit_cost": "1.26", "currency": "EUR", "pack_size": 12,
        "minimum_quantity": 1, "lead_time_days": 10, "is_preferred": False,
    }
    unknown = api.post("/api/v1/suppliers/acme/products/", {"sku": "NOPE", "unit_cost": "1"}, format="json")
    assert unknown.status_code == 400 and "NOPE" in error_of(unknown)["message"]
    assert api.post("/api/v1/suppliers/nope/products/", {"sku": "SKU-B", "unit_cost": "1"}, format="json").status_code == 404
    assert len(api.get("/api/v1/suppliers/acme/products/").json()["results"]) == 2


def test_a_purchase_order_goes_from_draft_to_closed_over_the_api(api, acme):
    po = draft(api, notes="Dock 3")
    number = po["number"]
    assert po["status"] == "draft" and po["currency"] == "EUR"
    assert po["lines"][0]["unit_cost"] == "4.00" and po["lines"][0]["supplier_sku"] == "AC-1"

    sent = api.post(f"/api/v1/purchase-orders/{number}/send/", {}, format="json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert StockLevel.objects.get(product__sku="SKU-A").incoming == 10

    received = api.post(f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"line_number": 1, "quantity": 7}]}, format="json",
                        HTTP_IDEMPOTENCY_KEY="delivery-1")
    replay = api.post(f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"line_number": 1, "quantity": 7}]}, format="json",
                      HTTP_IDEMPOTENCY_KEY="delivery-1")
    assert received.status_code == replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert received.json()["status"] == "partially_received"
    level = StockLevel.objects.get(product__sku="SKU-A")
    assert (level.on_hand, level.incoming) == (7, 3)  # the replay booked nothing

    closed = api.post(f"/api/v1/purchase-orders/{number}/close/", {"reason": "rest not coming"}, format="json")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["lines"][0]["quantity_short"] == 3
    assert StockLevel.objects.get(product__sku="SKU-A").incoming == 0
    trail = api.get(f"/api/v1/purchase-orders/{number}/events/").json()
    assert [event["to_status"] for event in trail if event["kind"] == "status"] == ["sent", "partially_received", "closed"]


def test_purchase_order_refusals_are_clear(api, acme):
    missing_cost = api.post("/api/v1/purchase-orders/", {"supplier": "acme", "location": "chicago", "lines": [{"sku": "SKU-B", "quantity": 1}]}, format="json")
    assert missing_cost.status_code == 400
    assert "acme has no cost for SKU-B" in error_of(missing_cost)["fields"]["lines[0].unit_cost"][0]

    unknown_supplier = api.post("/api/v1/purchase-orders/", {"supplier": "nope", "location": "chicago", "lines": [{"sku": "SKU-A", "quantity": 1}]}, format="json")
    assert unknown_supplier.status_code == 400 and "supplier" in error_of(unknown_supplier)["fields"]

    no_lines = api.post("/api/v1/purchase-orders/", {"supplier": "acme", "location": "chicago", "lines": []}, format="json")
    assert no_lines.status_code == 400 and "lines" in error_of(no_lines)["fields"]

    number = draft(api)["number"]
    not_sent = api.post(f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"line_number": 1, "quantity": 1}]}, format="json")
    assert not_sent.status_code == 409 and "Send it first" in error_of(not_sent)["message"]
    api.post(f"/api/v1/purchase-orders/{number}/send/", {}, format="json")
    no_such_line = api.post(f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"line_number": 4, "quantity": 1}]}, format="json")
    assert no_such_line.status_code == 400 and "no line 4" in error_of(no_such_line)["message"]
    zero = api.post(f"/api/v1/purchase-orders/{number}/receive/", {"lines": [{"line_number": 1, "quantity": 0}]}, format="json")
    assert zero.status_code == 400
    assert api.post("/api/v1/purchase-orders/PO-999999/send/", {}, format="json").status_code == 404
    assert api.get("/api/v1/purchase-orders/?status=nonsense").status_code == 400


def test_the_stock_of_a_sku_lists_its_dated_arrivals(api, acme):
    number = draft(api)["number"]
    api.post(f"/api/v1/purchase-orders/{number}/send/", {}, format="json")

    body = api.get("/api/v1/stock/SKU-A/").json()

    expected = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert body["incoming"] == 10
    assert body["incoming_arrivals"] == [{"date": expected, "quantity": 10, "location": "chicago", "purchase_order": number}]


def test_a_backordered_line_tells_when_its_units_are_expected(api, acme, web_channel):
    order = place_order([("SKU-A", 4), ("SKU-B", 1)])
    assert order.status == "backordered"
    number = draft(api, expected_date=None)["number"]
    api.post(f"/api/v1/purchase-orders/{number}/send/", {}, format="json")

    lines = api.get(f"/api/v1/orders/{order.number}/").json()["lines"]

    expected = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert [(line["sku"], line["expected_date"]) for line in lines] == [("SKU-A", expected), ("SKU-B", None)]
    assert DomainEvent.objects.filter(name="purchase_order.sent").count() == 1
    assert PurchaseOrder.objects.get(number=number).status == "sent"


def test_purchase_orders_page_by_creation_and_an_ordering_by_a_field_that_may_be_empty_is_not_offered(api, acme):
    draft(api)
    draft(api)

    # expected_date may be empty, which a cursor cannot page through: the list keeps its own order
    response = api.get("/api/v1/purchase-orders/", {"ordering": "-expected_date", "page_size": 1})

    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert len(response.json()["results"]) == 1 and response.json()["next"]


def test_a_drafts_lines_are_patched_and_a_sent_ones_refused(api, acme):
    po = draft(api)
    number, url = po["number"], f"/api/v1/purchase-orders/{po['number']}/lines/"
    body = {"lines": [{"line_number": 1, "sku": "SKU-A", "quantity": 15, "unit_cost": "3.50", "currency": "EUR"}, {"sku": "SKU-A", "quantity": 2}]}
    assert api.patch(url, body, format="json").status_code == 428  # If-Match required
    patched = api.patch(url, body, format="json", HTTP_IF_MATCH=f'"{po["version"]}"')
    assert patched.status_code == 200, patched.json()
    assert [(line["quantity_ordered"], line["unit_cost"]) for line in patched.json()["lines"]] == [(15, "3.50"), (2, "4.00")]
    trail = api.get(f"/api/v1/purchase-orders/{number}/events/").json()
    assert [event["message"] for event in trail if event["kind"] == "changed"] == [
        "Line 1 (SKU-A): quantity 10 → 15, unit cost 4.00 EUR → 3.50 EUR.", "Line 2 (SKU-A) added: 2 × 4.00 EUR."]

    etag = patched["ETag"]
    not_sold = api.patch(url, {"lines": [{"line_number": 1, "sku": "SKU-B", "quantity": 1}]}, format="json", HTTP_IF_MATCH=etag)
    assert not_sold.status_code == 400 and "acme does not sell SKU-B" in error_of(not_sold)["fields"]["lines[0].sku"][0]
    zero = api.patch(url, {"lines": [{"line_number": 1, "sku": "SKU-A", "quantity": 0}]}, format="json", HTTP_IF_MATCH=etag)
    assert zero.status_code == 400 and "quantity" in str(error_of(zero)["fields"])

    api.post(f"/api/v1/purchase-orders/{number}/send/", {}, format="json")
    sent_etag = api.get(f"/api/v1/purchase-orders/{number}/")["ETag"]
    refused = api.patch(url, {"lines": [{"line_number": 1, "sku": "SKU-A", "quantity": 99}]}, format="json", HTTP_IF_MATCH=sent_etag)
    assert refused.status_code == 400 and "is sent: its lines are what the supplier was sent" in error_of(refused)["message"]
    assert api.get(f"/api/v1/purchase-orders/{number}/").json()["lines"][0]["quantity_ordered"] == 15


def test_a_draft_below_the_minimum_says_so_and_is_sent_only_when_confirmed(api, acme):
    api.patch("/api/v1/suppliers/acme/", {"minimum_order_value": "100.00"}, format="json", HTTP_IF_MATCH="*")
    po = draft(api)  # 10 × 4.00 EUR
    assert po["below_minimum"].startswith("Below the supplier's minimum of 100.00 EUR") and "add 60.00 EUR more" in po["below_minimum"]
    refused = api.post(f"/api/v1/purchase-orders/{po['number']}/send/", {}, format="json")
    assert refused.status_code == 409 and error_of(refused)["code"] == "below_supplier_minimum"
    sent = api.post(f"/api/v1/purchase-orders/{po['number']}/send/", {"allow_below_minimum": True}, format="json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["below_minimum"] is None
