"""Order intake is the hot path: its query count must not grow with the order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..factories import place_order
from .support import order_payload

pytestmark = pytest.mark.django_db

MAX_INTAKE_QUERIES = 15


@pytest.fixture
def warm_api(api, stocked, process_caches_held):
    """A client past its first order, whose key's last-use stamp is already fresh, in a process
    that has read the rate cards routing prices parcels with, the screening rules and the channels'
    stock rules (as every process soon has)."""
    for sku in ("SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"):
        stocked(sku, 100)
    _warm_up(api)
    return api


@pytest.fixture(autouse=True)
def _customers_told_by_workers():
    """Intake's own statements are counted: the customer's notification is recorded and sent by
    a worker (events are dispatched by a Celery task), which these in-process tests would
    otherwise run inside the request."""
    from portal.notifications.events import notifications_muted

    with notifications_muted():
        yield


def _warm_up(client):
    """One order, so the process reads what intake keeps (rules, rate cards) as of now."""
    response = client.post("/api/v1/orders/", order_payload([("SKU-E", 1)]), format="json")
    assert response.status_code == 201, response.json()


def _post_order_queries(client, lines) -> int:
    """Statements one order costs, transaction control (BEGIN, COMMIT) aside, as bench/intake counts them."""
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/orders/", order_payload(lines), format="json", HTTP_IDEMPOTENCY_KEY=f"q-{len(lines)}")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "allocated"
    return sum(1 for query in queries.captured_queries if query["sql"] not in ("BEGIN", "COMMIT"))


# Outside a test transaction, as in production: inside one, the service's atomic block would
# send SAVEPOINT statements where a real request sends BEGIN and COMMIT.
@pytest.mark.django_db(transaction=True)
def test_when_orders_of_one_and_five_lines_are_posted_then_both_take_the_same_few_queries(warm_api):
    one_line = _post_order_queries(warm_api, [("SKU-A", 1)])
    five_lines = _post_order_queries(warm_api, [(sku, 2) for sku in ("SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E")])

    assert one_line == five_lines
    assert five_lines <= MAX_INTAKE_QUERIES


def test_given_a_page_of_orders_when_listed_then_the_query_count_does_not_grow_with_the_page(warm_api):
    place_order([("SKU-A", 1)])
    with CaptureQueriesContext(connection) as few:
        assert len(warm_api.get("/api/v1/orders/").json()["results"]) == 2  # the warm-up order too
    for _ in range(4):
        place_order([("SKU-A", 1), ("SKU-B", 1)], payment_status="pending")

    with CaptureQueriesContext(connection) as many:
        assert len(warm_api.get("/api/v1/orders/").json()["results"]) == 6

    assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_given_a_channel_stock_rule_when_an_order_comes_then_it_costs_no_more_queries_than_without(warm_api, warehouse):
    from inventory.models import ChannelStockRule

    without_rule = _post_order_queries(warm_api, [("SKU-A", 1)])
    rule = ChannelStockRule.objects.create(channel_code="web", share_percent=50, buffer_units=1)
    rule.locations.set([warehouse])
    _warm_up(warm_api)  # the process has read the changed rules, as its first order after the change does

    with_rule = _post_order_queries(warm_api, [("SKU-A", 3), ("SKU-B", 1), ("SKU-C", 2)])

    assert with_rule == without_rule
