"""The SMS adapter interface, the built-in local adapter and the choice between adapters.

An adapter sends one text to one E.164 number and says what became of it, in the notification
log's words (``queued``, ``sent``, ``delivered``, ``bounced``, ``failed``). A refusal (a number the
provider cannot reach, an account not allowed to send there) is an answer, not an exception: a
``failed`` result carrying the provider's words, since trying again cannot help. Only a failure
that may pass (rate limit, provider outage, network) raises ``SmsTransientError``, so the task
retries with backoff.
"""

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings

from portal.sms.segments import segment_count

logger = logging.getLogger("portal.sms")

QUEUED, SENT, DELIVERED, BOUNCED, FAILED = "queued", "sent", "delivered", "bounced", "failed"


class SmsTransientError(Exception):
    """Sending failed in a way that may pass (rate limit, provider error, network): retry later.
    Nothing was sent, as far as the provider told us."""


@dataclass(frozen=True)
class SmsResult:
    provider_message_id: str  # empty when the provider refused before creating a message
    status: str  # queued | sent | delivered | bounced | failed
    segments: int
    encoding: str  # GSM-7 | UCS-2
    detail: str = ""  # the provider's words on a refusal


class SmsAdapter:
    """One provider. ``send`` never raises for a refusal; it raises ``SmsTransientError`` for a
    failure worth retrying."""

    name = ""

    def send(self, *, to: str, body: str, reference: str) -> SmsResult:
        raise NotImplementedError


@dataclass(frozen=True)
class LocalMessage:
    to: str
    body: str
    reference: str
    provider_message_id: str
    segments: int
    encoding: str


# What the local adapter sent in this process, oldest first (tests and the demo read it).
local_outbox: list[LocalMessage] = []


class LocalSmsAdapter(SmsAdapter):
    """Sends nothing: records the message in ``local_outbox`` and the ``portal.sms`` log, and
    answers ``sent`` (there is no handset to say ``delivered``)."""

    name = "local"

    def send(self, *, to: str, body: str, reference: str) -> SmsResult:
        segments, encoding = segment_count(body)
        message = LocalMessage(to=to, body=body, reference=reference, provider_message_id=f"local-{uuid.uuid4().hex}", segments=segments, encoding=encoding)
        local_outbox.append(message)
        logger.info("SMS (local, not sent) %s to %s, %s segment(s) %s, reference %s:\n%s", message.provider_message_id, to, segments, encoding, reference, body)
        return SmsResult(provider_message_id=message.provider_message_id, status=SENT, segments=segments, encoding=encoding)


def sms_adapter() -> SmsAdapter:
    """The adapter ``OMS_SMS_BACKEND`` names (``local`` or ``twilio``)."""
    backend = settings.OMS_SMS_BACKEND
    if backend == "local":
        return LocalSmsAdapter()
    if backend == "twilio":
        from portal.sms.twilio import TwilioSmsAdapter  # only deployments that use it read its settings

        return TwilioSmsAdapter()
    raise ValueError(f"OMS_SMS_BACKEND={backend!r} names no SMS adapter: use 'local' or 'twilio'.")
