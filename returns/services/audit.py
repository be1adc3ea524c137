"""The return audit trail and status changes: one writer for each, used by every return service."""

from django.utils import timezone
from django_fsm import can_proceed

from oms.actors import Actor, actor_fields
from oms.db import row_update, rows_insert, rows_select
from oms.errors import InvalidTransition, NotFound
from oms.events import event_record

from ..models import ReturnEvent, ReturnRequest, ReturnStatus

# The public event of a return reaching a status (webhooks, the events feed): ``return.<status>``;
# a new request is ``return.requested``.
STATUS_EVENTS = {status: f"return.{status}" for status in ReturnStatus.values}
REQUESTED_EVENT = STATUS_EVENTS[ReturnStatus.REQUESTED]
ITEMS_RECEIVED_EVENT = "return.items_received"


def return_lock(return_id: int) -> ReturnRequest:
    """The return row, locked FOR NO KEY UPDATE for the rest of the transaction. Services lock
    the order first (the order's lock serialises everything about its returns), then this."""
    found = rows_select(ReturnRequest, "id", [return_id], lock=True)
    if not found:
        raise NotFound(f"No return with id {return_id}.", code="unknown_return")
    return found[0]


def return_order_id(return_id: int) -> int:
    """The order of a return, read without a lock (to lock the order before the return)."""
    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(f"No return with id {return_id}.", code="unknown_return")
    return order_id


def return_event(request: ReturnRequest, kind: str, message: str = "", *, actor: Actor, data: dict | None = None, **fields) -> ReturnEvent:
    """An unsaved audit row; callers save it alone or bulk-create several."""
    return ReturnEvent(request=request, kind=kind, message=message[:500], data=data or {}, **fields, **actor_fields(actor))


def return_touch(request: ReturnRequest, **values) -> None:
    """Save ``values`` on a locked return and count one more version (its ETag)."""
    request.version += 1
    request.updated_at = timezone.now()
    for name, value in values.items():
        if getattr(request, name) != value:  # the FSM field is set by its transition already
            setattr(request, name, value)
    # ``location_id``-style names are saved under their field's name, as row_update expects.
    columns = {ReturnRequest._meta.get_field(name).name: value for name, value in values.items()}
    row_update(ReturnRequest, request.pk, version=request.version, updated_at=request.updated_at, **columns)


def return_stream(return_id: int) -> str:
    """The events-feed stream of one return; its events are numbered 1, 2, 3... within it."""
    return f"return:{return_id}"


def return_payload(request: ReturnRequest, **extra) -> dict:
    """What every return event carries; receivers fetch the full return from the API by number."""
    return {
        "return_id": request.pk, "number": request.number, "order_id": request.order_id, "status": request.status,
        "resolution": request.resolution, "version": request.version, **extra,
    }


def return_publish(request: ReturnRequest, name: str, **extra) -> None:
    """Record a public return event (the caller holds the return's lock, which numbering needs)."""
    event_record(name, return_payload(request, **extra), stream=return_stream(request.pk))


_VERBS = {
    "approve": "approved", "reject": "rejected", "issue_label": "given a label", "ship": "marked in transit", "receive": "received",
    "inspect": "inspected", "refund": "refunded", "exchange": "exchanged", "close": "closed", "cancel": "cancelled", "expire": "expired",
}


def return_transition(
    request: ReturnRequest, name: str, *, actor: Actor, message: str = "", event_data: dict | None = None, values: dict | None = None,
) -> ReturnEvent:
    """Run the FSM transition ``name`` on a locked return, save it, record it in the trail and
    announce ``return.<new status>``. Refused transitions raise :class:`InvalidTransition`
    naming the current status; ``values`` are other fields saved in the same UPDATE."""
    method = getattr(request, name)
    if not can_proceed(method):
        raise InvalidTransition(
            f"Return {request.number} is {request.get_status_display().lower()}; it cannot be {_VERBS.get(name, name)}.",
            fields={"status": [f"Currently {request.status}."]},
        )
    before = request.status
    method()
    return_touch(request, status=request.status, **(values or {}))
    return_publish(request, STATUS_EVENTS[request.status], previous_status=before, **(event_data or {}))
    event = return_event(
        request, ReturnEvent.Kind.STATUS, message or f"{ReturnStatus(before).label} → {ReturnStatus(request.status).label}",
        actor=actor, from_status=before, to_status=request.status, data=event_data or {},
    )
    rows_insert([event])
    return event
