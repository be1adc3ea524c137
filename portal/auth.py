"""Who the customer in the portal is: a customer signed in by magic link (or order lookup) is
kept in the session under its own key, never as a Django user, so a customer never holds a
staff session's rights and a staff session never reaches a customer's pages by accident."""

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect

from customers.models import Customer

SESSION_KEY = "portal_customer_id"


def portal_customer(request) -> Customer | None:
    """The signed-in customer, or None (cached on the request)."""
    if not hasattr(request, "_portal_customer"):
        customer_id = request.session.get(SESSION_KEY)
        request._portal_customer = Customer.objects.filter(pk=customer_id).first() if isinstance(customer_id, int) else None
    return request._portal_customer


def portal_sign_in(request, customer: Customer) -> None:
    """Sign ``customer`` in: a new session key (no fixation), the customer's id under our key."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer.pk
    request._portal_customer = customer


def portal_sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request._portal_customer = None


def customer_required(view):
    """The view runs only for a signed-in customer (``request.customer``); others are sent to
    sign in and come back to where they were going."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        customer = portal_customer(request)
        if customer is None:
            return redirect(f"/portal/sign-in/?{urlencode({'next': request.get_full_path()})}")
        request.customer = customer
        return view(request, *args, **kwargs)

    return wrapped
