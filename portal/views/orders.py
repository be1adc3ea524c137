"""A signed-in customer's orders, and one order's page (also open to the browser that looked it
up by number). Someone else's order number is answered as a number that does not exist."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from orders.models import Order

from ..auth import customer_required, portal_customer
from ..selectors import portal_order_of, portal_order_view, portal_orders_page
from ..wording import ORDER_STATUS_WORDS
from .common import portal_not_found, portal_render
from .lookup import looked_up_order_id


@require_safe
@customer_required
def orders(request):
    page = portal_orders_page(customer_id=request.customer.pk, page=request.GET.get("page"))
    rows = [(order, ORDER_STATUS_WORDS[order.status]) for order in page.object_list]
    return portal_render(request, "portal/orders.html", {"page": page, "rows": rows})


@require_safe
def order(request, number: str):
    customer = portal_customer(request)
    found = portal_order_of(customer_id=customer.pk, number=number) if customer else None
    if found is None:
        looked_up = looked_up_order_id(request)
        if looked_up is not None:
            found = Order.objects.select_related("channel").filter(pk=looked_up, number=number).first()
    if found is None:
        if customer is None and looked_up_order_id(request) is None:
            return redirect(f"{reverse('portal:sign-in')}?{urlencode({'next': request.path})}")
        return portal_not_found(request)
    view = portal_order_view(found)
    return portal_render(
        request, "portal/order.html", {
            "view": view, "order": found, "status_words": ORDER_STATUS_WORDS[found.status], "read_only": customer is None,
            "can_reorder": customer is not None and customer.is_business and found.customer_id == customer.pk,
        },
        shop_name=found.channel.name,
    )
