"""Helpers the portal's tests share: signing a customer in as a browser does (by the e-mailed
link), and reading the portal's own session."""

import re

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail

from portal.links import tracking_shipment_id

LINK = re.compile(r"http://[^\s]+/portal/sign-in/([^/\s]+)/")


def emailed_link_token(to: str) -> str:
    """The token of the last sign-in link e-mailed to ``to``."""
    message = [m for m in mail.outbox if to in m.to][-1]
    return LINK.search(message.body).group(1)


def portal_sign_in_by_link(client, email: str):
    """Ask for a link, open it, click Continue: the answer to that last step."""
    client.post("/portal/sign-in/", {"email": email})
    token = emailed_link_token(email)
    assert client.get(f"/portal/sign-in/{token}/").status_code == 200
    return client.post(f"/portal/sign-in/{token}/")


def portal_session(client) -> SessionStore:
    return SessionStore(client.cookies[settings.OMS_PORTAL_SESSION_COOKIE_NAME].value)


def page_without_tokens(response, *replace: str) -> str:
    """A page's HTML without its (per-response) CSRF tokens and with ``replace`` blanked, to
    compare two answers."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    for text in replace:
        html = html.replace(text, "X")
    return html


TRACKING_LINK = re.compile(r"/portal/track/([^/\s\"']+)/")


def tracked_shipment_ids(page: str) -> set[int]:
    """The shipments whose tracking pages ``page`` links to (a token carries the second it was
    signed, so links are compared by what they open, not by their text)."""
    return {tracking_shipment_id(token) for token in TRACKING_LINK.findall(page)} - {None}
