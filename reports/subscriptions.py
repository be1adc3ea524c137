"""Scheduled reports: a dashboard rendered to PDF and e-mailed to the people subscribed to it.

Run by a beat job every hour (``reports.tasks.report_subscriptions_send``). A subscription is due
when its period (yesterday, or the seven days to yesterday on its weekday) has not been sent and
its hour has come in the merchant's time zone. Guarantees: each period goes once per subscription
(claimed by a conditional UPDATE before sending; a failed send gives the claim back, so the next
run retries); a person who no longer may see reports gets nothing and the subscription says why;
nothing here runs in a request.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone

from oms.errors import InvalidInput

from .models import ReportSubscription

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "reports.view_reports"


def _dashboard_pdf(dashboard: str, filters: dict) -> bytes:
    from .dashboards import dashboard_pdf
    from .kpis import Filters

    return dashboard_pdf(dashboard, Filters(date_from=datetime.date.fromisoformat(filters["from"]), date_to=datetime.date.fromisoformat(filters["to"])))


def subscription_period(subscription: ReportSubscription, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """The days a report sent today covers, or ``None`` when this subscription sends nothing today."""
    last = today - datetime.timedelta(days=1)
    if subscription.frequency == ReportSubscription.Frequency.DAILY:
        return last, last
    if today.weekday() != subscription.weekday:
        return None
    return last - datetime.timedelta(days=6), last


def _claim(subscription: ReportSubscription, period_end: datetime.date) -> bool:
    unsent = Q(last_period_end__isnull=True) | Q(last_period_end__lt=period_end)
    return bool(ReportSubscription.objects.filter(unsent, pk=subscription.pk, active=True).update(last_period_end=period_end))


def report_subscription_send(*, subscription: ReportSubscription, period: tuple[datetime.date, datetime.date]) -> bool:
    """Render and e-mail one period of one subscription, once. Returns whether it was sent now."""
    start, end = period
    if not _claim(subscription, end):
        return False  # sent already (or being sent by another run)
    user = subscription.user
    reason = ""
    if not user.is_active or not user.has_perm(VIEW_PERMISSION):
        reason = f"{user.get_username()} may no longer see reports"
    elif not user.email:
        reason = f"{user.get_username()} has no e-mail address"
    if reason:
        ReportSubscription.objects.filter(pk=subscription.pk).update(active=False, last_error=f"Stopped: {reason}.")
        return False
    title = subscription.get_dashboard_display()
    span = end.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
    try:
        pdf = _dashboard_pdf(subscription.dashboard, {"from": start.isoformat(), "to": end.isoformat()})
        message = EmailMessage(
            subject=f"{title}, {span}",
            body=(f"Hello {user.get_short_name() or user.get_username()},\n\nattached is the {title.lower()} for {span}.\n\n"
                  f"You get it {subscription.get_frequency_display().lower()}; change or stop it in the console under "
                  "Reports > Report subscriptions.\n"),
            to=[user.email],
        )
        message.attach(f"{subscription.dashboard}-{end.isoformat()}.pdf", pdf, "application/pdf")
        message.send()
    except Exception as error:  # the next run tries the same period again
        logger.warning("Report subscription %s: %s for %s not sent: %s", subscription.pk, title, span, error)
        ReportSubscription.objects.filter(pk=subscription.pk, last_period_end=end).update(
            last_period_end=subscription.last_period_end, last_error=f"{error.__class__.__name__}: {error}"[:2000],
        )
        return False
    ReportSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now(), last_error="")
    return True


def report_subscriptions_send(*, now: datetime.datetime | None = None) -> int:
    """Send every subscription whose period is due now (see the module). Returns how many went."""
    local = timezone.localtime(now or timezone.now())
    today = local.date()
    sent = 0
    due = ReportSubscription.objects.filter(active=True, hour__lte=local.hour).filter(
        Q(last_period_end__isnull=True) | Q(last_period_end__lt=today - datetime.timedelta(days=1)),
    ).select_related("user").order_by("id")
    for subscription in due:
        period = subscription_period(subscription, today)
        if period is not None:
            sent += report_subscription_send(subscription=subscription, period=period)
    if sent:
        logger.info("Report subscriptions: %s sent (%s)", sent, settings.TIME_ZONE)
    return sent


def report_subscribe(*, user, dashboard: str, frequency: str, weekday: int = ReportSubscription.Weekday.MONDAY,
                     hour: int = 7) -> ReportSubscription:
    """Subscribe ``user`` to a dashboard (or change the day and hour of the subscription they have),
    if they may read reports; the subscription is active from now on."""
    if not user.has_perm(VIEW_PERMISSION):
        raise InvalidInput(f"{user} may not read reports, so cannot subscribe to them; give them the Accounting or Operations "
                           "manager role first.", fields={"user": ["May not read reports."]})
    subscription = ReportSubscription.objects.filter(user=user, dashboard=dashboard, frequency=frequency).first() or ReportSubscription(
        user=user, dashboard=dashboard, frequency=frequency)
    subscription.weekday, subscription.hour, subscription.active, subscription.last_error = weekday, hour, True, ""
    try:
        subscription.full_clean(validate_unique=False)
    except ValidationError as error:
        raise InvalidInput("The subscription is not valid.", fields=error.message_dict) from None
    subscription.save()
    return subscription
