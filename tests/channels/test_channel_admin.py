"""The channel page: adapter, masked secret, the URL to paste into the platform, receipts."""

import pytest
from django.contrib.auth import get_user_model

from orders.models import Channel

from .payloads import shopify_order


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(username="boss", password="x", email="boss@example.com")
    client.force_login(user)
    return client


def test_channel_page_masks_the_secret_and_shows_the_webhook_url_and_receipts(admin_client, shopify_channel, shopify, stocked):
    stocked("SHIRT-M", 5)
    shopify(shopify_order(), webhook_id="rcpt-1")

    page = admin_client.get(f"/admin/orders/channel/{shopify_channel.pk}/change/").content.decode()

    assert shopify_channel.webhook_secret not in page
    assert "••••••••4f1c" in page
    assert "http://testserver/api/v1/channels/shop-us/shopify/orders/" in page
    assert "rcpt-1" in page and "created SO-" in page


def test_secret_is_kept_when_left_blank_and_replaced_when_given(admin_client, shopify_channel):
    url = f"/admin/orders/channel/{shopify_channel.pk}/change/"
    form = {"code": "shop-us", "name": "Shopify US", "kind": "web", "is_active": "on", "adapter": "shopify", "integration": "",
            # the platform connection's inline, left empty
            "connection-TOTAL_FORMS": "0", "connection-INITIAL_FORMS": "0", "connection-MIN_NUM_FORMS": "0", "connection-MAX_NUM_FORMS": "1"}

    admin_client.post(url, {**form, "new_webhook_secret": ""})
    kept = Channel.objects.get(pk=shopify_channel.pk).webhook_secret
    admin_client.post(url, {**form, "new_webhook_secret": "rotated-secret"})

    assert kept == shopify_channel.webhook_secret
    assert Channel.objects.get(pk=shopify_channel.pk).webhook_secret == "rotated-secret"


def test_receipts_are_read_only(admin_client, shopify_channel, shopify, stocked):
    stocked("SHIRT-M", 5)
    shopify(shopify_order(), webhook_id="rcpt-2")

    listing = admin_client.get("/admin/orders/channelwebhookreceipt/")

    assert listing.status_code == 200 and b"rcpt-2" in listing.content
    assert admin_client.get("/admin/orders/channelwebhookreceipt/add/").status_code == 403
