"""Units that came back: the returns app reports receipts here (``OrderLine.quantity_returned``)."""

from django.db import transaction
from django.db.models import Case, F, IntegerField, When

from oms.actors import Actor
from oms.errors import DomainError, InvalidInput

from ..models import Order, OrderEvent, OrderLine
from .audit import order_event, order_lock, order_touch


def order_lines_returned(*, order_id: int, quantities: dict[int, int], reference: str = "", actor: Actor) -> Order:
    """Count ``quantities`` (order line id -> units) as returned on the order's lines.

    Guarantees: the order row is locked; every line must belong to the order and no line may
    have more returned than shipped (refused with what is left, nothing written); one UPDATE for
    every line, one audit row, one version more on the order.
    """
    wanted = {line_id: quantity for line_id, quantity in quantities.items() if quantity}
    if any(not isinstance(quantity, int) or quantity < 0 for quantity in wanted.values()):
        raise InvalidInput("Returned quantities are whole numbers above zero.", fields={"quantities": ["Whole numbers above zero."]})
    with transaction.atomic():
        order = order_lock(order_id)
        if not wanted:
            return order
        lines = {line.pk: line for line in OrderLine.objects.filter(order_id=order_id, pk__in=list(wanted))}
        unknown = sorted(set(wanted) - set(lines))
        if unknown:
            raise InvalidInput(f"Line(s) {unknown} are not on order {order.number}.", fields={"quantities": [f"Unknown line {pk}." for pk in unknown]})
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            left = line.quantity_shipped - line.quantity_returned
            if quantity > left:
                raise DomainError(
                    f"{line.sku}: {quantity} returned but only {left} shipped and not yet returned.", code="exceeds_shipped",
                )
        OrderLine.objects.filter(pk__in=list(wanted)).update(
            quantity_returned=F("quantity_returned")
            + Case(*(When(pk=pk, then=quantity) for pk, quantity in wanted.items()), default=0, output_field=IntegerField())
        )
        order_touch(order)
        text = ", ".join(f"{lines[pk].sku} × {quantity}" for pk, quantity in wanted.items())
        order_event(
            order, OrderEvent.Kind.LINE, f"Returned{' (' + reference + ')' if reference else ''}: {text}", actor=actor,
            data={"returned": {str(pk): quantity for pk, quantity in wanted.items()}, "reference": reference},
        ).save()
    return order
