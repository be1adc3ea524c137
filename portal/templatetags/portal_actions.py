"""``{% order_actions order as actions %}``: which self-service actions an order offers now."""

from django import template

from returns.services.requests import RETURNABLE_ORDER_STATUSES

from ..order_actions import order_changeable_by_customer

register = template.Library()


@register.simple_tag
def order_actions(order) -> dict:
    """``change``: address and cancellation (before fulfillment); ``return``: something shipped."""
    actions = {"change": order_changeable_by_customer(order), "return": order.status in RETURNABLE_ORDER_STATUSES}
    return actions if any(actions.values()) else {}
