from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .two_factor import authenticator_confirmed, two_factor_pending

# Console pages a session that owes its second factor may still open.
OPEN_CONSOLE_VIEWS = {"login", "logout"}


class TwoFactorMiddleware:
    """Sends a console session that owes its second factor to give it (or to enrol an
    authenticator first) before any console page. After django_otp's OTPMiddleware.

    The API refuses such a session on its own (``oms.api.authentication.VerifiedSessionAuthentication``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.namespace != admin.site.name or match.url_name in OPEN_CONSOLE_VIEWS:
            return None
        if not two_factor_pending(request.user):
            return None
        step = "two_factor:verify" if authenticator_confirmed(request.user) else "two_factor:setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
