"""django-axes' hooks: the address a sign-in comes from, and what a locked-out person is told."""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse


def client_address(request) -> str | None:
    """The address failed sign-ins are counted against (``AXES_CLIENT_IP_CALLABLE``).

    Behind ``OMS_TRUSTED_PROXY_COUNT`` reverse proxies that each append the address they saw to
    X-Forwarded-For, it is that many entries from the right; anything further left came from the
    client and proves nothing. Without proxies it is the connection's own address.
    """
    hops = settings.OMS_TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def lockout_message(request) -> str:
    minutes = max(1, math.ceil(get_cool_off(request).total_seconds() / 60))
    return (
        f"Too many failed sign-ins for this account or address; try again in {minutes} minute{'s' if minutes != 1 else ''} "
        "or ask an operations manager to unlock it."
    )


class LockoutExplainedMixin:
    """For a sign-in form: when django-axes refused the attempt, the form's error says why and for
    how long, instead of the usual "wrong username or password"."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                self.request.axes_lockout_explained = True
                raise ValidationError(lockout_message(self.request), code="locked_out") from None
            raise


def signin_locked_out(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page itself, with the reason, as 429 when its form
    explained the lockout (see :class:`LockoutExplainedMixin`); otherwise a page that says it."""
    if original_response is not None and getattr(request, "axes_lockout_explained", False):
        original_response.status_code = 429
        return original_response
    response = TemplateResponse(request, "oms/signin/locked_out.html", {"message": lockout_message(request)}, status=429)
    return response.render()
