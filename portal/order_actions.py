"""What a signed-in customer may change on an order, through the orders app's own services (the
ones the API calls): the shipping address and cancelling, both only while the order has not
reached fulfillment."""

from django.db import transaction

from oms.actors import Actor
from oms.errors import DomainError
from orders.models import Order, OrderStatus
from orders.services import AddressData, order_cancel, order_update
from orders.services.audit import order_lock
from orders.services.changes import DETAILS_EDITABLE

# Until the warehouse starts on it, the order is the customer's to change or call off.
CUSTOMER_CHANGEABLE = tuple(DETAILS_EDITABLE)


def portal_actor(customer_id: int) -> Actor:
    """The audit trail's name for a change a customer made in the portal."""
    return f"portal:{customer_id}"


def order_changeable_by_customer(order: Order) -> bool:
    return order.status in CUSTOMER_CHANGEABLE


def portal_order_address_change(*, order_id: int, expected_version: int | None, address: AddressData, actor: Actor) -> Order:
    """Change the order's shipping address as the API does (``order_update``: validated as
    intake validates, an address hold placed or released, refused once in fulfillment, a stale
    ``expected_version`` refused)."""
    return order_update(order_id=order_id, expected_version=expected_version, changes={"shipping_address": address}, actor=actor)


def portal_order_cancel(*, order_id: int, reason: str = "", actor: Actor) -> Order:
    """Cancel an order for its customer (``order_cancel``, as the API does), only while it has
    not reached fulfillment: checked under the order's lock, so a pick started meanwhile wins.
    Cancelling a cancelled order returns it unchanged."""
    with transaction.atomic():
        order = order_lock(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if not order_changeable_by_customer(order):
            raise DomainError(
                f"Order {order.number} is {order.get_status_display().lower()}: the warehouse has started on it, so it can no longer "
                "be cancelled here.", code="in_fulfillment",
            )
        return order_cancel(order_id=order.pk, reason=reason, actor=actor)
