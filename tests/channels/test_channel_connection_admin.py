"""The connection settings on the channel page: masked credentials, validation that says what to
fix, and "Test connection" for those who may change the channel."""

import pytest

from orders.models import ChannelConnection
from orders.services import connections

from ..admin.conftest import console, messages_of  # noqa: F401  (the console(role) fixture)

TOKEN = "shpat_0123456789abcdef0123456789ab7c2e"


def page_of(channel) -> str:
    return f"/admin/orders/channel/{channel.pk}/change/"


def channel_form(channel, **connection) -> dict:
    """The channel page as a browser posts it, with the connection inline's fields."""
    existing = ChannelConnection.objects.filter(channel=channel).first()
    form = {
        "code": channel.code, "name": channel.name, "kind": channel.kind, "is_active": "on", "adapter": channel.adapter, "integration": "",
        "new_webhook_secret": "", "shipping_goal": "", "shipping_cost_cap": "", "shipping_allowed": "", "delivery_days": "",
        "connection-TOTAL_FORMS": "1", "connection-INITIAL_FORMS": "1" if existing else "0",
        "connection-MIN_NUM_FORMS": "0", "connection-MAX_NUM_FORMS": "1",
        "connection-0-id": existing.pk if existing else "", "connection-0-channel": channel.pk,
        "connection-0-shopify_api_version": "2026-07", "connection-0-connect_timeout": "5", "connection-0-read_timeout": "30",
    }
    form.update({f"connection-0-{name}": value for name, value in connection.items()})
    return form


@pytest.fixture
def connected_shop(shopify_channel):
    return ChannelConnection.objects.create(channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token=TOKEN)


def test_the_manager_connects_a_shopify_channel_and_sees_the_token_only_masked(console, shopify_channel):
    manager = console("Operations manager")

    response = manager.post(page_of(shopify_channel), channel_form(
        shopify_channel, shopify_shop_domain="https://Hatter.myshopify.com/admin", new_shopify_access_token=TOKEN,
    ))
    page = manager.get(page_of(shopify_channel)).content.decode()

    assert response.status_code == 302
    connection = ChannelConnection.objects.get(channel=shopify_channel)
    assert (connection.shopify_shop_domain, connection.shopify_access_token) == ("hatter.myshopify.com", TOKEN)
    assert TOKEN not in page and "••••••••7c2e" in page
    assert "Test connection…" in page and "Not tested yet." in page


def test_a_custom_domain_is_refused_with_what_to_enter_instead(console, shopify_channel):
    manager = console("Operations manager")

    response = manager.post(page_of(shopify_channel), channel_form(shopify_channel, shopify_shop_domain="shop.hatter.com"))

    assert response.status_code == 200
    assert "permanent domain, like my-shop.myshopify.com" in response.content.decode()
    assert not ChannelConnection.objects.exists()


def test_a_blank_token_keeps_the_stored_one(console, connected_shop, shopify_channel):
    manager = console("Operations manager")

    manager.post(page_of(shopify_channel), channel_form(shopify_channel, shopify_shop_domain="hatter.myshopify.com", new_shopify_access_token=""))

    assert ChannelConnection.objects.get(pk=connected_shop.pk).shopify_access_token == TOKEN


def test_woocommerce_needs_https(console, woo_channel):
    manager = console("Operations manager")

    response = manager.post(page_of(woo_channel), channel_form(woo_channel, woocommerce_url="http://shop.example.com"))

    assert "must start with https://" in response.content.decode()
    assert not ChannelConnection.objects.exists()


def test_testing_the_connection_calls_the_shop_and_shows_its_name(console, connected_shop, shopify_channel, platform, monkeypatch):
    real_client_for = connections.client_for
    monkeypatch.setattr(connections, "client_for", lambda connection, **options: real_client_for(connection, base_url=platform.url, **options))
    platform.play("shopify/shop_name")
    manager = console("Operations manager")

    confirm = manager.get(f"/admin/orders/channel/{shopify_channel.pk}/test-connection/")
    response = manager.post(f"/admin/orders/channel/{shopify_channel.pk}/test-connection/", follow=True)

    assert "The OMS calls Shopify" in confirm.content.decode() and platform.requests[0]["headers"]["x-shopify-access-token"] == TOKEN
    assert "Connected to the Shopify shop “Hatter & Co”." in messages_of(response)
    connection = ChannelConnection.objects.get(pk=connected_shop.pk)
    assert connection.last_test_ok is True and "Works" in response.content.decode()


def test_a_refused_key_is_shown_as_a_failed_test(console, woo_channel, platform):
    ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_secret_9f",
    )
    platform.play("woocommerce/unauthorized")
    manager = console("Operations manager")

    response = manager.post(f"/admin/orders/channel/{woo_channel.pk}/test-connection/", follow=True)

    [message] = messages_of(response)
    assert "WooCommerce refused the credentials (HTTP 401)" in message and "cs_secret_9f" not in response.content.decode()
    assert ChannelConnection.objects.get(channel=woo_channel).last_test_ok is False


def test_customer_service_sees_the_connection_but_may_not_test_it(console, connected_shop, shopify_channel, platform):
    agent = console("Customer service")

    page = agent.get(page_of(shopify_channel)).content.decode()
    refused = agent.post(f"/admin/orders/channel/{shopify_channel.pk}/test-connection/")

    assert "hatter.myshopify.com" in page and TOKEN not in page
    assert "Test connection" not in page
    assert refused.status_code == 403 and "“Can change channel”" in refused.content.decode()
    assert platform.requests == [] and ChannelConnection.objects.get(pk=connected_shop.pk).last_tested_at is None
