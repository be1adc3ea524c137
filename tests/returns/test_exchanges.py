"""Exchanges: the replacement is a new order through ordinary intake, priced at the difference."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Product
from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.models import DomainEvent
from orders.models import HoldReason, Order, OrderEvent, OrderHold, OrderStatus, PaymentStatus
from orders.services import order_intake
from returns.models import Refund, RefundMethod, RefundStatus, Resolution, ReturnEvent, ReturnPolicy, ReturnRequest, ReturnStatus
from returns.services import (
    InspectionData,
    ReceivedItem,
    ReturnLineData,
    return_exchange_place,
    return_inspect,
    return_receive,
    return_request,
    returns_expire,
)
from returns.services.exchanges import exchange_external_id

from ..api.conftest import api, client_for  # noqa: F401 (fixtures)
from ..api.support import error_of
from ..factories import intake_data
from .conftest import fresh, observe

pytestmark = pytest.mark.django_db


def swap(number=1, quantity=1, sku="SKU-A-L", exchange_quantity=None, reason="too_small") -> ReturnLineData:
    return ReturnLineData(line_number=number, quantity=quantity, reason=reason, exchange_sku=sku, exchange_quantity=exchange_quantity)


@pytest.fixture
def order(shipped_order, stocked):
    """A delivered order of 2 × SKU-A at 20.00; replacements in stock: SKU-A-L at 20.00,
    SKU-A-XL at 35.00, SKU-A-S at 12.00."""
    stocked("SKU-A-L", 5)
    stocked("SKU-A-XL", 5, price=Decimal("35.00"))
    stocked("SKU-A-S", 5, price=Decimal("12.00"))
    return shipped_order([("SKU-A", 2)])


def request_exchange(order, *lines, capture):
    with capture(execute=True):
        return return_request(order_id=order.pk, lines=list(lines) or [swap()], resolution=Resolution.EXCHANGE, actor="portal")


def receive_and_inspect(rma, capture, sku="SKU-A", quantity=1):
    return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem(sku, quantity)], actor="dock")
    with capture(execute=True):
        return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=1, condition="new", disposition="restock")], actor="dock")
    return fresh(rma)


def exchange_events(rma) -> list[DomainEvent]:
    return list(DomainEvent.objects.filter(name="return.exchange_created", payload__return_id=rma.pk))


def test_given_an_exchange_when_the_returned_unit_is_inspected_then_the_replacement_is_a_paid_order_and_the_return_is_exchanged(
    order, django_capture_on_commit_callbacks,
):
    rma = request_exchange(order, capture=django_capture_on_commit_callbacks)
    assert fresh(rma).status == ReturnStatus.APPROVED and fresh(rma).exchange_order is None

    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)

    assert rma.status == ReturnStatus.EXCHANGED and rma.exchange_balance == Decimal("0.000")
    replacement = rma.exchange_order
    assert replacement.channel_id == order.channel_id and replacement.customer_id == order.customer_id
    assert replacement.external_id == exchange_external_id(rma.number) and replacement.shipping_address == order.shipping_address
    assert list(replacement.lines.values_list("sku", "quantity", "unit_price")) == [("SKU-A-L", 1, Decimal("20.000"))]
    assert replacement.payment_status == PaymentStatus.PAID and replacement.status == OrderStatus.ALLOCATED
    assert [event.payload["exchange_order"] for event in exchange_events(rma)] == [replacement.number]
    assert ReturnEvent.objects.filter(request=rma, kind=ReturnEvent.Kind.EXCHANGE, message__contains=replacement.number).exists()


def test_given_a_dearer_replacement_then_the_order_waits_for_the_customer_to_pay_the_difference(order, django_capture_on_commit_callbacks):
    rma = request_exchange(order, swap(sku="SKU-A-XL"), capture=django_capture_on_commit_callbacks)

    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)

    assert rma.status == ReturnStatus.EXCHANGED and rma.exchange_balance == Decimal("15.000")
    replacement = rma.exchange_order
    assert replacement.grand_total == Decimal("35.000") and replacement.payment_status == PaymentStatus.PENDING
    assert replacement.status == OrderStatus.ON_HOLD
    assert OrderHold.objects.filter(order=replacement, reason=HoldReason.PAYMENT, released_at__isnull=True).exists()
    assert OrderEvent.objects.filter(order=replacement, kind=OrderEvent.Kind.NOTE, message__contains="difference of 15.00 USD").exists()
    assert not ReturnEvent.objects.filter(request=rma, message__startswith="Refund of").exists()


def test_given_a_cheaper_replacement_then_the_rest_is_refunded_to_the_original_payment(order, django_capture_on_commit_callbacks):
    rma = request_exchange(order, swap(sku="SKU-A-S"), capture=django_capture_on_commit_callbacks)

    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)

    assert rma.status == ReturnStatus.EXCHANGED and rma.exchange_balance == Decimal("-8.000")
    assert rma.exchange_order.payment_status == PaymentStatus.PAID
    refund = Refund.objects.get(request=rma)
    assert (refund.amount, refund.method, refund.status) == (Decimal("8.000"), RefundMethod.ORIGINAL_PAYMENT, RefundStatus.SUCCEEDED)
    assert refund.breakdown["exchange_rest"] == "8.00"
    assert fresh(rma).status == ReturnStatus.EXCHANGED  # the refund of the rest does not turn it into a refunded return


def test_given_advance_exchange_for_a_cheaper_replacement_then_the_rest_waits_for_inspection(order, django_capture_on_commit_callbacks):
    ReturnPolicy.objects.filter(channel__isnull=True).update(advance_exchange=True)
    rma = fresh(request_exchange(order, swap(sku="SKU-A-S"), capture=django_capture_on_commit_callbacks))

    assert rma.exchange_order is not None and not Refund.objects.filter(request=rma).exists()
    assert ReturnEvent.objects.filter(request=rma, message__startswith="Refund of 8.00 USD due once").exists()

    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)

    assert rma.status == ReturnStatus.EXCHANGED
    assert list(Refund.objects.filter(request=rma).values_list("amount", "status")) == [(Decimal("8.000"), RefundStatus.SUCCEEDED)]


def test_given_advance_exchange_the_replacement_is_placed_at_approval_and_the_return_still_travels_to_inspection(
    order, django_capture_on_commit_callbacks,
):
    ReturnPolicy.objects.filter(channel__isnull=True).update(advance_exchange=True)
    reserved_before = Product.objects.get(sku="SKU-A-L").stock_levels.get().reserved

    rma = fresh(request_exchange(order, capture=django_capture_on_commit_callbacks))

    assert rma.status == ReturnStatus.APPROVED and rma.exchange_order is not None
    assert rma.exchange_order.status == OrderStatus.ALLOCATED
    assert Product.objects.get(sku="SKU-A-L").stock_levels.get().reserved == reserved_before + 1
    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)
    assert rma.status == ReturnStatus.EXCHANGED
    assert Order.objects.filter(external_id=exchange_external_id(rma.number)).count() == 1
    assert len(exchange_events(rma)) == 1


def test_given_advance_exchange_when_the_parcel_never_comes_then_the_expired_return_needs_a_person(order, django_capture_on_commit_callbacks):
    ReturnPolicy.objects.filter(channel__isnull=True).update(advance_exchange=True)
    rma = fresh(request_exchange(order, capture=django_capture_on_commit_callbacks))

    returns_expire(now=timezone.now() + datetime.timedelta(days=31))

    rma = fresh(rma)
    assert rma.status == ReturnStatus.EXPIRED
    assert f"replacement order {rma.exchange_order.number} was placed in advance" in rma.needs_attention


@pytest.mark.parametrize(
    ("lines", "resolution", "field", "says"),
    [
        ([swap(sku="NOPE")], Resolution.EXCHANGE, "lines[0].exchange_sku", "No product with SKU 'NOPE'"),
        ([swap(sku="SKU-OLD")], Resolution.EXCHANGE, "lines[0].exchange_sku", "not sold any more"),
        ([swap(sku="SKU-EUR")], Resolution.EXCHANGE, "lines[0].exchange_sku", "priced in EUR"),
        ([swap()], Resolution.REFUND, "lines[0].exchange_sku", "Only an exchange names a replacement"),
        ([ReturnLineData(line_number=1, quantity=1, reason="too_small")], Resolution.EXCHANGE, "lines", "names the replacement"),
        ([swap(exchange_quantity=0)], Resolution.EXCHANGE, "lines[0].exchange_quantity", "above zero"),
    ],
)
def test_a_replacement_that_cannot_be_sent_is_refused_with_what_to_fix_and_nothing_recorded(order, stocked, lines, resolution, field, says):
    stocked("SKU-OLD", 0, is_active=False)
    stocked("SKU-EUR", 0, currency="EUR")
    before = observe(order)

    with pytest.raises(InvalidInput) as refused:
        return_request(order_id=order.pk, lines=lines, resolution=resolution, actor="portal")

    assert says in " ".join(refused.value.fields[field])
    assert observe(order) == before


def test_placing_the_replacement_again_finds_the_order_already_placed_instead_of_a_second(order, django_capture_on_commit_callbacks):
    rma = request_exchange(order, capture=django_capture_on_commit_callbacks)
    # A first attempt placed the order and stopped before linking it (a crash, a lost worker).
    earlier = order_intake(data=intake_data([("SKU-A-L", 1)], external_id=exchange_external_id(rma.number)), actor="job").order
    receive_and_inspect(rma, django_capture_on_commit_callbacks)

    again = return_exchange_place(return_id=rma.pk, actor="cs")

    rma = fresh(rma)
    assert rma.status == ReturnStatus.EXCHANGED and rma.exchange_order_id == earlier.pk and again.exchange_order_id == earlier.pk
    assert Order.objects.filter(external_id=exchange_external_id(rma.number)).count() == 1
    assert len(exchange_events(rma)) == 1


def test_a_replacement_refused_after_inspection_leaves_the_return_for_a_person_who_places_it_through_the_api(
    api, order, django_capture_on_commit_callbacks,  # noqa: F811
):
    rma = request_exchange(order, capture=django_capture_on_commit_callbacks)
    Order.objects.filter(pk=order.pk).update(email="")  # the customer's address was erased meanwhile: intake refuses

    rma = receive_and_inspect(rma, django_capture_on_commit_callbacks)

    assert rma.status == ReturnStatus.INSPECTED and rma.exchange_order is None
    assert "replacement not placed" in rma.needs_attention
    Order.objects.filter(pk=order.pk).update(email="buyer@example.com")
    placed = api.post(f"/api/v1/returns/{rma.number}/exchange/", {}, format="json", HTTP_IDEMPOTENCY_KEY="x-1")
    assert placed.status_code == 200, placed.content
    body = placed.json()
    assert body["status"] == "exchanged" and body["exchange_order"] == fresh(rma).exchange_order.number and body["exchange_balance"] == "0.00"
    assert body["lines"][0]["exchange_sku"] == "SKU-A-L" and body["lines"][0]["exchange_quantity"] == 1


def test_the_replacement_is_refused_before_it_is_due_and_for_a_return_that_is_no_exchange(order, django_capture_on_commit_callbacks):
    rma = request_exchange(order, capture=django_capture_on_commit_callbacks)
    with pytest.raises(InvalidTransition, match="placed once it is inspected"):
        return_exchange_place(return_id=rma.pk, actor="cs")
    refund = return_request(order_id=order.pk, lines=[ReturnLineData(line_number=1, quantity=1, reason="too_small")], actor="portal")
    with pytest.raises(DomainError) as refused:
        return_exchange_place(return_id=refund.pk, actor="cs")
    assert refused.value.code == "not_an_exchange"
    assert not Order.objects.filter(external_id__startswith="exchange-").exists()
    assert ReturnRequest.objects.get(pk=rma.pk).exchange_order is None


def test_an_exchange_is_asked_for_through_the_api_with_its_replacement(api, order):  # noqa: F811
    created = api.post("/api/v1/returns/", {
        "order": order.number, "resolution": "exchange",
        "lines": [{"line_number": 1, "quantity": 2, "reason": "too_small", "exchange_sku": "SKU-A-XL", "exchange_quantity": 1}],
    }, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["lines"][0]["exchange_sku"] == "SKU-A-XL" and created.json()["lines"][0]["exchange_quantity"] == 1
    unknown = api.post("/api/v1/returns/", {
        "order": order.number, "resolution": "exchange", "lines": [{"line_number": 1, "quantity": 1, "reason": "too_small", "exchange_sku": "NOPE"}],
    }, format="json")
    assert unknown.status_code == 400 and "lines[0].exchange_sku" in error_of(unknown)["fields"]


def test_given_advance_exchange_when_fewer_units_are_accepted_than_asked_then_the_exchanged_return_needs_a_person(
    order, django_capture_on_commit_callbacks,
):
    ReturnPolicy.objects.filter(channel__isnull=True).update(advance_exchange=True)
    rma = request_exchange(order, swap(quantity=2, exchange_quantity=2), capture=django_capture_on_commit_callbacks)
    return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem("SKU-A", 2)], actor="dock")

    with django_capture_on_commit_callbacks(execute=True):
        return_inspect(
            return_id=rma.pk, lines=[InspectionData(line_number=1, condition="damaged", disposition="quarantine", quantity_accepted=1)], actor="dock",
        )

    rma = fresh(rma)
    assert rma.status == ReturnStatus.EXCHANGED and rma.exchange_balance == Decimal("0.000")
    assert "exchanged in advance for 2 unit(s), 1 accepted at inspection" in rma.needs_attention
