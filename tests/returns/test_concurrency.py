"""On PostgreSQL: two requests for the last unit of a line, one wins; an exchange's replacement
placed several times at once is one order."""

import pytest

from oms.errors import DomainError
from oms.models import DomainEvent
from orders.models import Order, OrderLine
from returns.models import Resolution, ReturnLine, ReturnRequest, ReturnStatus
from returns.services import InspectionData, ReceivedItem, ReturnLineData, return_exchange_place, return_inspect, return_receive, return_request
from returns.services.exchanges import exchange_external_id

from ..inventory.invariants import stock_invariant_violations
from ..test_concurrency import run_in_threads
from .conftest import line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_requests_for_the_last_unit_one_wins_and_receipts_stay_within_shipped(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    ask = lambda: return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")  # noqa: E731

    outcomes = run_in_threads([[ask] for _ in range(8)], expected=(DomainError,))

    won = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, DomainError)]
    assert len(won) == 1 and len(lost) == 7
    assert {error.code for error in lost} == {"exceeds_returnable"}
    assert ReturnLine.objects.filter(order_line__order=order).count() == 1
    # Receiving it twice at once counts the unit once.
    receive = lambda: return_receive(return_id=won[0].pk, location="chicago", items=[ReceivedItem("SKU-A", 1)], actor="dock")  # noqa: E731
    run_in_threads([[receive], [receive]], expected=(DomainError,))
    assert OrderLine.objects.get(order=order).quantity_returned == 1
    assert stock_invariant_violations() == []


def test_placing_an_exchanges_replacement_several_times_at_once_places_one_order(shipped_order, stocked):
    stocked("SKU-A-L", 3)
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(
        order_id=order.pk, resolution=Resolution.EXCHANGE, actor="portal",
        lines=[ReturnLineData(line_number=1, quantity=1, reason="too_small", exchange_sku="SKU-A-L")],
    )
    Order.objects.filter(pk=order.pk).update(email="")  # intake refuses the automatic attempt after inspection
    return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem("SKU-A", 1)], actor="dock")
    return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=1, condition="new", disposition="restock")], actor="dock")
    assert ReturnRequest.objects.get(pk=rma.pk).exchange_order_id is None
    Order.objects.filter(pk=order.pk).update(email="buyer@example.com")
    place = lambda: return_exchange_place(return_id=rma.pk, actor="cs")  # noqa: E731

    outcomes = run_in_threads([[place] for _ in range(4)], expected=(DomainError,))

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    rma = ReturnRequest.objects.get(pk=rma.pk)
    assert rma.status == ReturnStatus.EXCHANGED
    assert list(Order.objects.filter(external_id=exchange_external_id(rma.number)).values_list("pk", flat=True)) == [rma.exchange_order_id]
    assert DomainEvent.objects.filter(name="return.exchange_created", payload__return_id=rma.pk).count() == 1
    assert stock_invariant_violations() == []
