"""Which messages a customer gets, by kind and medium: from the one-click link in every message
(no sign-in) or signed in. A message that always goes is shown on and cannot be turned off, with
the reason; a medium the customer has no address or number for is shown off, with the reason."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from oms.errors import InvalidInput

from ..auth import customer_required
from ..links import preferences_customer_id
from ..models import ALWAYS_SENT, Medium, NotificationKind
from ..preferences import notification_preferences_of, notification_preferences_set
from ..wording import MEDIUM_WORDS, NOTIFICATION_KIND_WORDS
from .common import portal_not_found, portal_render


def _rows(customer: Customer) -> list[dict]:
    """One row per kind: each medium's box, whether it is on, and why it cannot change if so
    (``why``: the id of the sentence that says why, once per page for a missing address)."""
    choices = notification_preferences_of(customer)
    rows = []
    for kind in NotificationKind.values:
        boxes = []
        for medium in Medium.values:
            name = f"{kind}.{medium}"
            on, fixed, why = choices[(kind, medium)], "", ""
            if kind in ALWAYS_SENT and medium == Medium.EMAIL:
                on, fixed, why = True, _("Always sent by e-mail: it tells you that money moved."), f"why-{name}"
            elif medium == Medium.EMAIL and not customer.email:
                on, why = False, "why-no-email"
            elif medium == Medium.SMS and not customer.phone:
                on, why = False, "why-no-sms"
            boxes.append({"name": name, "medium": MEDIUM_WORDS[medium], "on": on, "fixed": fixed, "why": why, "key": (kind, medium)})
        rows.append({"kind": NOTIFICATION_KIND_WORDS[kind], "boxes": boxes})
    return rows


def _preferences_page(request, customer: Customer, *, actor: str):
    rows = _rows(customer)
    if request.method == "POST":
        choices = {box["key"]: box["name"] in request.POST for row in rows for box in row["boxes"] if not box["why"]}
        try:
            notification_preferences_set(customer_id=customer.pk, choices=choices, actor=actor)
        except InvalidInput as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Your choices are saved."))
        return redirect(request.path)
    context = {"rows": rows, "no_email": not customer.email, "no_phone": not customer.phone}
    return portal_render(request, "portal/preferences.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request, token: str):
    """From the link in a message: one click, no sign-in, only the customer the link names."""
    customer_id = preferences_customer_id(token)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id is not None else None
    if customer is None:
        return portal_not_found(request)
    return _preferences_page(request, customer, actor="portal:link")


@require_http_methods(["GET", "HEAD", "POST"])
@customer_required
def my_preferences(request):
    return _preferences_page(request, request.customer, actor="portal:customer")
