"""Catching up orders whose webhook never arrived: the platform's recent orders, replayed from
recorded answers, go through the webhook path once; failures are reported and keep the window."""

import copy
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.models import ChannelConnection, ChannelReconciliation, Order, OrderStatus
from orders.platforms import RetryPolicy
from orders.services.channel_reconcile import ReconciliationRunning, channel_reconcile, channel_reconcile_execute, channel_reconcile_start
from orders.tasks import channel_reconcile_run, channels_reconcile_due

from .platform_server import recorded

Status, Outcome = ChannelReconciliation.Status, ChannelReconciliation.Outcome
SHOPIFY_PAGES = ("shopify/catch_up_orders_page_1", "shopify/catch_up_orders_page_2")


def shopify_listed(index: int) -> dict:
    """The ``index``-th order the recorded Shopify listing holds (0, 1 on page 1; 2 on page 2)."""
    orders = recorded(SHOPIFY_PAGES[0])["body"]["orders"] + recorded(SHOPIFY_PAGES[1])["body"]["orders"]
    return copy.deepcopy(orders[index])


@pytest.fixture
def shop_connection(shopify_channel):
    return ChannelConnection.objects.create(
        channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com", shopify_access_token="shpat_token_1234", catch_up_missed_orders=True,
    )


@pytest.fixture
def woo_connection(woo_channel, platform):
    return ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_2",
        catch_up_missed_orders=True,
    )


@pytest.fixture
def catch_up(platform, sleeps):
    """``catch_up(channel, **options)``: a run against the local platform, with a short retry policy and no real sleeping."""

    def run(channel, **options):
        client_options = {"policy": RetryPolicy(attempts=2), "sleep": sleeps}
        if channel.adapter == "shopify":
            client_options["base_url"] = platform.url
        return channel_reconcile(channel_id=channel.pk, actor="test", **client_options, **options)

    return run


def test_a_missing_order_is_taken_in_once_however_often_the_catch_up_runs(shop_connection, shopify_channel, platform, catch_up):
    platform.play(*SHOPIFY_PAGES, *SHOPIFY_PAGES)

    first = catch_up(shopify_channel)
    second = catch_up(shopify_channel)

    assert (first.status, first.listed, first.ingested, first.already_present) == (Status.OK, 3, 3, 0)
    assert (second.status, second.listed, second.ingested, second.already_present) == (Status.OK, 3, 0, 3)
    assert Order.objects.filter(channel=shopify_channel).count() == 3
    numbers = {line["external_id"]: line["order"] for line in first.lines}
    order = Order.objects.get(channel=shopify_channel, external_id="5820001")
    assert numbers["5820001"] == order.number and order.number
    assert second.lines == []


def test_a_webhook_arriving_after_the_catch_up_records_no_second_order(shop_connection, shopify_channel, platform, catch_up, shopify):
    platform.play(*SHOPIFY_PAGES)
    catch_up(shopify_channel)

    late = shopify(shopify_listed(0), topic="orders/create")

    assert late.status_code == 200 and late.json()["outcome"] == "no change"
    assert Order.objects.filter(channel=shopify_channel, external_id="5820001").count() == 1


def test_an_order_its_webhook_brought_is_counted_as_present_not_recorded_again(shop_connection, shopify_channel, platform, catch_up, shopify):
    shopify(shopify_listed(0))
    before = Order.objects.get(channel=shopify_channel, external_id="5820001")
    platform.play(*SHOPIFY_PAGES)

    run = catch_up(shopify_channel)

    assert (run.listed, run.already_present, run.ingested) == (3, 1, 2)
    assert "5820001" not in {line["external_id"] for line in run.lines}
    assert Order.objects.get(channel=shopify_channel, external_id="5820001").version == before.version


def test_an_order_cancelled_in_the_shop_is_cancelled_as_its_webhook_would_have(shop_connection, shopify_channel, platform, catch_up, shopify):
    placed = shopify_listed(1)
    placed.update(cancelled_at=None, cancel_reason=None, financial_status="paid")
    shopify(placed)
    platform.play(*SHOPIFY_PAGES)

    run = catch_up(shopify_channel)

    order = Order.objects.get(channel=shopify_channel, external_id="5820002")
    assert order.status == OrderStatus.CANCELLED and order.payment_status == "voided"
    assert order.events.filter(message__contains="cancelled in Shopify: customer").exists()
    [line] = [line for line in run.lines if line["external_id"] == "5820002"]
    assert (run.updated, line["outcome"], line["order"]) == (1, Outcome.UPDATED, order.number)
    assert "cancelled" in line["detail"] and "payment paid → voided" in line["detail"]


