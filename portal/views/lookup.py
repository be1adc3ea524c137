"""Looking up one order without an account: its number plus the e-mail address or the postal
code it was sent to. A match opens that order (only it, read-only) in this browser's session for
``OMS_PORTAL_LOOKUP_MINUTES``; anything else gets one answer, whatever was wrong."""

import time

from django import forms
from django.conf import settings
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ..rate_limits import portal_attempt_allowed
from ..selectors import portal_order_looked_up
from .common import portal_render, portal_too_many

LOOKUP_SESSION_KEY = "portal_lookup"


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Order number"), max_length=20)
    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    postal_code = forms.CharField(label=_("or postal code of the delivery address"), required=False, max_length=20, widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))

    def clean(self):
        data = super().clean()
        if not data.get("email") and not (data.get("postal_code") or "").strip():
            raise forms.ValidationError(_("Give the e-mail address or the postal code the order was sent to."))
        return data


def looked_up_order_id(request) -> int | None:
    """The order this browser looked up, while the lookup lasts."""
    found = request.session.get(LOOKUP_SESSION_KEY)
    if isinstance(found, dict) and isinstance(found.get("order_id"), int) and found.get("until", 0) > time.time():
        return found["order_id"]
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    if request.method != "POST":
        return portal_render(request, "portal/lookup.html", {"form": LookupForm()})
    form = LookupForm(request.POST)
    if not form.is_valid():
        return portal_render(request, "portal/lookup.html", {"form": form}, status=400)
    number = form.cleaned_data["number"]
    if not portal_attempt_allowed(request, scope="lookup", target=number):
        return portal_too_many(request)
    order = portal_order_looked_up(number=number, email=form.cleaned_data["email"], postal_code=form.cleaned_data["postal_code"])
    if order is None:
        form.add_error(None, _("We found no order with that number and e-mail address or postal code. Check both and try again."))
        return portal_render(request, "portal/lookup.html", {"form": form}, status=404)
    request.session.cycle_key()
    request.session[LOOKUP_SESSION_KEY] = {"order_id": order.pk, "until": time.time() + settings.OMS_PORTAL_LOOKUP_MINUTES * 60}
    return redirect("portal:order", number=order.number)
