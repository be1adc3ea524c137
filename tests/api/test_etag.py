"""ETag on reads, If-Match on changes: two integrations editing one order never overwrite each other."""

import threading

import pytest
from django.db import connection

from orders.models import Order

from ..factories import place_order
from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(stocked):
    stocked("SKU-A", 10)
    return place_order([("SKU-A", 1)])


def _patch(api, order, body, **headers):
    return api.patch(f"/api/v1/orders/{order.number}/", body, format="json", **headers)


def test_when_an_order_is_read_then_its_etag_is_its_version(api, order):
    response = api.get(f"/api/v1/orders/{order.number}/")

    assert response.status_code == 200
    assert response["ETag"] == f'"{response.json()["version"]}"'
    assert response.json()["version"] == Order.objects.get(pk=order.pk).version


def test_given_an_unchanged_order_when_read_with_its_etag_in_if_none_match_then_304_without_a_body(api, order):
    etag = api.get(f"/api/v1/orders/{order.number}/")["ETag"]

    response = api.get(f"/api/v1/orders/{order.number}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert not response.content


def test_given_an_order_changed_since_it_was_read_when_read_with_the_old_etag_then_the_new_order_is_answered(api, order):
    old = api.get(f"/api/v1/orders/{order.number}/")["ETag"]
    _patch(api, order, {"note": "leave at the back door"}, HTTP_IF_MATCH=old)

    response = api.get(f"/api/v1/orders/{order.number}/", HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert response.json()["note"] == "leave at the back door"


def test_when_a_change_is_sent_without_if_match_then_428_and_nothing_changes(api, order):
    response = _patch(api, order, {"note": "blind write"})

    assert response.status_code == 428
    error = error_of(response)
    assert error["code"] == "precondition_required"
    assert "If-Match" in error["fields"]
    assert Order.objects.get(pk=order.pk).note == ""


def test_when_a_change_names_an_old_version_then_412_says_the_current_one_and_nothing_changes(api, order):
    current = Order.objects.get(pk=order.pk).version

    response = _patch(api, order, {"note": "stale"}, HTTP_IF_MATCH=f'"{current - 1}"')

    assert response.status_code == 412
    error = error_of(response)
    assert error["code"] == "precondition_failed"
    assert error["fields"]["If-Match"] == [f'Current ETag is "{current}".']
    assert Order.objects.get(pk=order.pk).note == ""


def test_when_if_match_is_not_an_etag_then_412(api, order):
    response = _patch(api, order, {"note": "x"}, HTTP_IF_MATCH="yesterday")

    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"


def test_when_a_change_carries_the_current_etag_then_it_is_applied_and_answered_with_the_next_etag(api, order):
    etag = api.get(f"/api/v1/orders/{order.number}/")["ETag"]

    response = _patch(api, order, {"note": "gift wrap"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.json()
    assert response.json()["note"] == "gift wrap"
    assert response["ETag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    assert response["ETag"] == api.get(f"/api/v1/orders/{order.number}/")["ETag"]


def test_given_two_clients_holding_the_same_etag_when_both_change_the_order_then_the_second_gets_412(client_for, order):
    alice, bob = client_for("orders:read", "orders:write"), client_for("orders:read", "orders:write")
    etag = alice.get(f"/api/v1/orders/{order.number}/")["ETag"]
    assert bob.get(f"/api/v1/orders/{order.number}/")["ETag"] == etag

    first = _patch(alice, order, {"note": "from Alice"}, HTTP_IF_MATCH=etag)
    second = _patch(bob, order, {"note": "from Bob"}, HTTP_IF_MATCH=etag)

    assert first.status_code == 200
    assert second.status_code == 412
    assert Order.objects.get(pk=order.pk).note == "from Alice"


def test_when_if_match_is_a_star_then_the_change_applies_to_whatever_version_is_current(api, order):
    response = _patch(api, order, {"note": "any version"}, HTTP_IF_MATCH="*")

    assert response.status_code == 200
    assert response.json()["note"] == "any version"


def test_when_a_weak_etag_is_sent_in_if_match_then_412_asks_for_the_strong_one_and_nothing_changes(api, order):
    etag = api.get(f"/api/v1/orders/{order.number}/")["ETag"]

    response = _patch(api, order, {"note": "via proxy"}, HTTP_IF_MATCH=f"W/{etag}")

    assert response.status_code == 412  # RFC 9110: If-Match compares strongly, a weak tag never matches
    error = error_of(response)
    assert error["code"] == "precondition_failed"
    assert "strong ETag" in error["message"]
    assert Order.objects.get(pk=order.pk).note == ""


def test_when_if_match_lists_etags_then_the_change_applies_if_any_of_them_is_current(api, order):
    etag = api.get(f"/api/v1/orders/{order.number}/")["ETag"]
    old = f'"{int(etag.strip(chr(34))) - 1}"'

    response = _patch(api, order, {"note": "one of them"}, HTTP_IF_MATCH=f'{old}, W/{etag}, {etag}')

    assert response.status_code == 200, response.json()
    assert response.json()["note"] == "one of them"


def test_when_if_match_lists_only_old_etags_then_412(api, order):
    current = Order.objects.get(pk=order.pk).version

    response = _patch(api, order, {"note": "stale"}, HTTP_IF_MATCH=f'"{current - 1}", "{current + 5}"')

    assert response.status_code == 412
    assert Order.objects.get(pk=order.pk).note == ""


def test_given_no_such_order_when_changed_with_if_match_star_then_404(api, db):
    response = api.patch("/api/v1/orders/SO-9999999/", {"note": "x"}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 404


def test_when_a_weak_etag_is_sent_in_if_none_match_then_it_still_answers_304(api, order):
    etag = api.get(f"/api/v1/orders/{order.number}/")["ETag"]

    response = api.get(f"/api/v1/orders/{order.number}/", HTTP_IF_NONE_MATCH=f"W/{etag}")

    assert response.status_code == 304  # If-None-Match compares weakly


@pytest.mark.parametrize("header", ['"' + "9" * 5000 + '"', '"3" "4"', "*, \"3\"", 'W/"x"'])
def test_when_if_match_is_malformed_then_412_not_a_server_error(api, order, header):
    response = _patch(api, order, {"note": "x"}, HTTP_IF_MATCH=header)

    assert response.status_code == 412
    assert Order.objects.get(pk=order.pk).note == ""


def test_when_lines_are_replaced_without_if_match_then_428(api, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")

    response = api.put(f"/api/v1/orders/{held.number}/lines/", {"lines": [{"sku": "SKU-A", "quantity": 2, "unit_price": "20.00"}]}, format="json")

    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    assert list(Order.objects.get(pk=held.pk).lines.values_list("quantity", flat=True)) == [1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_concurrent_changes_with_the_same_etag_then_exactly_one_is_applied(client_for, stocked):
    stocked("SKU-A", 10)
    order = place_order([("SKU-A", 1)])
    clients = [client_for("orders:write") for _ in range(2)]
    etag = f'"{Order.objects.get(pk=order.pk).version}"'
    barrier, statuses = threading.Barrier(2), []

    def change(client, note):
        try:
            barrier.wait(timeout=30)
            statuses.append(_patch(client, order, {"note": note}, HTTP_IF_MATCH=etag).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(client, f"note {i}")) for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 412]
    assert Order.objects.get(pk=order.pk).version == int(etag.strip('"')) + 1
