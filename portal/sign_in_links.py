"""Magic links: a customer signs in by opening a link e-mailed to the address on file.

The link carries a signed token (the customer, a random nonce, where to go next) that expires
after ``OMS_PORTAL_LINK_MINUTES``. The nonce is also kept in the shared cache for as long as the
link lives, and signing in deletes it: the first use wins and a second use of the same link,
or a use after the cache forgot it, finds nothing and is refused.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from customers.models import Customer

_SALT = "portal.sign-in"


def _nonce_key(nonce: str) -> str:
    return f"portal-sign-in:{nonce}"


def _safe_next(next_path: str) -> str:
    """Only a portal path (never another site, never the console) is where a link may lead."""
    if next_path.startswith("/portal/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return reverse("portal:orders")


def sign_in_link_send(*, email: str, next_path: str = "") -> None:
    """E-mail a sign-in link to the customer with this address, if there is one. Says nothing
    either way: the caller answers the same whether or not the address is known."""
    customer = Customer.objects.filter(email=email.strip().lower()).first()
    if customer is None:
        return
    nonce = secrets.token_urlsafe(16)
    lifetime = settings.OMS_PORTAL_LINK_MINUTES * 60
    cache.set(_nonce_key(nonce), customer.pk, timeout=lifetime)
    token = signing.dumps({"c": customer.pk, "n": nonce, "next": _safe_next(next_path)}, salt=_SALT)
    context = {
        "customer": customer,
        "link": settings.OMS_PORTAL_BASE_URL.rstrip("/") + reverse("portal:sign-in-link", args=[token]),
        "minutes": settings.OMS_PORTAL_LINK_MINUTES,
    }
    # In the customer's language where the account knows it, else the one the request was made in.
    with translation.override(getattr(customer, "language", None) or translation.get_language()):
        subject = render_to_string("portal/email/sign_in_subject.txt", context).strip()
        body = render_to_string("portal/email/sign_in.txt", context)
    send_mail(subject, body, None, [customer.email])


def _read(token: str) -> dict | None:
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.OMS_PORTAL_LINK_MINUTES * 60)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("c"), int) or not isinstance(value.get("n"), str):
        return None
    return value


def sign_in_link_valid(token: str) -> bool:
    """Whether the link would sign in now (signed, not expired, not used yet); uses nothing."""
    value = _read(token)
    return value is not None and cache.get(_nonce_key(value["n"])) == value["c"]


def sign_in_link_use(token: str) -> tuple[Customer, str] | None:
    """The customer the link signs in and where to go next, once; None for a forged, expired or
    used link (or a customer since removed)."""
    value = _read(token)
    if value is None or cache.get(_nonce_key(value["n"])) != value["c"] or not cache.delete(_nonce_key(value["n"])):
        return None
    customer = Customer.objects.filter(pk=value["c"]).first()
    return (customer, _safe_next(value.get("next") or "")) if customer else None
