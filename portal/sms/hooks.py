"""Twilio's status callback: a message moved (sent, delivered, undelivered, failed).

Only a request signed with our auth token is read (403 otherwise); the signed URL is the one we
gave Twilio as ``StatusCallback`` (the portal's public address, see ``status_callback_url``), so a
proxy in front of the web process does not change what is verified. The notification log applies
the status; callbacks can arrive out of order, which the log's update takes care of.
"""

import logging

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.sms.twilio import TWILIO_STATUSES, status_callback_url, twilio_signature_valid

logger = logging.getLogger("portal.sms")


@csrf_exempt  # Twilio cannot send a CSRF token; the signature stands in for it
@require_POST
def twilio_status_hook(request):
    query = request.META.get("QUERY_STRING", "")
    url = status_callback_url() + (f"?{query}" if query else "")
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    if not twilio_signature_valid(url=url, params=params, signature=request.headers.get("X-Twilio-Signature", "")):
        logger.warning("Twilio status callback with a missing or wrong signature refused")
        return HttpResponseForbidden("The X-Twilio-Signature header does not match this request.")
    message_sid = request.POST.get("MessageSid", "")
    twilio_status = request.POST.get("MessageStatus", "")
    status = TWILIO_STATUSES.get(twilio_status)
    if not message_sid or status is None:
        logger.info("Twilio status callback ignored: message %r, status %r", message_sid, twilio_status)
        return HttpResponse(status=200)  # nothing we track (an answer Twilio would only resend)
    detail = f"Twilio: {twilio_status}"
    if error_code := request.POST.get("ErrorCode", ""):
        detail += f", error {error_code} (https://www.twilio.com/docs/api/errors/{error_code})"
    try:
        from portal.notifications.log import notification_status_update  # the log lives above SMS
    except ImportError:
        logger.info("Twilio status %s for %s not recorded: no notification log installed", twilio_status, message_sid)
        return HttpResponse(status=200)
    notification_status_update(provider_message_id=message_sid, status=status, detail=detail)
    return HttpResponse(status=200)
