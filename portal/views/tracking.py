"""A parcel's tracking page, opened from the link in a message without signing in. It shows what
the link's holder needs to follow the parcel and nothing more: no name, street, e-mail or phone,
only the destination's city and country."""

from django.views.decorators.http import require_safe

from ..links import tracking_shipment_id
from ..selectors import portal_tracking_view
from ..wording import SHIPMENT_STATUS_WORDS, TRACKING_CODE_WORDS
from .common import portal_not_found, portal_render


@require_safe
def tracking(request, token: str):
    shipment_id = tracking_shipment_id(token)
    view = portal_tracking_view(shipment_id=shipment_id) if shipment_id is not None else None
    if view is None:
        return portal_not_found(request)
    shipment = view.shipment
    destination = shipment.destination or {}
    context = {
        "view": view,
        "shipment": shipment,
        "status_words": SHIPMENT_STATUS_WORDS[shipment.status],
        "events": [(event, TRACKING_CODE_WORDS.get(event.code, event.code)) for event in view.events],
        "destination": ", ".join(part for part in (destination.get("city"), destination.get("country")) if part),
        "delivered": shipment.status == "delivered",
    }
    return portal_render(request, "portal/tracking.html", context, shop_name=view.order.channel.name if view.order else "")
