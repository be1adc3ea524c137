"""The webhook API: subscriptions (secret once, If-Match), deliveries with filters, re-delivery, scopes, ownership."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from oms import events
from oms.models import ApiKey, WebhookDelivery, WebhookSubscription
from oms.webhooks import webhook_wants

from ..api.support import error_of
from .conftest import integration_make, signature_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_client():
    """``key_client(integration, *scopes)``: an API client whose key belongs to ``integration`` (None: to none)."""

    def make(integration=None, *scopes):
        key, raw_key = ApiKey.generate(name=f"key-{ApiKey.objects.count() + 1}", scopes=scopes, integration=integration)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make


@pytest.fixture
def shop():
    return integration_make(code="shop")


@pytest.fixture
def erp():
    return integration_make(code="erp")


def _owed(subscription, name="test.ping", status=WebhookDelivery.Status.PENDING) -> WebhookDelivery:
    """A delivery owed to ``subscription`` (the event is recorded; nothing is sent)."""
    event = events.event_record(name, {"n": 1})
    return WebhookDelivery.objects.create(event=event, subscription=subscription, status=status)


def test_a_subscription_is_created_for_the_keys_own_integration_and_its_secret_shown_only_then(key_client, shop, receiver):
    client = key_client(shop, "webhooks:manage")

    created = client.post("/api/v1/webhooks/subscriptions/", {"url": receiver.url, "events": ["order.*"]}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["integration"] == "shop" and body["events"] == ["order.*"] and body["version"] == 1
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) >= 24
    assert WebhookSubscription.objects.get().secret == body["secret"]
    detail = client.get(f"/api/v1/webhooks/subscriptions/{body['id']}/")
    listed = client.get("/api/v1/webhooks/subscriptions/")
    assert "secret" not in detail.json() and detail["ETag"] == '"1"'
    assert [s["id"] for s in listed.json()["results"]] == [body["id"]] and "secret" not in listed.json()["results"][0]
    assert webhook_wants("order.created")


def test_malformed_subscriptions_are_refused_per_field(key_client, shop):
    client = key_client(shop, "webhooks:manage")

    bad_events = client.post("/api/v1/webhooks/subscriptions/", {"url": "https://x.example/h", "events": ["Order Created"]}, format="json")
    bad_url = client.post("/api/v1/webhooks/subscriptions/", {"url": "ftp://x.example/h", "events": ["*"]}, format="json")
    no_events = client.post("/api/v1/webhooks/subscriptions/", {"url": "https://x.example/h", "events": []}, format="json")

    assert [r.status_code for r in (bad_events, bad_url, no_events)] == [400, 400, 400]
    assert "events" in error_of(bad_events)["fields"] and "url" in error_of(bad_url)["fields"]
    assert "events" in error_of(no_events)["fields"]
    assert not WebhookSubscription.objects.exists()


def test_a_key_sees_and_changes_only_its_own_integrations_subscriptions(key_client, shop, erp, subscribe, receiver):
    mine = subscribe(receiver.url, integration=shop)
    theirs = subscribe(receiver.url, integration=erp)
    client = key_client(shop, "webhooks:manage")

    listed = client.get("/api/v1/webhooks/subscriptions/").json()["results"]
    foreign = client.get(f"/api/v1/webhooks/subscriptions/{theirs.pk}/")
    foreign_patch = client.patch(f"/api/v1/webhooks/subscriptions/{theirs.pk}/", {"is_active": False}, format="json", HTTP_IF_MATCH='"1"')
    foreign_create = client.post("/api/v1/webhooks/subscriptions/", {"integration": "erp", "url": receiver.url, "events": ["*"]}, format="json")

    assert [s["id"] for s in listed] == [mine.pk]
    assert foreign.status_code == 404 and foreign_patch.status_code == 404
    assert foreign_create.status_code == 400 and "integration" in error_of(foreign_create)["fields"]
    assert WebhookSubscription.objects.get(pk=theirs.pk).is_active


def test_a_key_of_no_integration_manages_no_webhooks(key_client, shop, subscribe, receiver):
    """Such a key could otherwise read every integration's subscriptions and point any of their
    events (customer data) at an address of its choosing."""
    theirs = subscribe(receiver.url, integration=shop)
    _owed(theirs)
    client = key_client(None)  # every scope, webhooks:manage included

    answers = [
        client.get("/api/v1/webhooks/subscriptions/"),
        client.post("/api/v1/webhooks/subscriptions/", {"integration": "shop", "url": receiver.url, "events": ["*"]}, format="json"),
        client.get(f"/api/v1/webhooks/subscriptions/{theirs.pk}/"),
        client.patch(f"/api/v1/webhooks/subscriptions/{theirs.pk}/", {"url": "https://elsewhere.example/h"}, format="json", HTTP_IF_MATCH='"1"'),
        client.delete(f"/api/v1/webhooks/subscriptions/{theirs.pk}/"),
        client.get("/api/v1/webhooks/deliveries/"),
    ]

    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert "belongs to no integration" in error_of(answers[1])["message"]
    assert list(WebhookSubscription.objects.values_list("url", flat=True)) == [receiver.url]


def test_changing_a_subscription_needs_the_current_etag(key_client, shop, subscribe, receiver):
    subscription = subscribe(receiver.url, integration=shop, events=["order.created"])
    client = key_client(shop, "webhooks:manage")
    url = f"/api/v1/webhooks/subscriptions/{subscription.pk}/"

    blind = client.patch(url, {"events": ["order.shipped"]}, format="json")
    changed = client.patch(url, {"events": ["order.shipped"]}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(url, {"is_active": False}, format="json", HTTP_IF_MATCH='"1"')

    assert (blind.status_code, changed.status_code, stale.status_code) == (428, 200, 412)
    assert changed.json()["events"] == ["order.shipped"] and changed["ETag"] == '"2"'
    assert webhook_wants("order.shipped") and not webhook_wants("order.created")
    assert WebhookSubscription.objects.get().is_active


def test_a_deleted_subscription_is_gone_and_wants_nothing(key_client, shop, subscribe, receiver):
    subscription = subscribe(receiver.url, integration=shop, events=["order.created"])
    _owed(subscription)
    client = key_client(shop, "webhooks:manage")

    stale = client.delete(f"/api/v1/webhooks/subscriptions/{subscription.pk}/", HTTP_IF_MATCH='"7"')
    deleted = client.delete(f"/api/v1/webhooks/subscriptions/{subscription.pk}/")

    assert (stale.status_code, deleted.status_code) == (412, 204)
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert not webhook_wants("order.created")


def test_deliveries_are_listed_newest_first_with_filters(key_client, shop, erp, subscribe, receiver):
    mine = subscribe(receiver.url, integration=shop)
    other = subscribe(receiver.url, integration=shop)
    pinged = _owed(mine, "test.ping")
    failed = _owed(mine, "test.pong", status=WebhookDelivery.Status.FAILED)
    elsewhere = _owed(other, "test.ping")
    _owed(subscribe(receiver.url, integration=erp), "test.ping")
    client = key_client(shop, "webhooks:manage")

    def ids(query=""):
        response = client.get(f"/api/v1/webhooks/deliveries/{query}")
        assert response.status_code == 200, response.json()
        return [d["id"] for d in response.json()["results"]]

    assert ids() == [elsewhere.pk, failed.pk, pinged.pk]  # not the ERP's
    assert ids(f"?subscription={mine.pk}") == [failed.pk, pinged.pk]
    assert ids("?status=failed") == [failed.pk]
    assert ids("?event_type=test.ping") == [elsewhere.pk, pinged.pk]
    listed = client.get("/api/v1/webhooks/deliveries/").json()["results"][0]
    assert listed["event_uuid"] == str(elsewhere.event.uuid) and listed["event_type"] == "test.ping"
    assert client.get("/api/v1/webhooks/deliveries/?status=lost").status_code == 400


def test_listing_deliveries_costs_the_same_queries_for_any_page_size(key_client, shop, subscribe, receiver):
    subscription = subscribe(receiver.url, integration=shop)
    for _ in range(12):
        _owed(subscription)
    client = key_client(shop, "webhooks:manage")
    client.get("/api/v1/webhooks/deliveries/")  # the key is looked up once per process

    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"/api/v1/webhooks/deliveries/?page_size={size}").json()["results"]) == size
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_redelivery_through_the_api_sends_the_same_webhook_id_again(
    key_client, shop, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url, integration=shop)
    with django_capture_on_commit_callbacks(execute=True):
        events.event_record("test.ping", {"n": 1})
    delivery = WebhookDelivery.objects.get()
    client = key_client(shop, "webhooks:manage")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/", HTTP_IDEMPOTENCY_KEY="again-1")

    assert response.status_code == 202, response.json()
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    assert signature_valid(receiver.requests[1], subscription.secret)
    detail = client.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [200, 200]


def test_a_redelivery_of_another_integrations_delivery_is_not_found(key_client, shop, erp, subscribe, receiver):
    theirs = _owed(subscribe(receiver.url, integration=erp))

    response = key_client(shop, "webhooks:manage").post(f"/api/v1/webhooks/deliveries/{theirs.pk}/redeliver/")

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert receiver.requests == []


def test_a_redelivery_to_a_switched_off_subscription_is_refused(key_client, shop, subscribe, receiver):
    delivery = _owed(subscribe(receiver.url, integration=shop, is_active=False), status=WebhookDelivery.Status.FAILED)

    response = key_client(shop, "webhooks:manage").post(f"/api/v1/webhooks/deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 409 and error_of(response)["code"] == "subscription_inactive"
    assert WebhookDelivery.objects.get().status == "failed"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/webhooks/subscriptions/"),
        ("post", "/api/v1/webhooks/subscriptions/"),
        ("get", "/api/v1/webhooks/subscriptions/1/"),
        ("patch", "/api/v1/webhooks/subscriptions/1/"),
        ("delete", "/api/v1/webhooks/subscriptions/1/"),
        ("get", "/api/v1/webhooks/deliveries/"),
        ("post", "/api/v1/webhooks/deliveries/1/redeliver/"),
    ],
)
def test_every_webhook_endpoint_needs_the_webhooks_manage_scope(key_client, shop, method, path):
    client = key_client(shop, "orders:read", "events:read")

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 403 and "webhooks:manage" in error_of(response)["message"]
    assert APIClient().get(path).status_code in (401, 403)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/h", "http://localhost/h", "https://10.0.0.5/h", "http://[::1]/h", "http://169.254.169.254/latest"])
def test_given_internal_receivers_are_not_allowed_when_a_subscription_names_one_then_it_is_refused(key_client, shop, settings, url):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client = key_client(shop, "webhooks:manage")

    response = client.post("/api/v1/webhooks/subscriptions/", {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    assert "private, loopback or reserved" in error_of(response)["fields"]["url"][0]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("value", ["-1.8e155", "99999999999999999999999", "1.5", "abc"])
def test_when_deliveries_are_filtered_by_an_impossible_subscription_id_then_400_names_the_filter(key_client, shop, value):
    response = key_client(shop, "webhooks:manage").get("/api/v1/webhooks/deliveries/", {"subscription": value})

    assert response.status_code == 400
    assert "subscription" in error_of(response)["fields"]
