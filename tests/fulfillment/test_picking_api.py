"""The WMS API: build pick lists, read the tasks in path order, confirm picks and shorts, pack by scan."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import FulfillmentOrder, FulfillmentStatus, Package, PackageType, PickList
from inventory.models import Bin, Product, StockLevel

from ..api.conftest import api, client_for  # noqa: F401
from .fulfillment_support import in_fulfillment, ledger_reconciles, receive  # noqa: F401


@pytest.fixture
def pending(warehouse, receive, in_fulfillment):
    """``pending(n)``: n pending fulfillment orders at the warehouse, each of 1 × NEAR and 2 × FAR."""
    receive("NEAR", 100, warehouse)
    receive("FAR", 100, warehouse)
    Product.objects.filter(sku="FAR").update(gtin="0012345678905")
    for sku, aisle in (("NEAR", "01"), ("FAR", "04")):
        bin_ = Bin.objects.create(location=warehouse, code=f"A-{aisle}-1-03", zone="A", aisle=aisle, shelf="1", position="03")
        StockLevel.objects.filter(product__sku=sku, location=warehouse).update(bin=bin_)

    def make(n: int) -> list[FulfillmentOrder]:
        return [FulfillmentOrder.objects.get(order=in_fulfillment([("FAR", 2), ("NEAR", 1)])) for _ in range(n)]

    return make


def build(client, fos, kind="batch", **extra):
    body = {"location": "chicago", "kind": kind, "fulfillment_orders": [fo.number for fo in fos], **extra}
    return client.post("/api/v1/pick-lists/", body, format="json")


def test_given_pending_orders_when_a_wms_builds_a_batch_then_it_gets_the_tasks_in_path_order_with_slots(api, pending):
    fos = pending(2)

    response = build(api, fos)

    assert response.status_code == 201, response.json()
    (pick_list,) = response.json()["pick_lists"]
    assert [(t["bin"], t["sku"], t["quantity"], t["slot"], t["fulfillment_order"]) for t in pick_list["lines"]] == [
        ("A-01-1-03", "NEAR", 1, 1, fos[0].number), ("A-01-1-03", "NEAR", 1, 2, fos[1].number),
        ("A-04-1-03", "FAR", 2, 1, fos[0].number), ("A-04-1-03", "FAR", 2, 2, fos[1].number),
    ]
    detail = api.get(f"/api/v1/pick-lists/{pick_list['id']}/").json()
    assert [t["sequence"] for t in detail["lines"]] == [1, 2, 3, 4]
    assert {fo.status for fo in FulfillmentOrder.objects.filter(pk__in=[fo.pk for fo in fos])} == {FulfillmentStatus.PICKING}


def test_given_an_unknown_fulfillment_order_when_a_build_names_it_then_400_names_it(api, pending):
    response = build(api, [*pending(1), FulfillmentOrder(number="SO-9999999-1")])

    assert response.status_code == 400
    assert "SO-9999999-1" in response.json()["error"]["message"]
    assert PickList.objects.count() == 0


def test_given_a_read_only_key_when_it_builds_or_confirms_then_403_and_it_may_still_read(client_for, api, pending):
    reader = client_for("fulfillment:read")
    fos = pending(1)

    assert build(reader, fos).status_code == 403
    pick_list = build(api, fos).json()["pick_lists"][0]
    assert reader.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm/", {"lines": []}, format="json").status_code == 403
    assert reader.get("/api/v1/pick-lists/").status_code == 200
    assert client_for("orders:read").get("/api/v1/pick-lists/").status_code == 403


def test_given_pick_lists_when_listed_with_filters_then_only_matching_ones_come_back(api, pending):
    fos = pending(3)
    build(api, fos[:1], kind="single")
    build(api, fos[1:], kind="batch")

    kinds = [p["kind"] for p in api.get("/api/v1/pick-lists/?location=chicago&kind=single").json()["results"]]
    assert kinds == ["single"]
    assert api.get("/api/v1/pick-lists/?status=done").json()["results"] == []
    assert api.get("/api/v1/pick-lists/?status=nonsense").status_code == 400


def test_given_a_page_of_pick_lists_when_listed_then_the_query_count_does_not_grow_with_the_page(api, pending):
    fos = pending(5)
    build(api, fos[:1], kind="single")
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/api/v1/pick-lists/").json()["results"]) == 1
    build(api, fos[1:], kind="single")

    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/pick-lists/").json()["results"]) == 5

    assert len(many) == len(few)


def test_given_a_pick_list_when_a_wms_confirms_a_full_and_a_short_pick_in_one_call_then_the_list_is_done_and_the_order_held(api, pending):
    (fo,) = pending(1)
    pick_list = build(api, [fo], kind="single").json()["pick_lists"][0]
    near, far = pick_list["lines"]

    response = api.post(
        f"/api/v1/pick-lists/{pick_list['id']}/confirm/",
        {"lines": [{"id": near["id"], "quantity_picked": 1}, {"id": far["id"], "quantity_picked": 1}]},
        format="json", HTTP_IDEMPOTENCY_KEY="confirm-1",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done"
    assert [(t["quantity_picked"], t["short"]) for t in body["lines"]] == [(1, False), (1, True)]
    stored = FulfillmentOrder.objects.get(pk=fo.pk)
    assert stored.is_held
    assert StockLevel.objects.get(product__sku="FAR").on_hand == 99


def test_given_a_short_pick_with_a_reason_when_confirmed_through_the_api_then_the_task_and_the_hold_say_why(api, pending):
    (fo,) = pending(1)
    pick_list = build(api, [fo], kind="single").json()["pick_lists"][0]
    near, far = pick_list["lines"]
    url = f"/api/v1/pick-lists/{pick_list['id']}/confirm/"

    unknown = api.post(url, {"lines": [{"id": far["id"], "quantity_picked": 0, "short_reason": "lost"}]}, format="json")
    unsaid = api.post(url, {"lines": [{"id": far["id"], "quantity_picked": 0, "short_reason": "other"}]}, format="json")
    response = api.post(
        url, {"lines": [{"id": near["id"], "quantity_picked": 1, "short_reason": "damaged"},
                        {"id": far["id"], "quantity_picked": 1, "short_reason": "wrong_item", "short_note": "bin held blue cups"}]},
        format="json",
    )

    assert unknown.status_code == 400 and "short_reason" in str(unknown.json()["error"]["fields"])
    assert unsaid.status_code == 400 and "short_note" in unsaid.json()["error"]["fields"]
    assert response.status_code == 200, response.json()
    tasks = {t["sku"]: t for t in response.json()["lines"]}
    assert (tasks["NEAR"]["short_reason"], tasks["NEAR"]["short_note"]) == ("", "")  # a full pick keeps no reason
    assert (tasks["FAR"]["short_reason"], tasks["FAR"]["short_note"]) == ("wrong_item", "bin held blue cups")
    hold = FulfillmentOrder.objects.get(pk=fo.pk).holds.get(reason="short_pick")
    assert "(wrong item at the bin: bin held blue cups)" in hold.detail


def test_given_a_confirmation_of_more_than_asked_then_400_and_nothing_is_confirmed(api, pending):
    (fo,) = pending(1)
    pick_list = build(api, [fo], kind="single").json()["pick_lists"][0]

    response = api.post(
        f"/api/v1/pick-lists/{pick_list['id']}/confirm/", {"lines": [{"id": pick_list["lines"][0]["id"], "quantity_picked": 5}]}, format="json"
    )

    assert response.status_code == 400
    assert api.get(f"/api/v1/pick-lists/{pick_list['id']}/").json()["status"] == "open"


def test_given_a_picked_order_when_a_wms_packs_it_by_scan_then_a_wrong_item_is_refused_whole_and_the_right_ones_pack_it(api, pending):
    PackageType.objects.create(code="box-m", name="Medium box", inner_length_mm=400, inner_width_mm=300, inner_height_mm=200, max_weight_grams=10000)
    (fo,) = pending(1)
    pick_list = build(api, [fo], kind="single").json()["pick_lists"][0]
    api.post(
        f"/api/v1/pick-lists/{pick_list['id']}/confirm/",
        {"lines": [{"id": t["id"], "quantity_picked": t["quantity"]} for t in pick_list["lines"]]}, format="json",
    )
    url = f"/api/v1/fulfillment-orders/{fo.number}/pack/"

    refused = api.post(url, {"items": [{"barcode": "NEAR"}, {"barcode": "NEAR"}]}, format="json")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "exceeds_picked"
    assert Package.objects.count() == 0  # the first NEAR was not kept either

    packed = api.post(
        url,
        {"items": [{"barcode": "NEAR"}, {"barcode": "0012345678905", "quantity": 2}],
         "package": {"package_type": "box-m", "weight_grams": 1800, "dimensions": {"length_mm": 380, "width_mm": 280, "height_mm": 150}}},
        format="json", HTTP_IDEMPOTENCY_KEY="pack-1",
    )

    assert packed.status_code == 200, packed.json()
    assert packed.json()["status"] == "packed"
    assert [(line["sku"], line["packed"], line["remaining"]) for line in packed.json()["lines"]] == [("FAR", 2, 0), ("NEAR", 1, 0)]
    assert Package.objects.get().height_mm == 150
