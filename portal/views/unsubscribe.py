"""One-click unsubscribe (RFC 8058) from the ``List-Unsubscribe`` header of an e-mail: a POST with
``List-Unsubscribe=One-Click`` turns that kind of e-mail off for the customer the signed link names
and answers 200 (no sign-in, no session, no CSRF token: the mail provider posts it, not a browser
that loaded our form). A GET, a person following the link, shows what it will stop and a button
that makes the same POST, no JavaScript needed."""

from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from customers.models import Customer
from oms.errors import InvalidInput

from ..links import PREFERENCES_PATH, preferences_token, unsubscribe_target
from ..models import ALWAYS_SENT, Medium, NotificationKind
from ..preferences import notification_preferences_set
from ..wording import MEDIUM_WORDS, NOTIFICATION_KIND_WORDS
from .common import portal_not_found, portal_render

ONE_CLICK = "One-Click"
ACTOR = "portal:unsubscribe-link"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    target = unsubscribe_target(token)
    if target is None:
        return portal_not_found(request, reason=_("This unsubscribe link does not exist, has expired or was altered. Nothing was changed."))
    customer_id, kind, medium = target
    if kind not in NotificationKind.values or medium not in Medium.values or (kind in ALWAYS_SENT and medium == Medium.EMAIL):
        return portal_not_found(request, reason=_("This unsubscribe link does not exist, has expired or was altered. Nothing was changed."))
    customer = Customer.objects.filter(pk=customer_id).only("pk").first()
    if customer is None:
        return portal_not_found(request)
    context = {
        "kind_words": NOTIFICATION_KIND_WORDS[kind], "medium_words": MEDIUM_WORDS[medium],
        "preferences_path": PREFERENCES_PATH.format(token=preferences_token(customer_id)),
    }
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != ONE_CLICK:
            context["problem"] = _("The request did not say List-Unsubscribe=One-Click. Nothing was changed.")
            return portal_render(request, "portal/unsubscribe.html", context, status=400)
        try:
            notification_preferences_set(customer_id=customer_id, choices={(kind, medium): False}, actor=ACTOR)
        except InvalidInput as refused:
            context["problem"] = refused.message
            return portal_render(request, "portal/unsubscribe.html", context, status=400)
        context["done"] = True
    return portal_render(request, "portal/unsubscribe.html", context)
