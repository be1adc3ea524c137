"""Two requests for the last unit of a line, at once, on PostgreSQL: exactly one wins."""

import pytest

from oms.errors import DomainError
from orders.models import OrderLine
from returns.models import ReturnLine
from returns.services import ReceivedItem, return_receive, return_request

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
