"""The events feed: oldest first by id, so a receiver that was down catches up from the last id it saw."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms import events
from oms.models import DomainEvent
from orders.services import order_cancel

from ..factories import place_order
from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(settings):
    """Events show as soon as they are recorded (the feed's hold-back is about concurrent commits)."""
    settings.OMS_EVENTS_FEED_SETTLE_SECONDS = 0


@pytest.fixture
def reader(client_for):
    return client_for("events:read")


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [event["id"] for event in response.json()["results"]]


def test_an_orders_events_are_numbered_1_2_3_in_its_stream(reader, stocked, settled):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    order_cancel(order_id=order.pk, actor="test", reason="customer changed their mind")

    body = reader.get(f"/api/v1/events/?stream=order:{order.pk}").json()

    assert [(e["type"], e["sequence"]) for e in body["results"]] == [("order.created", 1), ("order.allocated", 2), ("order.cancelled", 3)]
    assert all(e["stream"] == f"order:{order.pk}" and e["data"]["number"] == order.number for e in body["results"])
    assert body["results"][-1]["data"]["status"] == "cancelled"
    assert body["results"][0]["uuid"] == str(DomainEvent.objects.get(name="order.created").uuid)


def test_a_receiver_that_was_down_catches_up_page_by_page_and_then_waits(reader, settled):
    recorded = [events.event_record("test.ping", {"n": n}).pk for n in range(7)]
    before = DomainEvent.objects.filter(pk__lt=recorded[0]).order_by("-id").values_list("id", flat=True).first() or 0

    seen, url, pages = [], f"/api/v1/events/?after={before}&limit=3", 0
    while url:
        body = reader.get(url).json()
        seen += [e["id"] for e in body["results"]]
        url, pages = body["next"], pages + 1
    caught_up = reader.get(f"/api/v1/events/?after={body['last_id']}").json()
    new = events.event_record("test.ping", {"n": 8})
    later = reader.get(f"/api/v1/events/?after={body['last_id']}").json()

    assert seen == recorded and pages == 3
    assert caught_up["results"] == [] and caught_up["next"] is None and caught_up["last_id"] == recorded[-1]
    assert [e["id"] for e in later["results"]] == [new.pk]


def test_events_can_be_picked_by_type_or_prefix(reader, settled):
    ping = events.event_record("test.ping", {}).pk
    pong = events.event_record("test.pong", {}).pk
    other = events.event_record("other.thing", {}).pk

    assert _ids(reader.get("/api/v1/events/?type=test.ping")) == [ping]
    assert _ids(reader.get("/api/v1/events/?type=test.*")) == [ping, pong]
    assert other in _ids(reader.get("/api/v1/events/"))


def test_the_newest_events_are_held_back_until_earlier_transactions_can_have_committed(reader, settings):
    settings.OMS_EVENTS_FEED_SETTLE_SECONDS = 5
    old = events.event_record("test.ping", {}).pk
    DomainEvent.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(seconds=10))
    fresh = events.event_record("test.ping", {}).pk

    shown = _ids(reader.get("/api/v1/events/?type=test.ping"))

    assert old in shown and fresh not in shown


def test_the_feed_costs_the_same_queries_for_any_page_size(reader, settled):
    for n in range(30):
        events.event_record("test.ping", {"n": n})
    reader.get("/api/v1/events/?limit=1")

    counts = []
    for limit in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            assert len(_ids(reader.get(f"/api/v1/events/?type=test.ping&limit={limit}"))) == limit
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_feed_needs_the_events_read_scope_and_sane_parameters(client_for, reader, settled):
    refused = client_for("orders:read").get("/api/v1/events/")
    bad_after = reader.get("/api/v1/events/?after=yesterday")
    too_many = reader.get("/api/v1/events/?limit=100000")

    assert refused.status_code == 403 and "events:read" in error_of(refused)["message"]
    assert bad_after.status_code == 400 and "after" in error_of(bad_after)["fields"]
    assert too_many.status_code == 400 and "limit" in error_of(too_many)["fields"]
