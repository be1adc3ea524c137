"""Requesting a return: the policy's judgement, the decisions, and refusals of bad input."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.models import DomainEvent
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services import order_cancel, order_complete
from returns.models import ReturnEvent, ReturnPolicy, ReturnReason, ReturnRequest, ReturnStatus
from returns.services import return_approve, return_reject, return_request

from ..factories import ProductFactory, place_order
from .conftest import fresh, line, observe

pytestmark = pytest.mark.django_db


def days_ago(order: Order, days: int, status: str = OrderStatus.DELIVERED) -> None:
    """Given the order reached ``status`` ``days`` ago."""
    OrderEvent.objects.filter(order=order, to_status=status).update(created_at=timezone.now() - datetime.timedelta(days=days, hours=1))


def test_a_request_within_the_policy_is_approved_at_once_with_its_expiry_and_events(shipped_order):
    order = shipped_order([("SKU-A", 2)])

    rma = return_request(order_id=order.pk, lines=[line(1, 1, "too_small")], customer_comment="A size up please", actor="portal")

    rma = fresh(rma)
    assert rma.number == f"RMA-{rma.pk:06d}"
    assert rma.status == ReturnStatus.APPROVED and rma.needs_attention == ""
    assert rma.expires_at.date() == (timezone.now() + datetime.timedelta(days=30)).date()
    assert list(rma.lines.values_list("order_line__sku", "quantity", "reason__code")) == [("SKU-A", 1, "too_small")]
    events = list(DomainEvent.objects.filter(stream=f"return:{rma.pk}").order_by("sequence").values_list("name", "sequence"))
    assert events == [("return.requested", 1), ("return.approved", 2)]
    kinds = list(ReturnEvent.objects.filter(request=rma).values_list("kind", "actor_label"))
    assert kinds == [("created", "portal"), ("status", "portal")]


def test_a_request_after_the_window_is_recorded_for_a_person_who_then_decides(shipped_order):
    order = shipped_order([("SKU-A", 2)])
    days_ago(order, 43)

    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")

    assert fresh(rma).status == ReturnStatus.REQUESTED
    assert fresh(rma).needs_attention == "43 days after delivery, window 30"
    assert not DomainEvent.objects.filter(name="return.approved").exists()
    return_approve(return_id=rma.pk, note="loyal customer", actor="cs:alice")
    assert fresh(rma).status == ReturnStatus.APPROVED and fresh(rma).decision_note == "loyal customer"


def test_without_a_delivery_scan_the_window_runs_from_the_shipment(shipped_order):
    order = shipped_order([("SKU-A", 1)], delivered=False)
    days_ago(order, 31, OrderStatus.SHIPPED)

    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")

    assert fresh(rma).needs_attention == "31 days after shipment, window 30"


def test_a_channel_policy_wins_over_the_default(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    days_ago(order, 43)
    ReturnPolicy.objects.create(name="Generous", channel=order.channel, window_days=60)

    assert fresh(return_request(order_id=order.pk, lines=[line()], actor="portal")).status == ReturnStatus.APPROVED


def test_non_returnable_products_final_sale_lines_and_completed_orders_need_a_person(shipped_order):
    ProductFactory(sku="SKU-H", is_returnable=False)
    order = shipped_order([("SKU-H", 1), ("SKU-C", 2)])
    OrderLine.objects.filter(order=order, sku="SKU-C").update(discount=Decimal("20.00"))  # half of 2 × 20.00
    ReturnPolicy.objects.filter(channel__isnull=True).update(final_sale_discount_percent=50)
    order_complete(order_id=order.pk, actor="test")

    rma = return_request(order_id=order.pk, lines=[line(1), line(2)], actor="portal")

    assert fresh(rma).status == ReturnStatus.REQUESTED
    assert fresh(rma).needs_attention == (
        f"order {order.number} is completed (its return window closed); SKU-H is not returnable; SKU-C (line 2) was final sale (50% off)"
    )


def test_with_auto_approval_off_a_request_within_the_policy_waits_for_a_person(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("SKU-A", 1)])

    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")

    assert fresh(rma).status == ReturnStatus.REQUESTED and fresh(rma).needs_attention == ""


def test_a_rejection_needs_a_reason_and_is_final(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")

    with pytest.raises(InvalidInput, match="Say why"):
        return_reject(return_id=rma.pk, reason="  ", actor="cs")
    return_reject(return_id=rma.pk, reason="worn", actor="cs")

    assert fresh(rma).status == ReturnStatus.REJECTED and fresh(rma).decision_note == "worn"
    with pytest.raises(InvalidTransition, match="is rejected; it cannot be approved"):
        return_approve(return_id=rma.pk, actor="cs")


def test_units_on_open_returns_and_returned_units_count_against_what_shipped(shipped_order):
    order = shipped_order([("SKU-A", 2)])
    return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
    return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")

    with pytest.raises(DomainError, match=r"1 asked for, 0 can still come back \(2 shipped, 0 returned, 2 on open returns\)") as refused:
        return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
    assert refused.value.code == "exceeds_returnable"


def test_a_rejected_request_gives_its_units_back(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("SKU-A", 1)])
    first = return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
    return_reject(return_id=first.pk, reason="no", actor="cs")

    assert return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal").pk != first.pk


def _refusals(order_id):
    yield "more than shipped", DomainError, "1 can still come back", dict(order_id=order_id, lines=[line(1, 3)])
    yield "unknown line", InvalidInput, "has no line 9", dict(order_id=order_id, lines=[line(9, 1)])
    yield "zero quantity", InvalidInput, "malformed", dict(order_id=order_id, lines=[line(1, 0)])
    yield "no lines", InvalidInput, "at least one line", dict(order_id=order_id, lines=[])
    yield "unknown reason", InvalidInput, "malformed", dict(order_id=order_id, lines=[line(1, 1, "bored")])
    yield "other without text", InvalidInput, "malformed", dict(order_id=order_id, lines=[line(1, 1, "other")])
    yield "line twice", InvalidInput, "malformed", dict(order_id=order_id, lines=[line(1, 1), line(1, 1)])
    yield "bad resolution", InvalidInput, "not a resolution", dict(order_id=order_id, lines=[line(1, 1)], resolution="cash")


def test_bad_input_is_refused_with_what_to_fix_and_writes_nothing(shipped_order):
    order = shipped_order([("SKU-A", 2)])
    return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
    before = observe(order)

    for name, error, text, arguments in _refusals(order.pk):
        with pytest.raises(error, match=text):
            return_request(actor="portal", **arguments)
        assert observe(order) == before, name


def test_other_with_text_is_accepted(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line(1, 1, "other", "the colour is off")], actor="portal")
    assert rma.lines.get().reason_text == "the colour is off"


@pytest.mark.parametrize("status", ["cancelled", "allocated"])
def test_an_order_that_shipped_nothing_cannot_be_returned(stocked, status):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    if status == "cancelled":
        order_cancel(order_id=order.pk, actor="test")
    before = observe(order)

    with pytest.raises(DomainError, match="nothing of it has shipped") as refused:
        return_request(order_id=order.pk, lines=[line()], actor="portal")

    assert refused.value.code == "order_not_shipped"
    assert observe(order) == before


def test_the_seeded_reasons_are_there_and_other_asks_for_text():
    codes = list(ReturnReason.objects.values_list("code", "needs_text"))
    assert [code for code, _ in codes] == ["damaged", "wrong_item", "too_small", "too_large", "not_as_described", "changed_mind", "other"]
    assert dict(codes)["other"] is True
    assert ReturnPolicy.objects.filter(channel__isnull=True).count() == 1


def test_policy_reason_terms_override_the_reason_and_are_validated():
    from django.core.exceptions import ValidationError

    policy = ReturnPolicy(name="p", reason_terms={"changed_mind": {"restocking_fee_percent": "15", "shipping_paid_by": "merchant"}})
    policy.clean()
    terms = policy.terms_for(ReturnReason.objects.get(code="changed_mind"))
    assert terms == {"restocking_fee_percent": Decimal("15"), "restocking_fee_fixed": Decimal("0"), "shipping_paid_by": "merchant"}
    assert policy.terms_for(ReturnReason.objects.get(code="damaged"))["shipping_paid_by"] == "merchant"
    with pytest.raises(ValidationError, match="there is no such reason"):
        ReturnPolicy(name="p", reason_terms={"bored": {}}).clean()
    with pytest.raises(ValidationError, match="must be a number from 0 to 100"):
        ReturnPolicy(name="p", reason_terms={"damaged": {"restocking_fee_percent": "150"}}).clean()


def test_the_status_cannot_be_assigned_outside_the_services(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")
    with pytest.raises(AttributeError):
        rma.status = ReturnStatus.CLOSED
    assert ReturnRequest.objects.get(pk=rma.pk).status == ReturnStatus.APPROVED
