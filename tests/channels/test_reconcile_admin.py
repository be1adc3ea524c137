"""Catch-up runs in the console: the switch and the last run on the channel page, "Catch up missed
orders now" for those who may change channels, and each run's report order by order."""

import re

import pytest

from orders.models import ChannelConnection, ChannelReconciliation, Order
from orders.services import channel_reconcile as reconcile_service

from ..admin.conftest import console, messages_of  # noqa: F401  (the console(role) fixture)
from .test_channel_connection_admin import channel_form, page_of

RUNS = "/admin/orders/channelreconciliation/"


@pytest.fixture
def woo_connection(woo_channel, platform):
    return ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_2",
    )


def test_the_manager_switches_catching_up_on_for_the_channel(console, woo_channel):
    manager = console("Operations manager")

    response = manager.post(page_of(woo_channel), channel_form(
        woo_channel, woocommerce_url="https://shop.example.com", woocommerce_consumer_key="ck_1", catch_up_missed_orders="on",
    ))

    assert response.status_code == 302
    assert ChannelConnection.objects.get(channel=woo_channel).catch_up_missed_orders is True


def test_the_manager_catches_up_now_and_reads_the_report(console, woo_connection, woo_channel, platform, django_capture_on_commit_callbacks):
    platform.play("woocommerce/catch_up_orders")
    manager = console("Operations manager")

    before = manager.get(page_of(woo_channel)).content.decode()
    confirm = manager.get(f"/admin/orders/channel/{woo_channel.pk}/catch-up/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the job is sent after commit (run here: no broker in tests)
        response = manager.post(f"/admin/orders/channel/{woo_channel.pk}/catch-up/", follow=True)
    run = ChannelReconciliation.objects.get()
    report = manager.get(f"{RUNS}{run.pk}/change/").content.decode()
    after = manager.get(page_of(woo_channel)).content.decode()

    assert "Never run." in before and "Catch up missed orders now…" in before
    assert "takes in every one whose webhook never arrived" in confirm
    assert messages_of(response) == ["The catch-up of Woo DE has started; its report appears in this list when it ends."]
    assert run.started_by == manager.user.username and run.ingested == 2
    cancelled = Order.objects.get(channel=woo_channel, external_id="9102")
    assert f'<a href="/admin/orders/order/{cancelled.pk}/change/">{cancelled.number}</a>' in report
    assert "Taken in" in report and "cancelled" in report
    assert "2 listed, 0 already here, 2 taken in, 0 brought up to date, 0 failed" in after


def test_a_failed_run_shows_why_on_the_channel_page_and_in_the_list(console, woo_connection, woo_channel, platform):
    platform.play("woocommerce/unauthorized")
    reconcile_service.channel_reconcile(channel_id=woo_channel.pk, actor="test")
    manager = console("Operations manager")

    page = manager.get(page_of(woo_channel)).content.decode()
    listing = manager.get(RUNS).content.decode()

    assert "failed: Channel woo-de: WooCommerce refused the credentials (HTTP 401)" in page
    assert "Failed" in listing and "Woo DE" in listing


def test_customer_service_reads_the_runs_but_may_not_start_one(console, woo_connection, woo_channel, platform):
    agent = console("Customer service")

    page = agent.get(page_of(woo_channel)).content.decode()
    refused = agent.post(f"/admin/orders/channel/{woo_channel.pk}/catch-up/")
    listing = agent.get(RUNS)

    assert "Last catch-up" in page and "Catch up missed orders now" not in page
    assert refused.status_code == 403 and "“Can change channel”" in refused.content.decode()
    assert listing.status_code == 200
    assert platform.requests == [] and not ChannelReconciliation.objects.exists()


def test_a_channel_without_connection_cannot_be_caught_up(console, woo_channel, platform):
    manager = console("Operations manager")

    response = manager.post(f"/admin/orders/channel/{woo_channel.pk}/catch-up/", follow=True)

    assert messages_of(response) == ["This channel has no platform connection: fill in the connection settings and save first."]
    assert not ChannelReconciliation.objects.exists()


def test_a_second_catch_up_while_one_runs_is_refused_with_a_message(console, woo_connection, woo_channel, platform):
    reconcile_service.channel_reconcile_start(channel_id=woo_channel.pk, actor="job:catch-up")
    manager = console("Operations manager")

    response = manager.post(f"/admin/orders/channel/{woo_channel.pk}/catch-up/", follow=True)

    assert messages_of(response) == ["A catch-up of channel woo-de is running already; its report will show what it found."]
    assert ChannelReconciliation.objects.count() == 1 and platform.requests == []
    assert re.search(r"\d\d:\d\d: running <a", manager.get(page_of(woo_channel)).content.decode())
