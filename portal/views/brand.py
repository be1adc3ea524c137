"""A channel's uploaded logo, public (messages load it from mail clients): its address carries the
picture's digest, so it never changes and is cached for a year; a new upload gets a new address."""

import re

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_http_methods

from ..models import LOGO_EXTENSIONS, ChannelBranding

YEAR_SECONDS = 365 * 86400


@require_http_methods(["GET", "HEAD"])
def logo(request, channel: str, filename: str):
    digest, _, extension = filename.partition(".")
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or not re.fullmatch(r"[-a-zA-Z0-9_]{1,32}", channel):
        raise Http404("No such logo.")
    found = (
        ChannelBranding.objects.filter(channel__code=channel, logo_digest=digest).exclude(logo_digest="")
        .values_list("logo_content_type", flat=True).first()
    )
    if found is None or LOGO_EXTENSIONS.get(found) != extension:
        raise Http404("No such logo.")
    etag = f'"{digest}"'
    asked = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
    if etag in asked or "*" in asked:
        response = HttpResponseNotModified()
    else:
        content = ChannelBranding.objects.filter(channel__code=channel, logo_digest=digest).values_list("logo", flat=True).first()
        response = HttpResponse(bytes(content or b""), content_type=found)
        response["Content-Length"] = str(len(content or b""))
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={YEAR_SECONDS}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
