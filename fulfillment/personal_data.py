"""The fulfillment app's part of a customer's data: the fulfillment orders of the customer's orders
and the outbound shipments booked for them (their addresses and tracking)."""

from oms.personal_data import ErasureContext, PersonalDataPart, rows_of, rows_scrub
from shipping.personal_data import shipments_erase, shipments_export

from .models import OPEN_STATUSES, FulfillmentHold, FulfillmentOrder

# Who works the floor (pick, pack, ship): sees the ship-to of the orders in hand (oms.masking).
FLOOR = "fulfillment.confirm_picklist"


def _fulfillment_orders(customer_id: int):
    return FulfillmentOrder.objects.filter(order__customer_id=customer_id)


def _shipment_ids(customer_id: int) -> list[int]:
    return list(_fulfillment_orders(customer_id).exclude(shipment=None).values_list("shipment_id", flat=True).distinct())


def fulfillment_export(customer_id: int) -> dict:
    return {
        "fulfillment_orders": rows_of(_fulfillment_orders(customer_id)),
        **shipments_export(_shipment_ids(customer_id)),
    }


def fulfillment_erase(context: ErasureContext) -> dict[str, int]:
    return {
        "fulfillment_orders": rows_scrub(_fulfillment_orders(context.customer_id), context.values, skip=["number", "tracking_number"]),
        "fulfillment_holds": rows_scrub(
            FulfillmentHold.objects.filter(fulfillment_order__order__customer_id=context.customer_id), context.values
        ),
        **shipments_erase(_shipment_ids(context.customer_id), context, customer_end="destination"),
    }


def orders_in_hand(user, order_ids: list) -> set:
    """The orders among ``order_ids`` the floor is working on: a fulfillment order of theirs not
    shipped yet (pending, picking or packed). Their name, e-mail and addresses stay visible to
    the floor; once every part has shipped (or been cancelled) they are masked again."""
    if not user.has_perm(FLOOR):
        return set()
    in_hand = FulfillmentOrder.objects.filter(order_id__in=order_ids, status__in=OPEN_STATUSES)
    return set(in_hand.values_list("order_id", flat=True))


PART = PersonalDataPart(
    name="fulfillment",
    models=("fulfillment.FulfillmentOrder", "fulfillment.FulfillmentHold", "shipping.Shipment", "shipping.TrackingEvent"),
    export=fulfillment_export,
    erase=fulfillment_erase,
    fields={"shipping.Shipment": ("origin", "destination")},
)
