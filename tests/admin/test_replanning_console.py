"""Rolling re-planning in the console: the order page says an order was re-planned and what it
saved; the runs are listed for the operations manager; a channel turns it on."""

import pytest
from django.urls import reverse

from inventory.services import stock_receive
from orders.models import Channel, ReplanRun
from orders.services.replanning import replan_open_orders

from ..factories import LocationFactory, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def replanned(stocked):
    """An order moved from Chicago to Boston (next to its customer) by a re-planning run."""
    LocationFactory(code="boston", name="Boston DC", city="Boston", latitude=42.36, longitude=-71.06)
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    stock_receive(sku="SKU-A", location="boston", quantity=5, actor="test")
    Channel.objects.filter(code="web").update(replan_enabled=True)
    result = replan_open_orders(actor="test", threshold=0.0)
    assert len(result.moved) == 1
    return order, result


def test_the_order_page_says_re_planned_and_the_saving(console, replanned):
    order, result = replanned

    page = console("Operations manager").get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert f"Re-planned: saved {result.saving:.2f} (plan #{result.run.pk})" in page


def test_the_operations_manager_lists_the_runs_and_customer_service_does_not(console, replanned):
    _, result = replanned

    page = console("Operations manager").get(reverse("admin:orders_replanrun_changelist"))

    assert page.status_code == 200 and f"{result.run.saving:.2f}" in page.content.decode()
    assert console("Customer service").get(reverse("admin:orders_replanrun_changelist")).status_code == 403


def test_a_channel_turns_re_planning_on_in_its_settings(console, web_channel):
    page = console("Operations manager").get(reverse("admin:orders_channel_change", args=[web_channel.pk])).content.decode()

    assert 'name="replan_enabled"' in page and 'name="release_delay_minutes"' in page
    assert not ReplanRun.objects.exists()


def test_the_channel_page_saves_re_planning_and_refuses_a_delay_beyond_a_week(console, web_channel):
    client = console("Operations manager")
    url = reverse("admin:orders_channel_change", args=[web_channel.pk])
    form = {"code": "web", "name": "Web shop", "kind": "web", "is_active": "on", "adapter": "", "integration": "", "replan_enabled": "on",
            "connection-TOTAL_FORMS": "0", "connection-INITIAL_FORMS": "0", "connection-MIN_NUM_FORMS": "0", "connection-MAX_NUM_FORMS": "1"}

    too_long = client.post(url, {**form, "release_delay_minutes": str(7 * 24 * 60 + 1)})
    assert too_long.status_code == 200 and "Ensure this value is less than or equal to 10080" in too_long.content.decode()
    assert Channel.objects.get(pk=web_channel.pk).replan_enabled is False

    assert client.post(url, {**form, "release_delay_minutes": "45"}).status_code == 302
    saved = Channel.objects.get(pk=web_channel.pk)
    assert (saved.replan_enabled, saved.release_delay_minutes) == (True, 45)

    assert client.post(url, {**form, "release_delay_minutes": ""}).status_code == 302  # blank keeps it
    assert Channel.objects.get(pk=web_channel.pk).release_delay_minutes == 45
