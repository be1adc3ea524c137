"""A business account's address book: its ship-to (and bill-to) addresses, listed, added,
changed and removed through the customers services. Another account's address is a 404."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from customers.models import CustomerAddress
from customers.services import customer_address_create, customer_address_remove, customer_address_update
from oms.errors import InvalidInput, NotFound

from ..forms_bulk import CustomerAddressForm
from ..order_actions import portal_actor
from .bulk import business_required
from .common import portal_not_found, portal_render


def _own(request, address_id: int) -> CustomerAddress | None:
    return CustomerAddress.objects.filter(pk=address_id, customer_id=request.customer.pk).first()


@business_required
@require_safe
def addresses(request):
    rows = CustomerAddress.objects.filter(customer_id=request.customer.pk).order_by("kind", "-is_default_shipping", "label", "id")
    return portal_render(request, "portal/addresses/list.html", {"addresses": rows})


def _save(request, form, address: CustomerAddress | None):
    """Save through the service; the list, or None to show the form again with its errors."""
    if not form.is_valid():
        return None
    actor = portal_actor(request.customer.pk)
    try:
        if address is None:
            customer_address_create(customer_id=request.customer.pk, actor=actor, **form.changes())
        else:
            customer_address_update(customer_id=request.customer.pk, address_id=address.pk, changes=form.changes(), actor=actor)
    except InvalidInput as error:
        for name, problems in (error.fields or {"__all__": [error.message]}).items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
        return None
    except NotFound:
        return portal_not_found(request)
    messages.success(request, _("The address is saved."))
    return redirect("portal:addresses")


@business_required
@require_http_methods(["GET", "POST"])
def address_new(request):
    form = CustomerAddressForm(request.POST or None, initial={"kind": CustomerAddress.Kind.SHIPPING})
    if request.method == "POST":
        saved = _save(request, form, None)
        if saved is not None:
            return saved
    return portal_render(request, "portal/addresses/edit.html", {"form": form, "address": None})


@business_required
@require_http_methods(["GET", "POST"])
def address_edit(request, address_id: int):
    address = _own(request, address_id)
    if address is None:
        return portal_not_found(request)
    form = CustomerAddressForm(request.POST or None, instance=CustomerAddress.objects.get(pk=address.pk))
    if request.method == "POST":
        saved = _save(request, form, address)
        if saved is not None:
            return saved
    return portal_render(request, "portal/addresses/edit.html", {"form": form, "address": address})


@business_required
@require_http_methods(["GET", "POST"])
def address_remove(request, address_id: int):
    address = _own(request, address_id)
    if address is None:
        return portal_not_found(request)
    if request.method == "POST":
        try:
            customer_address_remove(customer_id=request.customer.pk, address_id=address.pk, actor=portal_actor(request.customer.pk))
        except NotFound:
            return portal_not_found(request)
        messages.success(request, _("The address is removed."))
        return redirect("portal:addresses")
    return portal_render(request, "portal/addresses/remove.html", {"address": address})
