"""The cycle count API: blind for counters, expected quantities for approvers once counted."""

import datetime
import uuid

import pytest
from django.contrib.auth.models import Group

from inventory.counts import cycle_count_plan
from inventory.models import CycleCountLine, Product, StockMovement
from inventory.services import bin_create, stock_bin_assign

from .support import error_of

pytestmark = pytest.mark.django_db
HIDDEN = ("expected", "variance", "correction", "first_counted", "first_expected", "within_tolerance")


@pytest.fixture
def count(stocked, settings):
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 1, "C": 1}
    settings.OMS_COUNT_TOLERANCE = {name: {"units": 0, "percent": 0} for name in "ABC"}
    bin_create(location="chicago", code="A-1", aisle="1", position="1", actor="test")
    stocked("SKU-A", 12, gtin="4006381333931")
    stocked("SKU-B", 5)
    stock_bin_assign(sku="SKU-A", location="chicago", bin_code="A-1", actor="test")
    return cycle_count_plan(location="chicago", day=datetime.date(2030, 1, 2), actor="test")


def post(client, url, body):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))


def line_id(count, sku):
    return CycleCountLine.objects.get(count=count, product__sku=sku).pk


def lines_by_sku(body):
    return {line["sku"]: line for line in body["lines"]}


def test_a_counter_lists_and_reads_a_count_without_expected_quantities(client_for, count):
    counter = client_for("counts:read", "counts:write")
    listing = counter.get("/api/v1/cycle-counts/?location=chicago").json()
    assert [row["number"] for row in listing["results"]] == [count.number]
    assert listing["results"][0]["lines_total"] == 2 and listing["results"][0]["lines_open"] == 2

    body = counter.get(f"/api/v1/cycle-counts/{count.pk}/").json()
    assert [line["sku"] for line in body["lines"]] == ["SKU-A", "SKU-B"]  # binned first, along the path
    assert lines_by_sku(body)["SKU-A"]["bin"] == "A-1" and lines_by_sku(body)["SKU-B"]["bin"] is None
    assert all(line[name] is None for line in body["lines"] for name in HIDDEN)

    scanned = post(counter, f"/api/v1/cycle-counts/{count.pk}/scans/", {"barcode": "4006381333931"})
    assert scanned.status_code == 200, scanned.json()
    assert lines_by_sku(scanned.json())["SKU-A"]["scanned"] == 1
    assert lines_by_sku(scanned.json())["SKU-A"]["expected"] is None
    # Beyond tolerance: the counter is told to count again, never what was expected nor the first count.
    submitted = post(counter, f"/api/v1/cycle-counts/{count.pk}/counts/", {"lines": [{"line": line_id(count, "SKU-A"), "quantity": 10}]})
    line = lines_by_sku(submitted.json())["SKU-A"]
    assert line["status"] == "recount" and all(line[name] is None for name in HIDDEN)


def test_an_approver_sees_expected_once_counted_and_approves_with_a_ledger_correction(client_for, count):
    counter, manager = client_for("counts:read", "counts:write"), client_for("counts:read", "counts:approve")
    a = line_id(count, "SKU-A")
    for quantity in (10, 9):
        post(counter, f"/api/v1/cycle-counts/{count.pk}/counts/", {"lines": [{"line": a, "quantity": quantity}]})
    seen = lines_by_sku(manager.get(f"/api/v1/cycle-counts/{count.pk}/").json())
    assert (seen["SKU-A"]["expected"], seen["SKU-A"]["first_counted"], seen["SKU-A"]["variance"]) == (12, 10, -3)
    assert seen["SKU-B"]["expected"] is None  # not counted yet: blind for everyone
    assert lines_by_sku(counter.get(f"/api/v1/cycle-counts/{count.pk}/").json())["SKU-A"]["expected"] is None

    refused = post(counter, f"/api/v1/cycle-counts/{count.pk}/approve/", {})
    assert refused.status_code == 403
    approved = post(manager, f"/api/v1/cycle-counts/{count.pk}/approve/", {})
    assert approved.status_code == 200, approved.json()
    assert lines_by_sku(approved.json())["SKU-A"]["correction"] == -3
    movement = StockMovement.objects.get(reference=count.number)
    assert (movement.kind, movement.on_hand_delta, movement.actor_label) == ("count_correction", -3, manager.key.label)


@pytest.mark.parametrize("body, field", [
    ({"lines": []}, "lines"),
    ({"lines": [{"line": 1, "quantity": -1}]}, "lines"),
    ({"lines": [{"line": "x", "quantity": 1}]}, "lines"),
    ({}, "lines"),
])
def test_malformed_counts_are_400_with_what_to_fix(client_for, count, body, field):
    answer = post(client_for("counts:write"), f"/api/v1/cycle-counts/{count.pk}/counts/", body)
    assert answer.status_code == 400
    assert any(key.startswith(field) for key in error_of(answer)["fields"])


def test_unknown_lines_unknown_counts_and_unknown_barcodes_are_named(client_for, count):
    counter = client_for("counts:write")
    answer = post(counter, f"/api/v1/cycle-counts/{count.pk}/counts/", {"lines": [{"line": 999999, "quantity": 1}]})
    assert answer.status_code == 400 and error_of(answer)["fields"] == {"lines[0].line": [f"Line 999999 is not on {count.number}."]}
    assert post(counter, "/api/v1/cycle-counts/999999/scans/", {"barcode": "SKU-A"}).status_code == 404
    wrong = post(counter, f"/api/v1/cycle-counts/{count.pk}/scans/", {"barcode": "NOT-HERE"})
    assert wrong.status_code == 409 and error_of(wrong)["code"] == "not_on_count"
    nothing = post(client_for("counts:approve"), f"/api/v1/cycle-counts/{count.pk}/approve/", {})
    assert nothing.status_code == 409 and error_of(nothing)["code"] == "nothing_to_approve"


def test_a_warehouse_session_counts_but_may_not_approve(client, count, django_user_model):
    from oms.roles import roles_sync

    roles_sync()
    user = django_user_model.objects.create_user("floor", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(user)
    assert client.get(f"/api/v1/cycle-counts/{count.pk}/").status_code == 200
    answer = client.post(f"/api/v1/cycle-counts/{count.pk}/approve/", {}, content_type="application/json",
                         HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 403
    assert Product.objects.filter(sku="SKU-A").exists()
