"""Signed links in customers' messages: a parcel's tracking page, the one-click preferences and
the one-click unsubscribe of one kind of message by one medium (RFC 8058).

A link carries a signed, timestamped token (``django.core.signing``, the project's SECRET_KEY, a
salt per purpose), so it opens without signing in, only for what it names, and expires. The
paths are fixed here; ``portal.urls`` serves them (a test checks the two agree).
"""

from django.conf import settings
from django.core import signing

TRACKING_PATH = "/portal/track/{token}/"
PREFERENCES_PATH = "/portal/preferences/{token}/"
UNSUBSCRIBE_PATH = "/portal/unsubscribe/{token}/"
_TRACKING_SALT = "portal.tracking"
_PREFERENCES_SALT = "portal.preferences"
_UNSUBSCRIBE_SALT = "portal.unsubscribe"


def _absolute(path: str) -> str:
    return settings.OMS_PORTAL_BASE_URL.rstrip("/") + path


def _read(token: str, *, salt: str, days: int) -> int | None:
    try:
        value = signing.loads(token, salt=salt, max_age=days * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None  # tampered, expired (SignatureExpired is a BadSignature) or not a token at all
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tracking_token(shipment_id: int) -> str:
    return signing.dumps(shipment_id, salt=_TRACKING_SALT)


def tracking_shipment_id(token: str) -> int | None:
    """The shipment a tracking token names, or None when it is forged or older than
    ``OMS_TRACKING_LINK_DAYS``."""
    return _read(token, salt=_TRACKING_SALT, days=settings.OMS_TRACKING_LINK_DAYS)


def tracking_url(shipment_id: int) -> str:
    return _absolute(TRACKING_PATH.format(token=tracking_token(shipment_id)))


def preferences_token(customer_id: int) -> str:
    return signing.dumps(customer_id, salt=_PREFERENCES_SALT)


def preferences_customer_id(token: str) -> int | None:
    """The customer a preferences token names, or None when forged or older than
    ``OMS_PREFERENCES_LINK_DAYS``."""
    return _read(token, salt=_PREFERENCES_SALT, days=settings.OMS_PREFERENCES_LINK_DAYS)


def preferences_url(customer_id: int) -> str:
    return _absolute(PREFERENCES_PATH.format(token=preferences_token(customer_id)))


def unsubscribe_token(customer_id: int, kind: str, medium: str) -> str:
    return signing.dumps({"c": customer_id, "k": kind, "m": medium}, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_target(token: str) -> tuple[int, str, str] | None:
    """(customer id, kind, medium) an unsubscribe token names, or None when forged, of another
    purpose or older than ``OMS_PREFERENCES_LINK_DAYS`` (the same life as the preferences link)."""
    try:
        value = signing.loads(token, salt=_UNSUBSCRIBE_SALT, max_age=settings.OMS_PREFERENCES_LINK_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict):
        return None
    customer_id, kind, medium = value.get("c"), value.get("k"), value.get("m")
    if not isinstance(customer_id, int) or isinstance(customer_id, bool) or not isinstance(kind, str) or not isinstance(medium, str):
        return None
    return customer_id, kind, medium


def unsubscribe_url(customer_id: int, kind: str, medium: str) -> str:
    return _absolute(UNSUBSCRIBE_PATH.format(token=unsubscribe_token(customer_id, kind, medium)))
