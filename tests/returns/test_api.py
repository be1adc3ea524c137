"""The returns API: the lifecycle end to end, scopes, ETags, idempotency and the one error shape."""

import pytest

from inventory.models import StockLevel, StockMovement
from oms.models import DomainEvent

from ..api.conftest import api, client_for  # noqa: F401 (fixtures)
from ..api.support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shipped_order):
    return shipped_order([("SKU-A", 2), ("SKU-B", 1)])


def create(client, order, lines=({"line_number": 1, "quantity": 2, "reason": "too_small"},), key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/returns/", {"order": order.number, "lines": list(lines), **extra}, format="json", **headers)


def test_a_return_goes_from_request_to_inspection_through_the_api(api, order):  # noqa: F811
    created = create(api, order, customer_comment="too tight", key="r-1")
    assert created.status_code == 201, created.content
    body = created.json()
    number = body["number"]
    assert body["status"] == "approved" and body["order"] == order.number and body["channel"] == "web"
    assert body["lines"] == [{
        "line_number": 1, "sku": "SKU-A", "quantity": 2, "reason": "too_small", "reason_text": "", "quantity_received": 0,
        "quantity_missing": 0, "quantity_accepted": 0, "condition": "", "disposition": "", "exchange_sku": None, "exchange_quantity": 0,
    }]
    assert created["ETag"] == f'"{body["version"]}"'

    received = api.post(f"/api/v1/returns/{number}/receive/", {"location": "chicago", "items": [{"sku": "SKU-A", "quantity": 2}]}, format="json")
    assert received.status_code == 200, received.content
    assert received.json()["status"] == "received" and received.json()["location"] == "chicago"

    on_hand = StockLevel.objects.get(product__sku="SKU-A").on_hand
    inspected = api.post(f"/api/v1/returns/{number}/inspect/",
                         {"lines": [{"line_number": 1, "condition": "new", "disposition": "restock"}]}, format="json")
    assert inspected.status_code == 200, inspected.content
    assert inspected.json()["status"] == "inspected" and inspected.json()["lines"][0]["quantity_accepted"] == 2
    assert StockLevel.objects.get(product__sku="SKU-A").on_hand == on_hand + 2
    assert StockMovement.objects.filter(reference=number, kind="return_restock").count() == 1

    trail = api.get(f"/api/v1/returns/{number}/events/").json()["results"]
    assert [event["kind"] for event in trail][:2] == ["created", "status"]
    listed = api.get("/api/v1/returns/?status=inspected&channel=web&reason=too_small").json()["results"]
    assert [item["number"] for item in listed] == [number]
    assert api.get("/api/v1/returns/?reason=damaged").json()["results"] == []


def test_a_retry_with_the_same_idempotency_key_creates_nothing_more(api, order):  # noqa: F811
    first = create(api, order, key="same")
    again = create(api, order, key="same")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert DomainEvent.objects.filter(name="return.requested").count() == 1


def test_an_unchanged_return_answers_304_to_its_etag(api, order):  # noqa: F811
    number = create(api, order).json()["number"]
    etag = api.get(f"/api/v1/returns/{number}/")["ETag"]
    assert api.get(f"/api/v1/returns/{number}/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    api.post(f"/api/v1/returns/{number}/cancel/", {"reason": "changed my mind"}, format="json")
    assert api.get(f"/api/v1/returns/{number}/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_refusals_come_in_the_one_error_shape_and_say_what_to_fix(api, order):  # noqa: F811
    too_many = create(api, order, lines=[{"line_number": 1, "quantity": 3, "reason": "too_small"}])
    assert too_many.status_code == 409 and error_of(too_many)["code"] == "exceeds_returnable"
    unknown_line = create(api, order, lines=[{"line_number": 9, "quantity": 1, "reason": "too_small"}])
    assert unknown_line.status_code == 400 and "has no line 9" in error_of(unknown_line)["message"]
    zero = create(api, order, lines=[{"line_number": 1, "quantity": 0, "reason": "too_small"}])
    assert zero.status_code == 400 and "lines[0].quantity" in error_of(zero)["fields"]
    unknown_order = api.post("/api/v1/returns/", {"order": "SO-9999999", "lines": [{"line_number": 1, "quantity": 1, "reason": "damaged"}]}, format="json")
    assert unknown_order.status_code == 404
    number = create(api, order).json()["number"]
    inspect_early = api.post(f"/api/v1/returns/{number}/inspect/", {"lines": [{"line_number": 1, "condition": "new", "disposition": "restock"}]}, format="json")
    assert inspect_early.status_code == 409 and error_of(inspect_early)["code"] == "invalid_transition"
    no_reason = api.post(f"/api/v1/returns/{number}/reject/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in error_of(no_reason)["fields"]
    assert api.get("/api/v1/returns/RMA-999999/").status_code == 404


def test_reading_needs_returns_read_and_changing_returns_write(client_for, order):  # noqa: F811
    reader = client_for("returns:read")
    refused = create(reader, order)
    assert refused.status_code == 403 and "returns:write" in error_of(refused)["message"]
    number = create(client_for("returns:write"), order).json()["number"]
    assert reader.get(f"/api/v1/returns/{number}/").status_code == 200
    assert client_for("orders:read").get("/api/v1/returns/").status_code == 403
