"""A catch-up racing the late webhooks of the same orders on PostgreSQL: each order is recorded once."""

import pytest

from orders.adapters import SHOPIFY
from orders.adapters.webhooks import UPSERT, channel_webhook_apply
from orders.models import ChannelConnection, ChannelReconciliation, Order
from orders.platforms import RetryPolicy
from orders.services.channel_reconcile import channel_reconcile

from ..test_concurrency import run_in_threads
from .test_reconcile import SHOPIFY_PAGES, shopify_listed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_catch_up_and_the_late_webhooks_of_its_orders_record_each_order_once(shopify_channel, platform, sleeps):
    ChannelConnection.objects.create(channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token="shpat_1")
    platform.play(*SHOPIFY_PAGES)

    def webhook(index: int):
        payload = shopify_listed(index)
        return lambda: channel_webhook_apply(
            channel=shopify_channel, webhook_id=f"late-{index}", topic="orders/create", action=UPSERT, external_id=str(payload["id"]),
            platform_order=SHOPIFY.parse(payload), actor="shopify:shop-us",
        )

    def catch_up():
        return channel_reconcile(channel_id=shopify_channel.pk, actor="test", base_url=platform.url, policy=RetryPolicy(attempts=2), sleep=sleeps)

    results = run_in_threads([[catch_up], [webhook(0), webhook(2)], [webhook(1)]])

    run = ChannelReconciliation.objects.get()
    assert run.status == "ok" and run.listed == 3 and run.failed == 0
    created_by_webhooks = sum(1 for result in results if getattr(result, "created", False))
    assert run.ingested + created_by_webhooks == 3  # whoever came first recorded it; the other found it there
    assert sorted(Order.objects.filter(channel=shopify_channel).values_list("external_id", flat=True)) == ["5820001", "5820002", "5820003"]
