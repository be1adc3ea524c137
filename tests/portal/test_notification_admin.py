"""The console's side of notifications: the log, sending a failed message again, branding,
overrides and the preview of every message."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.models import Notification, NotificationKind, NotificationStatus, NotificationTemplateOverride

from ..factories import ChannelFactory, CustomerFactory


@pytest.fixture
def console(db, client):
    def login(role: str):
        user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


def failed_notification(**fields) -> Notification:
    customer = CustomerFactory(email="ada@example.com")
    values = dict(event_uuid=uuid.uuid4(), event_name="order.created", kind=NotificationKind.ORDER_CONFIRMED, medium="email",
                  recipient=customer.email, customer=customer, status=NotificationStatus.FAILED, attempts=6, last_error="451 try again",
                  message_id="<abc@oms.local>")
    values.update(fields)
    return Notification.objects.create(**values)


@pytest.mark.parametrize("kind", NotificationKind.values)
@pytest.mark.parametrize("language", ["en", "de"])
def test_customer_service_previews_every_kind_in_every_language(console, kind, language):
    channel = ChannelFactory(code="web")
    client = console("Customer service")

    page = client.get(reverse("admin:portal_notification_preview"), {"kind": kind, "language": language, "channel": channel.pk})
    frame = client.get(page.context["html_url"])  # what the page's frame loads

    assert page.status_code == 200 and frame.status_code == 200
    assert page.context["rendered"].subject and "/portal/preferences/" in page.context["rendered"].text
    assert b"<iframe" in page.content and b"<style" not in page.content
    assert "sandbox" in frame["Content-Security-Policy"] and "script-src" not in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    # The frame holds the message's HTML (its signed links differ by the second they were made).
    assert "/portal/preferences/" in page.context["rendered"].html and "/portal/preferences/" in frame.content.decode()
    if language == "de":
        assert "Hallo Ada" in page.context["rendered"].text


def test_the_preview_uses_the_channels_active_override_and_touches_no_order(console):
    channel = ChannelFactory(code="web")
    NotificationTemplateOverride.objects.create(channel=channel, kind="shipped", language="en", subject="On its way: {{ order_number }}", text_body="Yay {{ carrier }}")
    client = console("Customer service")

    page = client.get(reverse("admin:portal_notification_preview"), {"kind": "shipped", "language": "en", "channel": channel.pk})

    assert page.context["rendered"].subject == "On its way: WEB-100042" and "Yay OMS Post" in page.context["rendered"].text
    assert not Notification.objects.exists()


def test_a_role_without_notifications_cannot_preview(console):
    client = console("Warehouse")

    assert client.get(reverse("admin:portal_notification_preview")).status_code == 403
    assert client.get(reverse("admin:portal_notification_preview_html")).status_code == 403


def test_customer_service_finds_a_failed_message_and_sends_it_again(console, settings):
    notification = failed_notification()
    client = console("Customer service")

    listing = client.get(reverse("admin:portal_notification_changelist"), {"status": "failed", "q": "ada@"})
    assert listing.status_code == 200 and b"ada@example.com" in listing.content and b"Preview messages" in listing.content

    response = client.post(
        reverse("admin:portal_notification_changelist"), {"action": "resend", "_selected_action": [notification.pk]}, follow=True,
    )

    assert response.status_code == 200
    stored = Notification.objects.get()  # queued for the worker (the test's transaction never commits)
    assert (stored.status, stored.attempts, stored.last_error) == (NotificationStatus.QUEUED, 0, "sent again by customer_service")
    assert stored.message_id == "<abc@oms.local>"


def test_accounting_sees_no_notification_log(console):
    failed_notification()
    client = console("Accounting")

    assert client.get(reverse("admin:portal_notification_changelist")).status_code == 403


def test_a_broken_override_is_refused_in_the_console_with_the_template_error(console):
    channel = ChannelFactory(code="web")
    client = console("Operations manager")

    response = client.post(reverse("admin:portal_notificationtemplateoverride_add"), {
        "channel": channel.pk, "kind": "shipped", "language": "en", "active": "on", "subject": "{% if order_number %}Shipped", "html_body": "", "text_body": "",
    })

    assert response.status_code == 200
    assert "The template does not render" in str(response.context["adminform"].form.errors["subject"])
    assert not NotificationTemplateOverride.objects.exists()


def test_a_colour_that_is_not_rrggbb_is_refused(console):
    channel = ChannelFactory(code="web")
    client = console("Operations manager")

    response = client.post(reverse("admin:portal_channelbranding_add"), {
        "channel": channel.pk, "shop_name": "Nordlicht", "primary_colour": "green", "accent_colour": "#2563eb",
    })

    assert response.status_code == 200 and "#rrggbb" in str(response.context["adminform"].form.errors["primary_colour"])