def test_the_listing_follows_shopifys_link_header_to_the_last_page(shop_connection, shopify_channel, platform, catch_up):
    platform.play(*SHOPIFY_PAGES)

    run = catch_up(shopify_channel)

    first, second = platform.requests
    assert first["query"]["status"] == ["any"] and "updated_at_min" in first["query"]
    assert second["query"]["page_info"] == ["eyJsYXN0X2lkIjo4MjAwMDIsImRpcmVjdGlvbiI6Im5leHQifQ"] and "updated_at_min" not in second["query"]
    assert run.listed == 3 and Order.objects.filter(channel=shopify_channel, external_id="5820003").exists()


def test_rate_limiting_fails_the_run_keeps_what_was_taken_in_and_leaves_the_window(shop_connection, shopify_channel, platform, catch_up, sleeps):
    platform.play(*SHOPIFY_PAGES)
    good = catch_up(shopify_channel)
    platform.play(SHOPIFY_PAGES[0], "shopify/too_many_requests", "shopify/too_many_requests")

    failed = catch_up(shopify_channel, since=good.window_from)
    platform.play(*SHOPIFY_PAGES)
    after = catch_up(shopify_channel)

    assert failed.status == Status.FAILED and "kept answering 429 Too Many Requests" in failed.error
    assert (failed.listed, failed.already_present) == (2, 2) and sleeps == [2.0]
    assert after.window_from == (good.window_to - timedelta(minutes=10)).replace(microsecond=0)


def test_a_failure_part_way_keeps_the_orders_taken_in_before_it(shop_connection, shopify_channel, platform, catch_up):
    platform.play(SHOPIFY_PAGES[0], "shopify/too_many_requests", "shopify/too_many_requests")

    run = catch_up(shopify_channel)

    assert run.status == Status.FAILED and run.ingested == 2
    assert set(Order.objects.filter(channel=shopify_channel).values_list("external_id", flat=True)) == {"5820001", "5820002"}
    assert "2 taken in" in run.summary and run.summary.startswith("failed:")


def test_refused_credentials_fail_the_run_with_what_to_fix(shop_connection, shopify_channel, platform, catch_up):
    platform.play("shopify/unauthorized")

    run = catch_up(shopify_channel)

    assert run.status == Status.FAILED and run.finished_at is not None
    assert "Shopify refused the credentials (HTTP 401)" in run.error and "shpat_token_1234" not in run.error
    assert run.listed == 0


def test_a_connection_without_credentials_fails_the_run_saying_which_are_missing(shopify_channel, catch_up):
    ChannelConnection.objects.create(channel=shopify_channel, shopify_shop_domain="hatter.myshopify.com")

    run = catch_up(shopify_channel)

    assert run.status == Status.FAILED and "set the Admin API access token" in run.error


def test_the_window_starts_at_the_last_good_end_less_the_overlap(shop_connection, shopify_channel, platform, catch_up, settings):
    settings.OMS_CATCH_UP_LOOKBACK_HOURS, settings.OMS_CATCH_UP_OVERLAP_MINUTES = 24, 7
    platform.play(*SHOPIFY_PAGES, *SHOPIFY_PAGES)

    first = catch_up(shopify_channel)
    second = catch_up(shopify_channel)

    assert first.window_to - first.window_from == timedelta(hours=24, microseconds=first.window_to.microsecond)
    assert second.window_from == (first.window_to - timedelta(minutes=7)).replace(microsecond=0)
    assert platform.requests[2]["query"]["updated_at_min"] == [second.window_from.isoformat()]


def test_woocommerce_orders_are_listed_by_modified_after_and_a_cancelled_one_arrives_cancelled(woo_connection, woo_channel, platform, catch_up):
    platform.play("woocommerce/catch_up_orders")
    since = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)

    run = catch_up(woo_channel, since=since)

    [request] = platform.requests
    assert request["path"] == "/wp-json/wc/v3/orders" and request["query"]["modified_after"] == [since.isoformat()]
    assert (run.status, run.listed, run.ingested) == (Status.OK, 2, 2)
    assert Order.objects.get(channel=woo_channel, external_id="9102").status == OrderStatus.CANCELLED
    assert Order.objects.get(channel=woo_channel, external_id="9101").status != OrderStatus.CANCELLED


