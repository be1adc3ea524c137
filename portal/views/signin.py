"""Signing in by a link e-mailed to the address on file, and signing out.

The request page answers the same whether or not the address belongs to a customer. The link's
page asks for one click before it signs in (a POST): mail scanners that open links must not use
up a customer's one-time link.
"""

from django import forms
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from ..auth import portal_sign_in, portal_sign_out
from ..rate_limits import portal_attempt_allowed
from ..sign_in_links import sign_in_link_send, sign_in_link_use, sign_in_link_valid
from .common import portal_not_found, portal_render, portal_too_many
from .lookup import LOOKUP_SESSION_KEY


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    next = forms.CharField(required=False, widget=forms.HiddenInput)


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request):
    if request.method != "POST":
        form = SignInForm(initial={"next": request.GET.get("next", "")})
        return portal_render(request, "portal/sign_in.html", {"form": form})
    form = SignInForm(request.POST)
    if not form.is_valid():
        return portal_render(request, "portal/sign_in.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if not portal_attempt_allowed(request, scope="sign-in", target=email):
        return portal_too_many(request)
    sign_in_link_send(email=email, next_path=form.cleaned_data["next"])
    return portal_render(request, "portal/sign_in_sent.html", {"email": email})


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request, token: str):
    expired = _("This sign-in link has expired or was already used. Ask for a new one.")
    if request.method != "POST":
        if not sign_in_link_valid(token):
            return portal_not_found(request, reason=expired)
        return portal_render(request, "portal/sign_in_link.html")
    used = sign_in_link_use(token)
    if used is None:
        return portal_not_found(request, reason=expired)
    customer, next_path = used
    portal_sign_in(request, customer)
    return redirect(next_path)


@require_POST
def sign_out(request):
    """Signs the customer out and closes any order looked up in this browser too."""
    request.session.pop(LOOKUP_SESSION_KEY, None)
    portal_sign_out(request)
    return redirect("portal:sign-in")
