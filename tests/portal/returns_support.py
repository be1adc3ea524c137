"""Helpers of the portal's self-service tests: a signed-in customer, shipped orders of theirs."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from orders.models import OrderEvent, OrderStatus
from portal.auth import SESSION_KEY


def sign_in_as(client, customer) -> None:
    """The portal session of ``customer`` (what the magic link leaves behind), under the
    portal's own session cookie."""
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.save()
    client.cookies[settings.OMS_PORTAL_SESSION_COOKIE_NAME] = session.session_key


def delivered_days_ago(order, days: int) -> None:
    """Move the order's delivery (the return window's start) ``days`` back."""
    OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED).update(created_at=timezone.now() - timedelta(days=days))
