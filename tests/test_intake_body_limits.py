"""A body over an intake endpoint's own limit is a 413 saying the limit and what to send instead,
whether or not it is signed: the platform webhooks and carrier tracking (2 MB, checked before the
signature, which is over the whole body), the marketplace CSV import (2 MB file, multipart or
text/csv) and the accountant's file import (5 MB). Real oversized bodies, through the real views."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from orders.models import Channel, ChannelWebhookReceipt, Order
from reports.imports.models import ImportRecord
from shipping.api.views import tracking_signature
from shipping.models import Carrier, TrackingEvent

from .channels.payloads import sign
from .api.conftest import client_for  # noqa: F401 (an API client with a key of given scopes)
from .factories import ChannelFactory
from .shipping.test_shipments import carriers  # noqa: F401 (autouse: the demo carriers)

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-limits"
MB = 1024 * 1024


def _json_of_size(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (a platform order with a huge note)."""
    head, tail = b'{"id": 1, "note": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def _refused_as_too_large(response, limit: str, advice: str) -> None:
    assert response.status_code == 413, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert limit in error["message"] and advice in error["message"], error["message"]


@pytest.fixture
def channels(db):
    ChannelFactory(code="shop-big", adapter=Channel.Adapter.SHOPIFY, kind=Channel.Kind.WEB, webhook_secret=SECRET)
    ChannelFactory(code="woo-big", adapter=Channel.Adapter.WOOCOMMERCE, kind=Channel.Kind.WEB, webhook_secret=SECRET)
    ChannelFactory(code="market-big", kind=Channel.Kind.MARKETPLACE)


@pytest.mark.parametrize("url, header", [
    ("/api/v1/channels/shop-big/shopify/orders/", "X-Shopify-Hmac-Sha256"),
    ("/api/v1/channels/woo-big/woocommerce/orders/", "X-WC-Webhook-Signature"),
    ("/api/v1/channels/woo-big/woocommerce/orders", "X-WC-Webhook-Signature"),
])
@pytest.mark.parametrize("signed", [True, False])
def test_a_platform_webhook_over_2_mb_is_413_before_its_signature_is_checked(channels, url, header, signed):
    body = _json_of_size(2 * MB + 1)
    headers = {header: sign(body, SECRET) if signed else "not-a-signature", "X-Shopify-Topic": "orders/create", "X-WC-Webhook-Topic": "order.created"}

    response = APIClient().generic("POST", url, body, content_type="application/json", headers=headers)

    _refused_as_too_large(response, "2 MB (2,097,152 bytes)", "check what the platform sends")
    assert not Order.objects.exists() and not ChannelWebhookReceipt.objects.exists()


def test_a_platform_webhook_of_exactly_2_mb_is_read_whole(channels):
    body = _json_of_size(2 * MB)

    response = APIClient().generic("POST", "/api/v1/channels/shop-big/shopify/orders/", body, content_type="application/json",
                                   headers={"X-Shopify-Hmac-Sha256": sign(body, SECRET), "X-Shopify-Topic": "shop/unknown"})

    assert response.status_code == 200, response.content[:300]  # the signature over the whole body matched


@pytest.mark.parametrize("signed", [True, False])
def test_carrier_tracking_over_2_mb_is_413_before_its_signature_is_checked(signed):
    Carrier.objects.filter(code="oms-post").update(tracking_secret=SECRET)
    body = b"[" + b"{}," * (2 * MB // 3) + b"{}]"
    signature = tracking_signature(body=body, secret=SECRET) if signed else "sha256=" + "0" * 64

    response = APIClient().generic("POST", "/api/v1/carriers/oms-post/tracking/", body, content_type="application/json",
                                   headers={"X-OMS-Signature": signature})

    _refused_as_too_large(response, "2 MB (2,097,152 bytes)", "send fewer events at once")
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("as_upload", [True, False])
def test_a_marketplace_csv_over_2_mb_is_413(channels, client_for, as_upload):
    content = b"order_id,sku\n" + b"MK-1,BOOK-1\n" * (2 * MB // 12 + 1)
    api = client_for("orders:write")
    url = "/api/v1/channels/market-big/orders/import/"

    if as_upload:
        response = api.post(url, {"file": SimpleUploadedFile("orders.csv", content, content_type="text/csv")}, format="multipart")
    else:
        response = api.generic("POST", url, content, content_type="text/csv")

    _refused_as_too_large(response, "2 MB (2,097,152 bytes)", "split the file into smaller files")
    assert response.json()["error"]["fields"] == {"file": ["At most 2,097,152 bytes."]}
    assert not Order.objects.exists()


def test_an_accountant_import_over_5_mb_is_413(client_for):
    content = b"sku,name,price\n" + b"SKU-1,Mug,1.00\n" * (5 * MB // 15 + 1)

    response = client_for().post("/api/v1/reports/imports/", {"file": SimpleUploadedFile("products.csv", content), "kind": "products"},
                                 format="multipart")

    _refused_as_too_large(response, "5 MB (5,242,880 bytes)", "split it into smaller files")
    assert not ImportRecord.objects.exists()
