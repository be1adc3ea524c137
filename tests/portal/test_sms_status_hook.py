"""Twilio's status callback: only Twilio's signed requests are read; statuses reach the
notification log in its words."""

import sys
import types

import pytest
from django.urls import reverse

from portal.sms.twilio import STATUS_CALLBACK_PATH, twilio_signature

TOKEN = "auth-token-1"
URL = "https://shop.example.com/portal/hooks/twilio/status/"


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.OMS_PORTAL_BASE_URL = "https://shop.example.com"


@pytest.fixture
def status_updates(monkeypatch):
    """The notification log's update, which the notify branch builds: recorded here in its place."""
    updates = []
    package = types.ModuleType("portal.notifications")
    log = types.ModuleType("portal.notifications.log")
    log.notification_status_update = lambda **update: updates.append(update)
    package.log = log
    monkeypatch.setitem(sys.modules, "portal.notifications", package)
    monkeypatch.setitem(sys.modules, "portal.notifications.log", log)
    return updates


def _callback(status: str, **extra) -> dict:
    return {"AccountSid": "AC00000000000000000000000000000001", "ApiVersion": "2010-04-01", "From": "+15017122661", "To": "+4915123456789",
            "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "MessageStatus": status, "SmsStatus": status, **extra}


def _post(client, data, signature=None, path=STATUS_CALLBACK_PATH, url=URL):
    if signature is None:
        signature = twilio_signature(url=url, params=list(data.items()), auth_token=TOKEN)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(path, data, headers=headers)


def test_given_twilios_documented_example_then_the_signature_matches():
    # twilio.com/docs/usage/webhooks/webhooks-security: the example request and its signature.
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030", "To": "+18005551212"}
    assert twilio_signature(url="https://mycompany.com/myapp.php?foo=1&bar=2", params=list(params.items()), auth_token="12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_given_the_hooks_path_then_urls_serve_it():
    assert reverse("twilio-status") == STATUS_CALLBACK_PATH


@pytest.mark.parametrize(
    ("twilio_status", "log_status"),
    [("queued", "queued"), ("sending", "sent"), ("sent", "sent"), ("delivered", "delivered"), ("undelivered", "bounced"), ("failed", "failed")],
)
def test_given_a_signed_callback_then_the_log_gets_the_status_in_its_words(client, status_updates, twilio_status, log_status):
    response = _post(client, _callback(twilio_status))
    assert response.status_code == 200
    assert status_updates == [{"provider_message_id": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": log_status, "detail": f"Twilio: {twilio_status}"}]


def test_given_an_undelivered_message_then_the_error_code_is_in_the_detail(client, status_updates):
    _post(client, _callback("undelivered", ErrorCode="30005"))
    assert status_updates[0]["detail"] == "Twilio: undelivered, error 30005 (https://www.twilio.com/docs/api/errors/30005)"


def test_given_a_query_string_on_the_callback_then_it_is_part_of_what_is_signed(client, status_updates):
    data = _callback("delivered")
    assert _post(client, data, path=STATUS_CALLBACK_PATH + "?attempt=2", url=URL + "?attempt=2").status_code == 200
    assert _post(client, data, path=STATUS_CALLBACK_PATH + "?attempt=3", url=URL + "?attempt=2").status_code == 403


def test_given_a_wrong_signature_then_403_and_nothing_is_recorded(client, status_updates):
    data = _callback("delivered")
    forged = twilio_signature(url=URL, params=list(data.items()), auth_token="someone-elses-token")
    assert _post(client, data, signature=forged).status_code == 403
    assert status_updates == []


def test_given_a_tampered_status_then_the_signature_no_longer_matches(client, status_updates):
    signature = twilio_signature(url=URL, params=list(_callback("failed").items()), auth_token=TOKEN)
    assert _post(client, _callback("delivered"), signature=signature).status_code == 403
    assert status_updates == []


def test_given_no_signature_then_403(client, status_updates):
    assert _post(client, _callback("delivered"), signature="").status_code == 403
    assert status_updates == []


def test_given_no_auth_token_configured_then_every_callback_is_refused(client, settings, status_updates):
    data = _callback("delivered")
    signature = twilio_signature(url=URL, params=list(data.items()), auth_token="")
    settings.TWILIO_AUTH_TOKEN = ""
    assert _post(client, data, signature=signature).status_code == 403


def test_given_a_status_we_do_not_track_then_200_and_nothing_recorded(client, status_updates):
    assert _post(client, _callback("receiving")).status_code == 200
    assert status_updates == []


def test_given_a_get_then_405(client):
    assert client.get(STATUS_CALLBACK_PATH).status_code == 405


def test_given_no_notification_log_installed_then_the_callback_is_still_answered(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "portal.notifications.log", None)  # importing it fails
    assert _post(client, _callback("delivered")).status_code == 200


@pytest.mark.django_db
def test_given_a_logged_sms_when_twilio_reports_it_undelivered_then_the_log_says_bounced(client):
    import uuid

    from portal.models import Medium, Notification, NotificationKind, NotificationStatus

    sid = _callback("undelivered")["MessageSid"]
    log = Notification.objects.create(
        event_uuid=uuid.uuid4(), event_name="fulfillment.shipped", kind=NotificationKind.SHIPPED, medium=Medium.SMS,
        recipient="+4915123456789", status=NotificationStatus.SENT, provider_message_id=sid,
    )

    assert _post(client, _callback("delivered")).status_code == 200
    assert Notification.objects.get(pk=log.pk).status == NotificationStatus.DELIVERED
    assert _post(client, _callback("undelivered", ErrorCode="30005")).status_code == 200

    log.refresh_from_db()
    assert log.status == NotificationStatus.BOUNCED and "error 30005" in log.last_error
