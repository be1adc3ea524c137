"""Twilio's Programmable Messaging: sending through its REST API and reading its status callbacks.

Sending is ``POST {TWILIO_BASE_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded
``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and ``StatusCallback``, with HTTP Basic
authentication: the account SID and auth token, or an API key's SID and secret. Twilio answers
201 with the Message resource (``sid``, ``status``, ``num_segments``); a refusal is a 4xx with
``{"code", "message", "more_info", "status"}`` (e.g. 21211, the 'To' number is not valid); 429
(error 20429) and 5xx are worth retrying. Sources: twilio.com/docs/messaging/api/message-resource,
twilio.com/docs/usage/twilios-response, twilio.com/docs/api/errors.

Status callbacks are signed: ``X-Twilio-Signature`` is the base64 HMAC-SHA1, keyed with the auth
token, of the full URL Twilio requested followed by every POST parameter's name and value sorted by
name (twilio.com/docs/usage/webhooks/webhooks-security).
"""

import base64
import hashlib
import hmac
import logging

import requests
from django.conf import settings

from portal.sms.adapters import BOUNCED, DELIVERED, FAILED, QUEUED, SENT, SmsAdapter, SmsResult, SmsTransientError
from portal.sms.segments import segment_count

logger = logging.getLogger("portal.sms")

STATUS_CALLBACK_PATH = "/portal/hooks/twilio/status/"

# Twilio's message statuses in the notification log's words. ``undelivered`` is the handset or its
# carrier saying no (a bounce); ``failed`` is Twilio not sending it at all.
TWILIO_STATUSES = {
    "accepted": QUEUED,  # a Messaging Service took it and will pick a sender
    "scheduled": QUEUED,
    "queued": QUEUED,
    "sending": SENT,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": BOUNCED,
    "failed": FAILED,
    "canceled": FAILED,
}


def status_callback_url() -> str:
    """Where Twilio reports a message's status: the portal's public address and the hook's path."""
    return settings.OMS_PORTAL_BASE_URL.rstrip("/") + STATUS_CALLBACK_PATH


def twilio_signature(*, url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of ``params`` to ``url``."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(*, url: str, params: list[tuple[str, str]], signature: str) -> bool:
    """Whether ``signature`` is Twilio's for this request (compared in constant time). Without an
    auth token configured nothing can be verified, so nothing is accepted."""
    auth_token = settings.TWILIO_AUTH_TOKEN
    if not auth_token or not signature:
        return False
    expected = twilio_signature(url=url, params=params, auth_token=auth_token)
    return hmac.compare_digest(expected.encode(), signature.encode())


class TwilioSmsAdapter(SmsAdapter):
    name = "twilio"

    def __init__(self):
        self.account_sid = settings.TWILIO_ACCOUNT_SID
        if not self.account_sid:
            raise ValueError("OMS_SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID.")
        if settings.TWILIO_API_KEY_SID:
            self.auth = (settings.TWILIO_API_KEY_SID, settings.TWILIO_API_KEY_SECRET)
        elif settings.TWILIO_AUTH_TOKEN:
            self.auth = (self.account_sid, settings.TWILIO_AUTH_TOKEN)
        else:
            raise ValueError("OMS_SMS_BACKEND=twilio needs TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET.")
        if not (settings.TWILIO_FROM_NUMBER or settings.TWILIO_MESSAGING_SERVICE_SID):
            raise ValueError("OMS_SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.")
        self.url = f"{settings.TWILIO_BASE_URL.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def send(self, *, to: str, body: str, reference: str) -> SmsResult:
        segments, encoding = segment_count(body)
        form = {"To": to, "Body": body, "StatusCallback": status_callback_url()}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            form["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            form["From"] = settings.TWILIO_FROM_NUMBER
        try:
            response = requests.post(self.url, data=form, auth=self.auth, timeout=settings.TWILIO_TIMEOUT_SECONDS)
        except requests.RequestException as error:
            # A timeout after Twilio took the message would send it twice on retry; Twilio's
            # Messages API has no idempotency key, so that risk is the provider's to carry.
            raise SmsTransientError(f"Twilio could not be reached ({type(error).__name__}); try again later.") from None
        answer = _json(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise SmsTransientError(f"Twilio answered {response.status_code}: {_words(answer, response)}; try again later.")
        if response.status_code >= 400:
            detail = _words(answer, response)
            logger.warning("Twilio refused SMS %s to %s: %s", reference, to, detail)
            return SmsResult(provider_message_id="", status=FAILED, segments=segments, encoding=encoding, detail=detail)
        status = TWILIO_STATUSES.get(answer.get("status", ""), QUEUED)
        detail = ""
        if status in (FAILED, BOUNCED):
            detail = f"Twilio {answer.get('error_code')}: {answer.get('error_message') or answer.get('status')}"
        return SmsResult(
            provider_message_id=answer.get("sid", ""), status=status,
            segments=int(answer.get("num_segments") or 0) or segments, encoding=encoding, detail=detail,
        )


def _json(response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _words(answer: dict, response) -> str:
    """Twilio's own explanation of an error answer (code, message, link), or the HTTP status."""
    if "message" in answer:
        words = f"Twilio error {answer.get('code')}: {answer['message']}"
        return f"{words} ({answer['more_info']})" if answer.get("more_info") else words
    return f"HTTP {response.status_code} {response.reason}"
