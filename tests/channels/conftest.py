import pytest
from rest_framework.test import APIClient

from orders.models import Channel

from ..factories import ChannelFactory
from .payloads import deliver, next_webhook_id

SECRET = "shpss_test_secret_4f1c"


@pytest.fixture
def shopify_channel(db):
    return ChannelFactory(code="shop-us", name="Shopify US", kind=Channel.Kind.WEB, adapter=Channel.Adapter.SHOPIFY, webhook_secret=SECRET)


@pytest.fixture
def woo_channel(db):
    return ChannelFactory(code="woo-de", name="Woo DE", kind=Channel.Kind.WEB, adapter=Channel.Adapter.WOOCOMMERCE, webhook_secret=SECRET)


@pytest.fixture
def shopify(shopify_channel):
    """``shopify(payload, topic="orders/create", webhook_id=None, **options)``: one signed delivery."""
    client = APIClient()

    def send(payload, topic="orders/create", webhook_id=None, **options):
        headers = {"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": webhook_id or next_webhook_id(), "X-Shopify-Shop-Domain": "example.myshopify.com"}
        return deliver(client, f"/api/v1/channels/{shopify_channel.code}/shopify/orders/", payload, secret=SECRET, headers=headers, **options)

    return send


@pytest.fixture
def woo(woo_channel):
    client = APIClient()

    def send(payload, topic="order.created", webhook_id=None, **options):
        headers = {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": webhook_id or next_webhook_id(), "X-WC-Webhook-ID": "17"}
        return deliver(client, f"/api/v1/channels/{woo_channel.code}/woocommerce/orders", payload, secret=SECRET, headers=headers, **options)

    return send


from ..api.conftest import api, client_for  # noqa: E402, F401  (API clients with keys, shared with tests/api)


@pytest.fixture
def platform():
    """A fake platform on 127.0.0.1 replaying recorded answers: ``platform.play("shopify/shop_name")``."""
    from .platform_server import PlatformServer

    server = PlatformServer()
    yield server
    server.close()


class Sleeps(list):
    """Stands in for ``time.sleep``: remembers how long the client wanted to wait, waits not at all."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()
