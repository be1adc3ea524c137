"""The demo's hold queue shows how long each order really waits."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from orders.models import OrderHold

pytestmark = pytest.mark.django_db


def test_given_the_demo_when_the_hold_queue_is_opened_then_holds_wait_since_their_orders_came_in(
    settings, django_capture_on_commit_callbacks, console
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "--orders", "60", "--customers", "30", "--skus", "30", "--quiet")

    holds = list(OrderHold.objects.filter(released_at__isnull=True).select_related("order"))
    page = console("Customer service", username="queue-reader").get(reverse("admin:orders_heldorder_changelist")).content.decode()

    assert holds and all(hold.created_at == hold.order.placed_at for hold in holds)
    assert "days" in page or "weeks" in page or "months" in page