def test_an_order_without_an_id_is_reported_failed_and_the_others_go_on(woo_connection, woo_channel, platform, catch_up):
    answer = recorded("woocommerce/catch_up_orders")
    del answer["body"][0]["id"]
    platform.answers.append(answer)

    run = catch_up(woo_channel)

    assert (run.status, run.listed, run.failed, run.ingested) == (Status.OK, 2, 1, 1)
    [failure] = [line for line in run.lines if line["outcome"] == Outcome.FAILED]
    assert failure["name"] == "9101" and "has no id" in failure["detail"]


def test_one_run_per_channel_at_a_time(shop_connection, shopify_channel, platform, catch_up):
    now = timezone.now()
    ChannelReconciliation.objects.create(channel=shopify_channel, window_from=now, window_to=now)

    with pytest.raises(ReconciliationRunning, match="running already"):
        catch_up(shopify_channel)
    skipped = channel_reconcile_run(shopify_channel.pk)

    assert skipped.startswith("skipped: A catch-up of channel shop-us is running already") and platform.requests == []


def test_a_run_abandoned_by_its_worker_does_not_block_the_next(shop_connection, shopify_channel, platform, catch_up):
    long_ago = timezone.now() - timedelta(hours=2)
    stale = ChannelReconciliation.objects.create(channel=shopify_channel, started_at=long_ago, window_from=long_ago, window_to=long_ago)
    platform.play(*SHOPIFY_PAGES)

    run = catch_up(shopify_channel)

    stale.refresh_from_db()
    assert run.status == Status.OK and stale.status == Status.FAILED and "Abandoned" in stale.error


def test_the_beat_job_catches_up_only_channels_with_the_switch_on(woo_connection, woo_channel, shop_connection, platform):
    shop_connection.catch_up_missed_orders = False
    shop_connection.save()
    platform.play("woocommerce/catch_up_orders")

    started = channels_reconcile_due()  # eager in tests: each channel's run happens here

    assert started == 1
    assert [run.channel_id for run in ChannelReconciliation.objects.all()] == [woo_channel.pk]
    assert Order.objects.filter(channel=woo_channel).count() == 2


# --- manage.py channel_reconcile -------------------------------------------------------------


def test_the_command_prints_the_report(woo_connection, woo_channel, platform, capsys):
    platform.play("woocommerce/catch_up_orders")

    call_command("channel_reconcile", "woo-de", "--since", "2026-12-03T15:00:00Z")

    out = capsys.readouterr().out
    run = ChannelReconciliation.objects.get()
    assert run.window_from.isoformat() == "2026-12-03T15:00:00+00:00" and run.started_by == "command:channel_reconcile"
    assert "2 listed, 0 already here, 2 taken in" in out
    assert f"Taken in: 9102 (id 9102) → {Order.objects.get(external_id='9102').number}" in out


@pytest.mark.parametrize("arguments, message", [
    (["nowhere"], "No channel 'nowhere'. Channels with a platform: woo-de."),
    (["woo-de", "--since", "yesterday"], "--since: 'yesterday' is not an ISO 8601 time; use e.g. 2026-12-01T08:00:00Z"),
    (["woo-de", "--since", "2999-01-01"], "--since: 2999-01-01 is in the future"),
])
def test_the_command_says_what_is_wrong_with_its_input(woo_connection, platform, arguments, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        call_command("channel_reconcile", *arguments)

    assert platform.requests == [] and not ChannelReconciliation.objects.exists()


def test_the_command_fails_loudly_when_the_run_fails(woo_connection, platform):
    platform.play("woocommerce/unauthorized")

    with pytest.raises(CommandError, match=r"The catch-up failed: Channel woo-de: WooCommerce refused the credentials \(HTTP 401\)"):
        call_command("channel_reconcile", "woo-de")


def test_the_command_refuses_a_channel_without_connection(woo_channel):
    with pytest.raises(CommandError, match="has no platform connection"):
        call_command("channel_reconcile", "woo-de")


def test_a_started_run_whose_connection_is_removed_fails_instead_of_hanging(shop_connection, shopify_channel, platform):
    run = channel_reconcile_start(channel_id=shopify_channel.pk, actor="test")
    shop_connection.delete()

    ended = channel_reconcile_execute(run_id=run.pk)
    again = channel_reconcile_execute(run_id=run.pk)

    assert ended.status == again.status == Status.FAILED and "connection was removed" in ended.error
    assert platform.requests == []
