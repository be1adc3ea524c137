"""What every portal page shares: the frame's context, the 404 that says nothing, the 429."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ..auth import portal_customer


def portal_render(request, template: str, context: dict | None = None, *, status: int = 200, shop_name: str = ""):
    """Render a portal page with what its frame needs: who is signed in, the shop's name."""
    context = dict(context or {})
    customer = portal_customer(request)
    context.setdefault("portal_signed_in", customer is not None)
    context.setdefault("portal_business", customer is not None and customer.is_business)
    if shop_name:
        context["portal_shop_name"] = shop_name
    return render(request, template, context, status=status)


def portal_not_found(request, *, reason: str = ""):
    """One answer for what does not exist, is not yours, or is a link that expired or was altered."""
    return portal_render(request, "portal/not_found.html", {"reason": reason or _("The page or link does not exist, has expired or is not yours.")}, status=404)


def portal_too_many(request):
    """Too many attempts: try again later (nothing about what was asked)."""
    return portal_render(request, "portal/too_many.html", status=429)
