"""How the portal says things to customers, in their language: statuses in words, the kinds of
message by name. Our internal statuses (allocation, screening, holds for fraud) never show:
the customer reads what it means for them."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from orders.models import OrderStatus
from shipping.models import ShipmentStatus, TrackingCode

from .models import Medium, NotificationKind

ORDER_STATUS_WORDS = {
    OrderStatus.PENDING: _("Order received"),
    OrderStatus.ON_HOLD: _("We are checking your order"),
    OrderStatus.BACKORDERED: _("Waiting for stock"),
    OrderStatus.ALLOCATED: _("Being prepared"),
    OrderStatus.IN_FULFILLMENT: _("Being packed"),
    OrderStatus.PARTIALLY_SHIPPED: _("Partly shipped"),
    OrderStatus.SHIPPED: _("Shipped"),
    OrderStatus.DELIVERED: _("Delivered"),
    OrderStatus.COMPLETED: _("Completed"),
    OrderStatus.CANCELLED: _("Cancelled"),
}

SHIPMENT_STATUS_WORDS = {
    ShipmentStatus.LABEL_CREATED: _("Ready to ship: the carrier has not collected it yet"),
    ShipmentStatus.IN_TRANSIT: _("On its way"),
    ShipmentStatus.OUT_FOR_DELIVERY: _("Out for delivery today"),
    ShipmentStatus.DELIVERED: pgettext_lazy("parcel", "Delivered"),
    ShipmentStatus.EXCEPTION: _("Held up: the carrier reported a problem"),
    ShipmentStatus.RETURNED_TO_SENDER: _("Returned to us"),
    ShipmentStatus.VOIDED: _("Cancelled"),
}

TRACKING_CODE_WORDS = {
    TrackingCode.LABEL_CREATED: _("Label created"),
    TrackingCode.IN_TRANSIT: _("In transit"),
    TrackingCode.OUT_FOR_DELIVERY: _("Out for delivery"),
    TrackingCode.DELIVERED: pgettext_lazy("parcel", "Delivered"),
    TrackingCode.EXCEPTION: _("Problem reported"),
    TrackingCode.RETURNED_TO_SENDER: _("Returned to sender"),
    TrackingCode.ACCEPTED: _("Accepted by the carrier"),
    TrackingCode.ARRIVED_AT_FACILITY: _("Arrived at a depot"),
    TrackingCode.DEPARTED_FACILITY: _("Left a depot"),
    TrackingCode.CUSTOMS: _("At customs"),
    TrackingCode.DELIVERY_ATTEMPTED: _("Delivery attempted"),
    TrackingCode.INFO: _("Information"),
}

NOTIFICATION_KIND_WORDS = {
    NotificationKind.ORDER_CONFIRMED: _("Order confirmed"),
    NotificationKind.ORDER_ON_HOLD: _("Order waiting for you (payment or address)"),
    NotificationKind.BACKORDERED: _("Item on backorder"),
    NotificationKind.SHIPPED: _("Parcel shipped"),
    NotificationKind.OUT_FOR_DELIVERY: _("Out for delivery"),
    NotificationKind.DELIVERED: pgettext_lazy("parcel", "Delivered"),
    NotificationKind.DELAYED: _("Delayed"),
    NotificationKind.CANCELLED: _("Order cancelled"),
    NotificationKind.RETURN_APPROVED: _("Return approved"),
    NotificationKind.RETURN_RECEIVED: _("Return received"),
    NotificationKind.REFUND_ISSUED: _("Refund issued"),
    NotificationKind.EXCHANGE_SHIPPED: _("Exchange shipped"),
}

MEDIUM_WORDS = {Medium.EMAIL: _("E-mail"), Medium.SMS: _("SMS")}


def parcel_words_without_booking(fulfillment_order) -> str:
    """A parcel shipped with a tracking number typed in (no booking here to follow)."""
    if fulfillment_order.delivered_at:
        return str(pgettext_lazy("parcel", "Delivered"))
    return str(_("On its way")) if fulfillment_order.shipped_at else str(_("Being packed"))
