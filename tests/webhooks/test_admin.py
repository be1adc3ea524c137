"""The console: integrations with their keys, channels and webhooks; secrets shown once; deliveries with their log."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from oms import events
from oms.models import ApiKey, Integration, WebhookDelivery, WebhookSubscription

from ..factories import ChannelFactory
from .conftest import integration_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client):
    def login(role: str):
        user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _failed_delivery(subscription) -> WebhookDelivery:
    event = events.event_record("test.ping", {"n": 1})
    return WebhookDelivery.objects.create(event=event, subscription=subscription, status=WebhookDelivery.Status.FAILED, attempts=11)


def test_an_integration_page_shows_its_keys_channels_and_webhooks(console, subscribe):
    shop = integration_make(code="shop", name="Web shop")
    ApiKey.generate(name="shop-key", integration=shop)
    ChannelFactory(code="web", name="Storefront", integration=shop)
    subscribe("https://shop.example/hooks", integration=shop)
    client = console("Operations manager")

    listing = client.get(reverse("admin:oms_integration_changelist")).content.decode()
    page = client.get(reverse("admin:oms_integration_change", args=[shop.pk])).content.decode()

    assert "Web shop" in listing
    assert "shop-key" in page and "Storefront (web)" in page and "https://shop.example/hooks" in page


def test_switching_an_integration_off_in_the_console_refuses_its_keys_at_once(console):
    shop = integration_make(code="shop")
    _, raw_key = ApiKey.generate(name="shop-key", integration=shop)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert api.get("/api/v1/locations/").status_code == 200  # the key is now remembered by this process
    client = console("Operations manager")

    client.post(reverse("admin:oms_integration_change", args=[shop.pk]), {
        "code": "shop", "name": "Shop", "kind": "other", "contact_email": "", "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0", "webhook_subscriptions-TOTAL_FORMS": "0", "webhook_subscriptions-INITIAL_FORMS": "0",
    })

    assert not Integration.objects.get(pk=shop.pk).is_active
    refused = api.get("/api/v1/locations/")
    assert refused.status_code == 401 and "switched off" in refused.json()["error"]["message"]


def test_a_key_created_in_the_console_belongs_to_its_integration_and_is_shown_once(console):
    shop = integration_make(code="shop")
    client = console("Operations manager")

    response = client.post(
        reverse("admin:oms_apikey_add"),
        {"name": "shop-key", "integration": shop.pk, "scopes": ["orders:write"], "is_active": "on", "rate_limit_per_minute": "120"},
        follow=True,
    )

    key = ApiKey.objects.get()
    raw = re.search(r"<code>(oms_[^<]+)</code>", response.content.decode()).group(1)
    assert key.matches(raw) and key.integration == shop and key.rate_limit_per_minute == 120
    listing = client.get(reverse("admin:oms_apikey_changelist")).content.decode()
    assert raw not in listing and key.prefix in listing


def test_revoking_keys_in_the_console_locks_them_out_at_once(console):
    _, raw_key = ApiKey.generate(name="shop-key")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert api.get("/api/v1/locations/").status_code == 200
    client = console("Operations manager")

    client.post(reverse("admin:oms_apikey_changelist"), {"action": "revoke", "_selected_action": [ApiKey.objects.get().pk]})

    assert api.get("/api/v1/locations/").status_code == 401


def test_a_subscription_made_in_the_console_shows_its_secret_once_and_rotation_shows_a_new_one(console):
    shop = integration_make(code="shop")
    client = console("Operations manager")

    created = client.post(
        reverse("admin:oms_webhooksubscription_add"),
        {"integration": shop.pk, "url": "https://shop.example/hooks", "events_text": "order.created, order.shipped", "is_active": "on"},
        follow=True,
    )
    subscription = WebhookSubscription.objects.get()
    shown = re.search(r"<code>(whsec_[^<]+)</code>", created.content.decode()).group(1)
    page = client.get(reverse("admin:oms_webhooksubscription_change", args=[subscription.pk])).content.decode()
    rotated = client.post(
        reverse("admin:oms_webhooksubscription_changelist"), {"action": "rotate_secret", "_selected_action": [subscription.pk]}, follow=True
    )
    new_secret = WebhookSubscription.objects.get().secret

    assert shown == subscription.secret and subscription.events == ["order.created", "order.shipped"]
    assert subscription.secret not in page
    assert new_secret != shown and new_secret in rotated.content.decode()


def test_a_subscription_with_a_malformed_event_name_is_refused_on_the_form(console):
    shop = integration_make(code="shop")

    response = console("Operations manager").post(
        reverse("admin:oms_webhooksubscription_add"),
        {"integration": shop.pk, "url": "https://shop.example/hooks", "events_text": "Order Created!", "is_active": "on"},
    )

    assert response.status_code == 200 and "Not event names" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_to_a_private_address_is_refused_on_the_form_not_after_saving(console, settings):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    shop = integration_make(code="shop")

    response = console("Operations manager").post(
        reverse("admin:oms_webhooksubscription_add"),
        {"integration": shop.pk, "url": "https://127.0.0.1/hooks", "events_text": "order.*", "is_active": "on"},
        follow=True,
    )

    page = response.content.decode()
    assert response.status_code == 200 and "private, loopback or reserved" in page
    assert "added successfully" not in page and "was added" not in page
    assert not WebhookSubscription.objects.exists()


def test_deliveries_show_their_attempt_log_filter_by_status_and_can_be_redelivered(
    console, subscribe, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe(receiver.url)
    receiver.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        events.event_record("test.ping", {"n": 1})
    delivery = WebhookDelivery.objects.get()
    client = console("Operations manager")

    page = client.get(reverse("admin:oms_webhookdelivery_change", args=[delivery.pk])).content.decode()
    failed_only = client.get(reverse("admin:oms_webhookdelivery_changelist") + "?status__exact=failed").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:oms_webhookdelivery_changelist"), {"action": "redeliver", "_selected_action": [delivery.pk]})

    assert "500" in page and "receiver says no" in page
    assert f"delivery #{delivery.pk}" not in failed_only and "0 webhook deliveries" in failed_only
    assert len(receiver.requests) == 2 and WebhookDelivery.objects.get().status == "succeeded"


def test_customer_service_may_look_at_deliveries_but_not_redeliver_or_subscribe(console, subscribe, receiver):
    delivery = _failed_delivery(subscribe(receiver.url))
    client = console("Customer service")

    listing = client.get(reverse("admin:oms_webhookdelivery_changelist"))
    client.post(reverse("admin:oms_webhookdelivery_changelist"), {"action": "redeliver", "_selected_action": [delivery.pk]})

    assert listing.status_code == 200 and 'value="redeliver"' not in listing.content.decode()
    assert client.get(reverse("admin:oms_webhooksubscription_add")).status_code == 403
    assert WebhookDelivery.objects.get().status == "failed" and receiver.requests == []
