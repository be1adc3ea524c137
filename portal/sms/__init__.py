"""SMS for the notification pipeline: one call to send, one to count.

``sms_send(to=, body=, reference=)`` normalizes ``to`` to E.164, fits ``body`` to
``OMS_SMS_MAX_SEGMENTS``, sends it through the adapter ``OMS_SMS_BACKEND`` names and returns
``(provider message id, status)`` in the notification log's words (queued, sent, delivered,
bounced, failed). It never raises for a message that cannot go: an invalid number, an empty
text or the provider's refusal returns status ``failed`` (provider id empty) with the reason on
the answer's ``reason``. It raises ``SmsTransientError`` when trying again later may succeed (rate limit,
provider outage, network): the caller retries with backoff.
"""

from oms.errors import InvalidInput
from portal.sms.adapters import FAILED, SmsTransientError, sms_adapter
from portal.sms.phone import phone_e164
from portal.sms.segments import segment_count, sms_fit

__all__ = ["SmsOutcome", "SmsTransientError", "sms_segments", "sms_send"]


class SmsOutcome(tuple):
    """``(provider_message_id, status)``, unpacked as a pair; ``reason`` says why a ``failed``
    message did not go, and ``body`` is the text as sent (shortened when it was too long)."""

    def __new__(cls, provider_message_id: str, status: str, *, reason: str = "", body: str = ""):
        outcome = super().__new__(cls, (provider_message_id, status))
        outcome.reason = reason
        outcome.body = body
        return outcome

    @property
    def provider_message_id(self) -> str:
        return self[0]

    @property
    def status(self) -> str:
        return self[1]


def sms_send(*, to: str, body: str, reference: str, region: str = "") -> SmsOutcome:
    """Send ``body`` to ``to`` (read in ``region``, the order's shipping country, when written
    without a country code). See the module's docstring for what comes back and what raises."""
    try:
        number = phone_e164(to, region=region)
    except InvalidInput as error:
        return SmsOutcome("", FAILED, reason=error.message)
    text = sms_fit(body)
    if not text:
        return SmsOutcome("", FAILED, reason="Nothing to send: the SMS text is empty.")
    result = sms_adapter().send(to=number, body=text, reference=reference)
    return SmsOutcome(result.provider_message_id, result.status, reason=result.detail, body=text)


def sms_segments(body: str) -> tuple[int, str]:
    """(segments, encoding) that ``body`` costs as it stands: ``GSM-7`` or ``UCS-2``."""
    return segment_count(body)
