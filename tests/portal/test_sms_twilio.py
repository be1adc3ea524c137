"""The Twilio adapter against a local server replaying Twilio's recorded answers
(tests/portal/recorded/twilio/), and ``sms_send`` through it and through the local adapter."""

import base64
from pathlib import Path

import pytest

from portal.sms import SmsTransientError, sms_send
from portal.sms.adapters import LocalSmsAdapter, local_outbox, sms_adapter
from portal.sms.twilio import TwilioSmsAdapter

from ..channels.platform_server import PlatformServer

RECORDED = Path(__file__).parent / "recorded"
ACCOUNT = "AC00000000000000000000000000000001"


@pytest.fixture
def twilio(settings):
    server = PlatformServer(recorded_in=RECORDED)
    settings.OMS_SMS_BACKEND = "twilio"
    settings.TWILIO_BASE_URL = server.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "auth-token-1"
    settings.TWILIO_API_KEY_SID = ""
    settings.TWILIO_FROM_NUMBER = "+15017122661"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.OMS_PORTAL_BASE_URL = "https://shop.example.com"
    yield server
    server.close()


def test_given_twilio_queues_the_message_then_the_sid_and_queued_come_back(twilio):
    twilio.play("twilio/message_queued")
    result = TwilioSmsAdapter().send(to="+4915123456789", body="Ihr Paket ist unterwegs", reference="event-1")
    assert (result.provider_message_id, result.status, result.segments, result.encoding) == ("SM1f0e8ae6ade43cb3c0ce4525424e404f", "queued", 1, "GSM-7")
    [request] = twilio.requests
    assert request["method"] == "POST" and request["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request["body"] == {
        "To": ["+4915123456789"], "From": ["+15017122661"], "Body": ["Ihr Paket ist unterwegs"],
        "StatusCallback": ["https://shop.example.com/portal/hooks/twilio/status/"],
    }
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:auth-token-1".encode()).decode()


def test_given_an_api_key_and_a_messaging_service_then_they_are_used(twilio, settings):
    settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET = "SK00000000000000000000000000000003", "key-secret"
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG00000000000000000000000000000002"
    twilio.play("twilio/message_accepted_service")
    result = TwilioSmsAdapter().send(to="+4915123456789", body="€" * 100, reference="event-2")
    assert (result.status, result.segments) == ("queued", 2)  # Twilio says 0 segments until a sender is picked
    [request] = twilio.requests
    assert request["body"]["MessagingServiceSid"] == ["MG00000000000000000000000000000002"] and "From" not in request["body"]
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"SK00000000000000000000000000000003:key-secret").decode()


@pytest.mark.parametrize(
    ("recording", "words"),
    [
        ("twilio/invalid_to_number", "Twilio error 21211: The 'To' number +4915100000000 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"),
        ("twilio/unsubscribed_recipient", "Twilio error 21610: Attempt to send to unsubscribed recipient (https://www.twilio.com/docs/errors/21610)"),
    ],
)
def test_given_twilio_refuses_then_a_failed_result_carries_its_words(twilio, recording, words):
    twilio.play(recording)
    result = TwilioSmsAdapter().send(to="+4915100000000", body="Hello", reference="event-3")
    assert (result.provider_message_id, result.status, result.detail) == ("", "failed", words)


@pytest.mark.parametrize(
    ("recording", "words"),
    [
        ("twilio/too_many_requests", "Twilio answered 429: Twilio error 20429: Too Many Requests"),
        ("twilio/internal_error", "Twilio answered 500: Twilio error 20500: An internal server error has occurred"),
        ("twilio/bad_gateway", "Twilio answered 503: HTTP 503 Service Unavailable"),
    ],
)
def test_given_a_rate_limit_or_an_outage_then_the_error_is_transient(twilio, recording, words):
    twilio.play(recording)
    with pytest.raises(SmsTransientError, match=words.replace("(", r"\(").replace(")", r"\)")):
        TwilioSmsAdapter().send(to="+4915123456789", body="Hello", reference="event-4")


def test_given_twilio_cannot_be_reached_then_the_error_is_transient(twilio, settings):
    twilio.close()
    with pytest.raises(SmsTransientError, match="could not be reached"):
        TwilioSmsAdapter().send(to="+4915123456789", body="Hello", reference="event-5")


def test_given_no_credentials_then_the_adapter_says_which_setting_is_missing(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        sms_adapter()


# --- sms_send: what the notification pipeline calls ---


def test_given_a_local_number_then_sms_send_normalizes_it_and_twilio_gets_e164(twilio):
    twilio.play("twilio/message_queued")
    provider_message_id, status = sms_send(to="0151 23456789", body="Hallo", reference="event-6", region="DE")
    assert (provider_message_id, status) == ("SM1f0e8ae6ade43cb3c0ce4525424e404f", "queued")
    assert twilio.requests[0]["body"]["To"] == ["+4915123456789"]


def test_given_a_too_long_body_then_sms_send_shortens_it_to_the_limit(twilio, settings):
    settings.OMS_SMS_MAX_SEGMENTS = 1
    twilio.play("twilio/message_queued")
    outcome = sms_send(to="+4915123456789", body="word " * 100 + "https://shop.example.com/t/1/", reference="event-7")
    [sent] = twilio.requests[0]["body"]["Body"]
    assert sent == outcome.body and len(sent) <= 160 and sent.endswith("... https://shop.example.com/t/1/")


def test_given_an_invalid_number_then_sms_send_fails_without_calling_twilio(twilio):
    outcome = sms_send(to="12", body="Hallo", reference="event-8", region="DE")
    assert tuple(outcome) == ("", "failed") and "'12' is not" in outcome.reason
    assert twilio.requests == []


def test_given_an_empty_text_then_sms_send_fails_without_calling_twilio(twilio):
    outcome = sms_send(to="+4915123456789", body=" \n", reference="event-12")
    assert tuple(outcome) == ("", "failed") and outcome.reason == "Nothing to send: the SMS text is empty."
    assert twilio.requests == []


def test_given_a_refusal_then_sms_send_returns_failed_with_the_reason(twilio):
    twilio.play("twilio/invalid_to_number")
    outcome = sms_send(to="+4915123456789", body="Hallo", reference="event-9")
    assert (outcome.provider_message_id, outcome.status) == ("", "failed") and "21211" in outcome.reason


def test_given_a_rate_limit_then_sms_send_raises_for_a_retry(twilio):
    twilio.play("twilio/too_many_requests")
    with pytest.raises(SmsTransientError):
        sms_send(to="+4915123456789", body="Hallo", reference="event-10")


def test_given_the_local_backend_then_the_message_is_recorded_not_sent(settings):
    settings.OMS_SMS_BACKEND = "local"
    local_outbox.clear()
    provider_message_id, status = sms_send(to="+49 151 23456789", body="Ihr Paket: 1 × Zelt 😀", reference="event-11")
    [message] = local_outbox
    assert status == "sent" and message.provider_message_id == provider_message_id and provider_message_id.startswith("local-")
    assert (message.to, message.body, message.reference, message.segments, message.encoding) == ("+4915123456789", "Ihr Paket: 1 × Zelt 😀", "event-11", 1, "UCS-2")
    assert isinstance(sms_adapter(), LocalSmsAdapter)


def test_given_an_unknown_backend_then_the_choice_is_refused(settings):
    settings.OMS_SMS_BACKEND = "carrier-pigeon"
    with pytest.raises(ValueError, match="'local' or 'twilio'"):
        sms_adapter()
