"""The API takes an order's promised delivery date, derives it from the channel, shows it, and
intake spends no query on it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Channel, Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


@pytest.fixture
def shop(api, stocked):
    stocked("SKU-A", 100)
    return api


def test_given_a_promise_when_posting_then_the_order_keeps_it_and_shows_it(shop):
    promise = timezone.localdate() + datetime.timedelta(days=4)

    response = shop.post(URL, order_payload(promised_delivery_date=promise.isoformat()), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["promised_delivery_date"] == promise.isoformat()
    order = Order.objects.get(number=response.json()["number"])
    assert order.promised_delivery_date == promise
    detail = shop.get(f"{URL}{order.number}/").json()
    assert detail["promised_delivery_date"] == promise.isoformat() and detail["promised_ship_date"] is None


def test_given_channel_delivery_days_when_posting_without_a_promise_then_it_is_derived(shop):
    Channel.objects.filter(code="web").update(delivery_days=3)

    response = shop.post(URL, order_payload(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["promised_delivery_date"] == (timezone.localdate() + datetime.timedelta(days=3)).isoformat()


@pytest.mark.parametrize("promise", ["2020-01-01", "soon", "2026-02-30"])
def test_a_promise_in_the_past_or_not_a_date_is_refused_with_the_field(shop, promise):
    response = shop.post(URL, order_payload(promised_delivery_date=promise), format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["promised_delivery_date"]
    assert not Order.objects.exists()


def _queries_of_one_post(client, **overrides) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, order_payload(**overrides), format="json", HTTP_IDEMPOTENCY_KEY=f"k-{len(overrides)}-{Order.objects.count()}")
    assert response.status_code == 201, response.json()
    return sum(1 for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT"))


# Outside a test transaction, as in production (see test_query_counts).
@pytest.mark.django_db(transaction=True)
def test_a_promise_costs_intake_no_query(api, stocked):
    from shipping.selectors import rate_card

    stocked("SKU-A", 100)
    api.get("/api/v1/locations/")
    rate_card()
    _queries_of_one_post(api)  # warm: first-use caches of the process

    plain = _queries_of_one_post(api)
    Channel.objects.filter(code="web").update(delivery_days=3)
    derived = _queries_of_one_post(api)
    given = _queries_of_one_post(api, promised_delivery_date=(timezone.localdate() + datetime.timedelta(days=2)).isoformat())

    assert plain == derived == given
