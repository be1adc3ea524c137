"""The Shopify payment adapter on recorded answers served by a local fake shop: the refund is
created on the shop's order against its captured payment, with the refund's idempotency key; a
refusal and an outage leave the refund failed with Shopify's words, and a retry succeeds."""

from decimal import Decimal as D

import pytest

from orders.models import Channel, ChannelConnection, OrderLine
from returns.models import RefundStatus, ReturnStatus
from returns.services import refund_retry, return_refund

from ..channels.platform_server import PlatformServer
from ..factories import ChannelFactory
from .conftest import fresh, line
from .test_refunds import returned

pytestmark = pytest.mark.django_db

TOKEN = "shpat_refunds_test_7c1"


@pytest.fixture
def platform():
    server = PlatformServer()
    yield server
    server.close()


@pytest.fixture
def shop_order(shipped_order):
    channel = ChannelFactory(code="shop-us", adapter=Channel.Adapter.SHOPIFY)
    ChannelConnection.objects.create(channel=channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token=TOKEN, push_refunds=True)
    order = shipped_order([("SKU-A", 2, "20.00")], channel="shop-us", external_id="820982911946154508")
    OrderLine.objects.filter(order=order).update(external_line_id="466157049")
    return order


def options(platform, sleeps=None):
    return {"base_url": platform.url, "sleep": (sleeps if sleeps is not None else []).append, "jitter": lambda: 0.5}


def test_given_a_shopify_order_when_refunded_then_the_refund_is_created_against_its_capture_with_the_key(shop_order, platform):
    rma = returned(shop_order, line(1, 1))
    platform.play("shopify/order_transactions", "shopify/refund_create_ok")

    refund = return_refund(return_id=rma.pk, actor="cs", client_options=options(platform))

    assert (refund.status, refund.provider, refund.provider_refund_id) == (RefundStatus.SUCCEEDED, "shopify", "gid://shopify/Refund/929361464")
    assert fresh(rma).status == ReturnStatus.REFUNDED
    transactions, create = platform.requests
    assert transactions["headers"]["x-shopify-access-token"] == TOKEN
    assert transactions["body"]["variables"] == {"id": "gid://shopify/Order/820982911946154508"}
    assert "@idempotent(key: $key)" in create["body"]["query"] and create["body"]["variables"]["key"] == refund.idempotency_key
    sent = create["body"]["variables"]["input"]
    assert sent["transactions"] == [{
        "orderId": "gid://shopify/Order/820982911946154508", "parentId": "gid://shopify/OrderTransaction/1068278471",
        "gateway": "shopify_payments", "kind": "REFUND", "amount": "20.00",
    }]
    assert sent["refundLineItems"] == [{"lineItemId": "gid://shopify/LineItem/466157049", "quantity": 1, "restockType": "NO_RESTOCK"}]


def test_given_shopify_refuses_the_amount_when_refunded_then_the_refund_is_failed_with_its_words_and_retried_with_the_same_key(shop_order, platform):
    rma = returned(shop_order, line(1, 2))
    platform.play("shopify/order_transactions", "shopify/refund_create_exceeds_refundable")

    failed = return_refund(return_id=rma.pk, actor="cs", client_options=options(platform))

    assert failed.status == RefundStatus.FAILED
    assert failed.provider_reason == "Shopify refused the refund: Amount cannot be greater than the refundable amount of $25.00"
    assert fresh(rma).status == ReturnStatus.INSPECTED

    platform.play("shopify/order_transactions", "shopify/refund_create_ok")
    retried = refund_retry(refund_id=failed.pk, actor="cs", client_options=options(platform))

    assert retried.status == RefundStatus.SUCCEEDED and retried.attempts == 2
    keys = [request["body"]["variables"].get("key") for request in platform.requests if "RefundCreate" in request["body"]["query"]]
    assert keys == [failed.idempotency_key, failed.idempotency_key]
    assert fresh(rma).status == ReturnStatus.REFUNDED


def test_given_shopify_keeps_answering_5xx_when_refunded_then_the_refund_is_failed_after_the_retries_and_nothing_is_refunded(shop_order, platform):
    rma = returned(shop_order, line(1, 1))
    platform.play("shopify/order_transactions", "shopify/service_unavailable", "shopify/service_unavailable", "shopify/service_unavailable")
    waits = []

    refund = return_refund(return_id=rma.pk, actor="cs", client_options=options(platform, waits))

    assert refund.status == RefundStatus.FAILED and "Shopify" in refund.provider_reason and "503" in refund.provider_reason
    assert len(platform.requests) == 4 and len(waits) == 2  # three tries of the mutation, two backoffs between them
    assert fresh(rma).status == ReturnStatus.INSPECTED
    assert refund.amount == D("20.00")
