"""Scheduled reports: a manager subscribes to a dashboard, the hourly job e-mails its PDF once per
period through a real SMTP server, retries a period that failed, and stops for someone who may no
longer see reports."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from reports import subscriptions
from reports.models import ReportSubscription
from reports.subscriptions import report_subscriptions_send

from ..portal.smtp import SmtpServer

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PDF = b"%PDF-1.7\n% a dashboard\n"


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield server.mailbox


@pytest.fixture
def rendered(monkeypatch):
    """The dashboards asked for, as (dashboard, filters); each answers a small PDF."""
    asked = []

    def render(dashboard, filters):
        asked.append((dashboard, filters))
        return PDF

    monkeypatch.setattr(subscriptions, "_dashboard_pdf", render)
    return asked


@pytest.fixture
def manager(db):
    user = get_user_model().objects.create_user(username="mina", email="mina@example.com", password="x", is_staff=True, first_name="Mina")
    user.groups.add(Group.objects.get(name="Operations manager"))
    return user


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_a_daily_subscription_sends_yesterday_once_from_its_hour(settings, smtp, rendered, manager):
    settings.TIME_ZONE = "Europe/Berlin"
    ReportSubscription.objects.create(user=manager, dashboard="operations", frequency="daily", hour=7)

    assert report_subscriptions_send(now=_at("2026-12-04 06:30")) == 0  # before its hour
    assert report_subscriptions_send(now=_at("2026-12-04 07:05")) == 1
    assert report_subscriptions_send(now=_at("2026-12-04 08:05")) == 0  # the same period: sent already

    [message] = smtp.messages
    assert message["To"] == "mina@example.com" and message["Subject"] == "Operations dashboard, 2026-12-03"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "operations-2026-12-03.pdf" and attachment.get_content() == PDF
    assert rendered == [("operations", {"from": "2026-12-03", "to": "2026-12-03"})]


def test_a_weekly_subscription_sends_the_seven_days_before_on_its_weekday(settings, smtp, rendered, manager):
    settings.TIME_ZONE = "Europe/Berlin"
    ReportSubscription.objects.create(user=manager, dashboard="finance", frequency="weekly", weekday=0, hour=6)

    assert report_subscriptions_send(now=_at("2026-12-05 09:00")) == 0  # a Saturday
    assert report_subscriptions_send(now=_at("2026-12-07 06:01")) == 1  # Monday

    assert rendered == [("finance", {"from": "2026-11-30", "to": "2026-12-06"})]
    assert smtp.messages[0]["Subject"] == "Finance dashboard, 2026-11-30 to 2026-12-06"


def test_a_period_that_failed_is_sent_by_the_next_run(settings, smtp, rendered, manager):
    settings.TIME_ZONE = "Europe/Berlin"
    subscription = ReportSubscription.objects.create(user=manager, dashboard="operations", frequency="daily", hour=7)
    smtp.refuse = 1  # the server is unavailable once

    assert report_subscriptions_send(now=_at("2026-12-04 07:00")) == 0
    failed = ReportSubscription.objects.get(pk=subscription.pk)
    assert failed.last_period_end is None and "451" in failed.last_error

    assert report_subscriptions_send(now=_at("2026-12-04 08:00")) == 1
    sent = ReportSubscription.objects.get(pk=subscription.pk)
    assert sent.last_period_end == datetime.date(2026, 12, 3) and sent.last_error == "" and len(smtp.messages) == 1


def test_someone_who_may_no_longer_see_reports_gets_nothing_and_the_subscription_says_why(settings, smtp, rendered, manager):
    settings.TIME_ZONE = "Europe/Berlin"
    subscription = ReportSubscription.objects.create(user=manager, dashboard="finance", frequency="daily", hour=0)
    manager.groups.clear()

    assert report_subscriptions_send(now=_at("2026-12-04 07:00")) == 0

    stopped = ReportSubscription.objects.get(pk=subscription.pk)
    assert not stopped.active and "may no longer see reports" in stopped.last_error
    assert smtp.messages == [] and rendered == []


def test_a_manager_subscribes_in_the_console_for_themselves_and_sees_only_their_own(client, manager):
    other = get_user_model().objects.create_user(username="otto", email="otto@example.com", is_staff=True)
    other.groups.add(Group.objects.get(name="Accounting"))
    ReportSubscription.objects.create(user=other, dashboard="finance", frequency="weekly")
    client.force_login(manager)

    response = client.post("/admin/reports/reportsubscription/add/", {"dashboard": "operations", "frequency": "daily", "weekday": 0, "hour": 6, "active": "on"})

    assert response.status_code == 302
    assert ReportSubscription.objects.get(dashboard="operations").user == manager
    listed = client.get("/admin/reports/reportsubscription/").content.decode()
    assert "Operations dashboard" in listed and "otto" not in listed


def test_an_hour_past_23_is_a_form_error(client, manager):
    client.force_login(manager)

    response = client.post("/admin/reports/reportsubscription/add/", {"dashboard": "operations", "frequency": "daily", "weekday": 0, "hour": 24})

    assert response.status_code == 200 and "less than or equal to 23" in response.content.decode()
    assert not ReportSubscription.objects.exists()


def test_the_warehouse_cannot_subscribe(client):
    user = get_user_model().objects.create_user(username="wim", is_staff=True)
    user.groups.add(Group.objects.get(name="Warehouse"))
    client.force_login(user)

    assert client.get("/admin/reports/reportsubscription/add/").status_code == 403


def test_the_report_sent_is_the_dashboard_itself_as_a_pdf(settings, smtp, manager, client):
    from io import BytesIO

    from pypdf import PdfReader

    settings.TIME_ZONE = "Europe/Berlin"
    ReportSubscription.objects.create(user=manager, dashboard="operations", frequency="daily", hour=0)

    assert report_subscriptions_send(now=_at("2026-12-04 07:00")) == 1

    [attachment] = list(smtp.messages[0].iter_attachments())
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(attachment.get_content())).pages)
    assert "Operations dashboard" in text and "03 Dec 2026 – 03 Dec 2026" in text  # yesterday, in Berlin


def test_the_dashboard_offers_to_send_itself_by_e_mail(client, manager):
    client.force_login(manager)

    page = client.get("/admin/reports/dashboards/operations/").content.decode()

    assert "/admin/reports/reportsubscription/add/?dashboard=operations" in page


def test_subscribing_needs_the_right_to_read_reports_and_a_second_subscribe_changes_the_hour(manager):
    from oms.errors import InvalidInput

    clerk = get_user_model().objects.create_user(username="clerk", email="clerk@example.com", is_staff=True)
    with pytest.raises(InvalidInput, match="may not read reports"):
        subscriptions.report_subscribe(user=clerk, dashboard="operations", frequency="daily")
    assert not ReportSubscription.objects.filter(user=clerk).exists()

    first = subscriptions.report_subscribe(user=manager, dashboard="finance", frequency="weekly", hour=6)
    again = subscriptions.report_subscribe(user=manager, dashboard="finance", frequency="weekly", hour=9)

    assert again.pk == first.pk and ReportSubscription.objects.get(pk=first.pk).hour == 9
    with pytest.raises(InvalidInput) as refused:
        subscriptions.report_subscribe(user=manager, dashboard="finance", frequency="weekly", hour=24)
    assert "hour" in refused.value.fields
