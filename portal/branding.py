"""A channel's uploaded logo: which pictures are taken (PNG, JPEG or GIF, told by their first bytes,
never by the name or the browser's word), how large, and the public address it is served from."""

import hashlib

from django.conf import settings

from oms.errors import InvalidInput

from .models import LOGO_EXTENSIONS, LOGO_MAX_BYTES, ChannelBranding

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
LOGO_PATH = "/portal/brand/{channel}/logo/{digest}.{extension}"


def logo_content_type(content: bytes) -> str:
    """The content type of an uploaded logo, or InvalidInput saying what is wrong with it."""
    if not content:
        raise InvalidInput("The logo file is empty.", fields={"logo_upload": ["The file is empty."]})
    if len(content) > LOGO_MAX_BYTES:
        message = f"The logo is {len(content) // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB."
        raise InvalidInput(message, fields={"logo_upload": [message]})
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    message = "The logo must be a PNG, JPEG or GIF picture (this file is none of them)."
    raise InvalidInput(message, fields={"logo_upload": [message]})


def logo_fields(content: bytes | None) -> dict:
    """The branding's logo fields for this upload (None: no uploaded logo)."""
    if content is None:
        return {"logo": None, "logo_content_type": "", "logo_digest": ""}
    return {"logo": content, "logo_content_type": logo_content_type(content), "logo_digest": hashlib.sha256(content).hexdigest()}


def logo_path(channel_code: str, digest: str, content_type: str) -> str:
    return LOGO_PATH.format(channel=channel_code, digest=digest, extension=LOGO_EXTENSIONS.get(content_type, "bin"))


def logo_absolute_url(branding: ChannelBranding) -> str:
    """Where messages load the uploaded logo from (blank: none uploaded). Needs the channel."""
    if not branding.logo_digest:
        return ""
    return settings.OMS_PORTAL_BASE_URL.rstrip("/") + logo_path(branding.channel.code, branding.logo_digest, branding.logo_content_type)
