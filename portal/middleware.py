"""The portal's own session cookie and language.

Sessions: under ``/portal/`` the session lives in a cookie of its own
(``OMS_PORTAL_SESSION_COOKIE_NAME``, path ``/portal/``), so a customer's session and a member of
staff's are two sessions even in one browser: signing out of either leaves the other as it was,
and the console's rights never reach a portal page (there ``request.user`` is anonymous). Django's
session handling does the rest; only the cookie's name and path differ.

Language: a portal page speaks the language the visitor chose (Django's ``set_language`` cookie),
else the signed-in customer's (``Customer.language`` where it exists), else the browser's; the
console is left in its own language.
"""

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .auth import SESSION_KEY, portal_customer

PORTAL_PREFIX = "/portal/"


def is_portal_path(path: str) -> bool:
    return path.startswith(PORTAL_PREFIX)


class PortalSessionMiddleware(SessionMiddleware):
    """Django's session middleware, reading and writing the portal's cookie under /portal/."""

    def process_request(self, request):
        if not is_portal_path(request.path):
            return super().process_request(request)
        request.session = self.SessionStore(request.COOKIES.get(settings.OMS_PORTAL_SESSION_COOKIE_NAME))

    def process_response(self, request, response):
        if not is_portal_path(request.path):
            return super().process_response(request, response)
        # Let Django decide (save, renew or delete) as if the portal's cookie were the session
        # cookie, then hand the cookie it wrote to the portal's name and path.
        staff_name, portal_name = settings.SESSION_COOKIE_NAME, settings.OMS_PORTAL_SESSION_COOKIE_NAME
        cookies = request.COOKIES
        request.COOKIES = {name: value for name, value in cookies.items() if name != staff_name}
        if portal_name in cookies:
            request.COOKIES[staff_name] = cookies[portal_name]
        try:
            response = super().process_response(request, response)
        finally:
            request.COOKIES = cookies
        written = response.cookies.pop(staff_name, None)
        if written is not None:
            response.set_cookie(
                portal_name, written.value, max_age=written["max-age"] if written["max-age"] != "" else None,
                expires=written["expires"] or None, path=PORTAL_PREFIX, domain=settings.SESSION_COOKIE_DOMAIN,
                secure=settings.SESSION_COOKIE_SECURE or None, httponly=True, samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response


def portal_language(request) -> str:
    """The language a portal page is shown in (one of ``LANGUAGES``)."""
    supported = dict(settings.LANGUAGES)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in supported:
        return chosen
    if request.session.get(SESSION_KEY) is not None:
        customer = portal_customer(request)
        known = getattr(customer, "language", None) if customer else None
        if known:
            known = known.split("-")[0].lower()
            if known in supported:
                return known
    return translation.get_language_from_request(request)


class PortalLocaleMiddleware:
    """Portal pages in the visitor's language; the language is put back after the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_portal_path(request.path):
            return self.get_response(request)
        language = portal_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
