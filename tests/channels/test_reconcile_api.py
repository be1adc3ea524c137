"""Catch-ups through the API: start one (202, carried on after commit), read the runs and one run's report."""

import pytest

from orders.models import ChannelConnection, ChannelReconciliation, Order

from ..api.support import error_of


@pytest.fixture
def woo_connection(woo_channel, platform):
    return ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_2",
    )


def test_an_erp_starts_a_catch_up_and_reads_its_report(client_for, woo_connection, woo_channel, platform, django_capture_on_commit_callbacks):
    platform.play("woocommerce/catch_up_orders")
    erp = client_for("orders:read", "orders:write")

    with django_capture_on_commit_callbacks(execute=True):
        started = erp.post("/api/v1/channels/woo-de/catch-ups/", {"since": "2026-12-03T15:00:00Z"}, format="json", HTTP_IDEMPOTENCY_KEY="cu-1")
    listed = erp.get("/api/v1/channels/woo-de/catch-ups/")
    report = erp.get(f"/api/v1/channels/woo-de/catch-ups/{started.json()['id']}/")

    assert started.status_code == 202, started.content
    assert started.json()["status"] == "running" and started.json()["window_from"] == "2026-12-03T15:00:00Z"
    assert [run["ingested"] for run in listed.json()["results"]] == [2]
    body = report.json()
    assert body["status"] == "ok" and body["started_by"] == f"api:{erp.key_name}"
    cancelled = Order.objects.get(channel=woo_channel, external_id="9102")
    assert {"external_id": "9102", "name": "9102", "outcome": "ingested", "order": cancelled.number} == {
        key: value for key, value in body["lines"][1].items() if key != "detail"
    }


def test_a_second_start_while_one_runs_is_a_conflict(api, woo_connection, woo_channel, platform):
    first = api.post("/api/v1/channels/woo-de/catch-ups/", {}, format="json", HTTP_IDEMPOTENCY_KEY="cu-a")  # not carried on: no commit in the test

    second = api.post("/api/v1/channels/woo-de/catch-ups/", {}, format="json", HTTP_IDEMPOTENCY_KEY="cu-b")

    assert first.status_code == 202 and second.status_code == 409
    assert error_of(second)["code"] == "reconciliation_running" and ChannelReconciliation.objects.count() == 1


@pytest.mark.parametrize("body, field", [({"since": "last tuesday"}, "since"), ({"since": "2999-01-01T00:00:00Z"}, "since")])
def test_a_bad_start_says_which_field_to_fix(api, woo_connection, body, field):
    response = api.post("/api/v1/channels/woo-de/catch-ups/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"cu-{body['since']}")

    assert response.status_code == 400 and field in error_of(response)["fields"]
    assert not ChannelReconciliation.objects.exists()


def test_unknown_channel_or_run_is_404(api, woo_connection):
    assert api.get("/api/v1/channels/nowhere/catch-ups/").status_code == 404
    assert api.get("/api/v1/channels/woo-de/catch-ups/999/").status_code == 404


def test_a_read_only_key_may_read_runs_but_not_start_one(client_for, woo_connection):
    reader = client_for("orders:read")

    refused = reader.post("/api/v1/channels/woo-de/catch-ups/", {}, format="json", HTTP_IDEMPOTENCY_KEY="cu-r")

    assert refused.status_code == 403 and reader.get("/api/v1/channels/woo-de/catch-ups/").status_code == 200
    assert not ChannelReconciliation.objects.exists()
