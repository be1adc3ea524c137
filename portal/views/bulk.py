"""Order in bulk (business accounts only): paste or upload rows, check them line by line, then
place them as one order through intake; "Order again" starts from a past order's lines. Every
check counts against the account and the address (``OMS_PORTAL_BULK_CHECKS_PER_WINDOW``,
``OMS_PORTAL_BULK_CHECKS_PER_ADDRESS``): over either, the page comes back (429) with the lines as
they were and when to check again."""

import math
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from customers.models import CustomerGroup, po_reference_required_for
from oms.errors import DomainError, InvalidInput

from ..auth import customer_required
from ..bulk_order import BulkNotReady, bulk_order_check, bulk_order_place, reorder_rows, ship_to_addresses
from ..bulk_rows import rows_as_text
from ..forms_bulk import BulkRowsForm, PlaceOrderForm
from ..rate_limits import portal_attempt_allowed, portal_window_seconds_left
from .common import portal_not_found, portal_render


def business_required(view):
    """Signed in (else to the sign-in page) as a business account (else the portal's 404)."""

    @customer_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.customer.is_business:
            return portal_not_found(request)
        return view(request, *args, **kwargs)

    return wrapped


def _po_required(customer) -> bool:
    group = CustomerGroup.objects.filter(pk=customer.group_id).first() if customer.group_id else None
    return po_reference_required_for(customer, group)


def _place_form(customer, addresses, check, data=None):
    initial = {"token": uuid.uuid4().hex, "checked": check.digest(), "address": addresses[0].pk if addresses else None}
    return PlaceOrderForm(data, initial=initial, addresses=addresses, po_required=_po_required(customer))


def _check_allowed(request) -> bool:
    """Count one check of the signed-in account's lines; False once the account or the address
    has checked too often in the current window."""
    return portal_attempt_allowed(
        request, scope="bulk-check", target=f"customer:{request.customer.pk}",
        per_address=settings.OMS_PORTAL_BULK_CHECKS_PER_ADDRESS, per_target=settings.OMS_PORTAL_BULK_CHECKS_PER_WINDOW,
    )


def _too_many_checks(request, rows_form, addresses):
    """The page again, unchecked, with the lines as given and when checking works again."""
    seconds = portal_window_seconds_left()
    minutes = math.ceil(seconds / 60)
    rows_form.add_error(None, ngettext(
        "You have checked lines very often in a short time. Your lines are kept below: check them again in %(minutes)d minute.",
        "You have checked lines very often in a short time. Your lines are kept below: check them again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes})
    response = portal_render(request, "portal/bulk/order.html", {
        "rows_form": rows_form, "check": None, "place_form": None, "addresses": addresses,
    }, status=429)
    response["Retry-After"] = str(seconds)
    return response


@business_required
@require_http_methods(["GET", "POST"])
def bulk_order(request):
    customer = request.customer
    addresses = list(ship_to_addresses(customer))
    check = place_form = None
    if request.method == "GET":
        rows_form = BulkRowsForm()
        number = request.GET.get("reorder", "")[:20]
        if number:
            rows = reorder_rows(customer, number)
            if rows is None:
                return portal_not_found(request)
            rows_form = BulkRowsForm({"rows": rows_as_text(rows)})
            rows_form.is_valid()
            if not _check_allowed(request):
                return _too_many_checks(request, rows_form, addresses)
            check = bulk_order_check(customer, rows_form.parsed)
            messages.info(request, _("The lines of order %(number)s at today's prices: check them, change what you need, then order.") % {"number": number})
    else:
        rows_form = BulkRowsForm(request.POST, request.FILES)
        if rows_form.is_valid():
            if request.FILES.get("file"):
                # The file's rows come back as text, so the next step (or a change) needs no upload.
                rows_form = BulkRowsForm({"rows": rows_as_text([(row.sku, row.quantity_text) for row in rows_form.parsed])})
                rows_form.is_valid()
            if not _check_allowed(request):
                return _too_many_checks(request, rows_form, addresses)
            check = bulk_order_check(customer, rows_form.parsed)
            if request.POST.get("action") == "place":
                place_form = PlaceOrderForm(request.POST, addresses=addresses, po_required=_po_required(customer))
                placed = _place(request, rows_form, place_form, check)
                if placed is not None:
                    return placed
                if not check.ready:
                    place_form = None
                elif place_form.is_bound and place_form.data.get("checked") != check.digest():
                    # What is shown now is what the next click places.
                    data = request.POST.copy()
                    data["checked"] = check.digest()
                    errors = place_form.non_field_errors()
                    place_form = PlaceOrderForm(data, addresses=addresses, po_required=_po_required(customer))
                    place_form.is_valid()
                    for error in errors:
                        place_form.add_error(None, error)
    if check is not None and check.ready and place_form is None:
        place_form = _place_form(customer, addresses, check)
    return portal_render(request, "portal/bulk/order.html", {
        "rows_form": rows_form, "check": check, "place_form": place_form, "addresses": addresses,
    })


def _place(request, rows_form, place_form, check):
    """Place the order when the lines are the ones checked; the order's page, or None to show
    the page again with what to fix."""
    if not check.ready or not place_form.is_valid():
        return None
    if place_form.cleaned_data["checked"] != check.digest():
        place_form.add_error(None, _("The lines changed since you checked them: look at the new check below, then order."))
        return None
    try:
        order = bulk_order_place(
            customer=request.customer, rows=rows_form.parsed, address_id=place_form.cleaned_data["address"],
            po_reference=place_form.cleaned_data["po_reference"], token=place_form.cleaned_data["token"],
        )
    except BulkNotReady:
        place_form.add_error(None, _("Prices, the catalogue or stock changed meanwhile: check the lines below again."))
        return None
    except InvalidInput as error:
        for path, problems in (error.fields or {"__all__": [error.message]}).items():
            field = path if path in ("address", "po_reference") else None
            for problem in problems:
                place_form.add_error(field, problem)
        return None
    except DomainError as error:
        place_form.add_error(None, error.message)
        return None
    messages.success(request, _("Thank you: order %(number)s is placed.") % {"number": order.number})
    return redirect(reverse("portal:order", args=[order.number]))
