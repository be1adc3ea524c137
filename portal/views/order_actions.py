"""The signed-in customer changes the shipping address of an order or cancels it, while the
warehouse has not started on it. Only the customer's own orders are reached (others: 404)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from oms.errors import DomainError, InvalidInput, PreconditionFailed
from orders.models import Order

from ..auth import customer_required
from ..forms_order_actions import CancelOrderForm, ShippingAddressForm
from ..order_actions import order_changeable_by_customer, portal_actor, portal_order_address_change, portal_order_cancel


def customer_order(request, number: str) -> Order:
    """The signed-in customer's order with this number; 404 for anyone else's or none."""
    return get_object_or_404(Order.objects.select_related("channel"), number=number, customer_id=request.customer.pk)


def order_page_url(number: str) -> str:
    """The order's page in the portal (the orders pages' own URL), else its address page."""
    try:
        return reverse("portal:order", args=[number])
    except NoReverseMatch:
        return reverse("portal:order-address", args=[number])


def _too_late(order: Order) -> str:
    return _("Order %(number)s is already being prepared (%(status)s), so it can no longer be changed here. Please contact us.") % {
        "number": order.number, "status": order.get_status_display().lower(),
    }


@customer_required
@require_http_methods(["GET", "POST"])
def order_address(request, number: str):
    order = customer_order(request, number)
    if not order_changeable_by_customer(order):
        return render(request, "portal/orders/too_late.html", {"order": order, "problem": _too_late(order)}, status=409 if request.method == "POST" else 200)
    if request.method == "POST":
        form = ShippingAddressForm(request.POST)
        if form.is_valid():
            try:
                portal_order_address_change(
                    order_id=order.pk, expected_version=form.cleaned_data.get("version"), address=form.address(),
                    actor=portal_actor(request.customer.pk),
                )
            except InvalidInput as error:
                form.add_service_errors(error.fields or {"__all__": [error.message]})
            except PreconditionFailed:
                order = customer_order(request, number)
                data = request.POST.copy()
                data["version"] = order.version
                form = ShippingAddressForm(data)
                form.is_valid()
                form.add_error(None, _("The order changed while you were editing. Check the address below and save it again."))
            except DomainError:
                return render(request, "portal/orders/too_late.html", {"order": customer_order(request, number), "problem": _too_late(order)},
                              status=409)
            else:
                messages.success(request, _("The new shipping address of order %(number)s is saved.") % {"number": order.number})
                return redirect(order_page_url(order.number))
    else:
        form = ShippingAddressForm(initial=ShippingAddressForm.initial_from(order))
    return render(request, "portal/orders/address.html", {"order": order, "form": form})


@customer_required
@require_http_methods(["GET", "POST"])
def order_cancel(request, number: str):
    order = customer_order(request, number)
    if order.status == "cancelled":
        return render(request, "portal/orders/cancelled.html", {"order": order})
    if not order_changeable_by_customer(order):
        return render(request, "portal/orders/too_late.html", {"order": order, "problem": _too_late(order)}, status=409 if request.method == "POST" else 200)
    form = CancelOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = portal_order_cancel(order_id=order.pk, reason=form.cleaned_data["reason"].strip(), actor=portal_actor(request.customer.pk))
        except DomainError:
            order = customer_order(request, number)
            return render(request, "portal/orders/too_late.html", {"order": order, "problem": _too_late(order)}, status=409)
        return render(request, "portal/orders/cancelled.html", {"order": order, "just_cancelled": True})
    return render(request, "portal/orders/cancel.html", {"order": order, "form": form})
