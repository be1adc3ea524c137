"""The end of an order's life: a delivered order is completed once nothing more can come back."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from oms.actors import Actor
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.audit import order_lock, order_transition

from ..models import FINAL_STATUSES, ReturnPolicy, ReturnRequest
from ..selectors import order_return_clock, return_policy_for


def _window_closed(policies: list[ReturnPolicy], default_days: int, now: datetime) -> Q:
    """Orders whose return window (their channel's policy, else the default) has closed: one
    condition per channel with its own policy, so one query serves every channel."""
    own = {policy.channel_id: policy.window_days for policy in policies if policy.channel_id is not None}
    closed = Q(window_started__lt=now - timedelta(days=default_days))
    if own:
        closed &= ~Q(channel_id__in=list(own))
    for channel_id, days in own.items():
        closed |= Q(channel_id=channel_id, window_started__lt=now - timedelta(days=days))
    return closed


def _open_returns(order_id) -> Q:
    return ReturnRequest.objects.filter(order_id=order_id).exclude(status__in=FINAL_STATUSES)


def orders_complete_after_returns(*, now: datetime | None = None, limit: int = 500, actor: Actor = "job:orders-complete") -> int:
    """Complete delivered orders whose return window has closed with no return open; returns
    how many (at most ``limit``: the oldest windows first, the rest on the next run).

    The window is the channel's return policy's (else the default's) from delivery, or from the
    last shipment when no delivery scan came (as requests are judged). Each order is completed in
    its own transaction under its lock, re-checking its status and open returns there (a request
    takes the same lock), with the order's status change in its trail (``order.completed``); an
    order completed already, or with a return still open, is left as it is: safe to run twice.
    A return asked for after completion is recorded as needing a person (the request service).
    """
    now = now or timezone.now()
    policies = list(ReturnPolicy.objects.all())
    default_days = return_policy_for(None).window_days
    status_events = OrderEvent.objects.filter(order_id=OuterRef("pk"), kind=OrderEvent.Kind.STATUS)
    delivered = status_events.filter(to_status=OrderStatus.DELIVERED).order_by("created_at", "id").values("created_at")[:1]
    shipped = (
        status_events.filter(to_status__in=[OrderStatus.SHIPPED, OrderStatus.PARTIALLY_SHIPPED]).order_by("-created_at", "-id").values("created_at")[:1]
    )
    due = list(
        Order.objects.filter(status=OrderStatus.DELIVERED)
        .annotate(window_started=Coalesce(Subquery(delivered), Subquery(shipped)))
        .filter(_window_closed(policies, default_days, now))
        .filter(~Exists(_open_returns(OuterRef("pk"))))
        .order_by("window_started", "id")
        .values_list("pk", flat=True)[:limit]
    )
    completed = 0
    for order_id in due:
        with transaction.atomic():
            order = order_lock(order_id)
            if order.status != OrderStatus.DELIVERED or _open_returns(order.pk).exists():
                continue
            started, basis = order_return_clock(order.pk)
            window = return_policy_for(order.channel_id).window_days
            if started is None or started >= now - timedelta(days=window):
                continue
            order_transition(
                order, "complete", actor=actor, message=f"Completed: the {window}-day return window after {basis} closed with no return open",
                event_data={"window_days": window, "window_started": started.isoformat()},
            )
            completed += 1
    return completed
