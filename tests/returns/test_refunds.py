"""Refunds of returns: amounts from what was paid, policy timing, overrides, store credit, and the
failure path (a refused refund stays visible as failed and can be retried)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from customers.models import StoreCreditAccount
from customers.store_credit import store_credit_mismatches
from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.models import DomainEvent
from orders.models import Order, OrderLine, PaymentStatus
from returns.models import Refund, RefundMethod, RefundStatus, RefundTiming, Resolution, ReturnPolicy, ReturnReason, ReturnStatus
from returns.payments import RefundOutcome
from returns.services import (
    InspectionData, ReceivedItem, ReturnLineData, refund_retry, return_in_transit, return_inspect, return_receive, return_refund, return_request,
)
from returns.services import refunds as refund_service

from ..factories import ProductFactory
from .conftest import fresh, line

pytestmark = pytest.mark.django_db


def inspect_all(rma, accepted=None):
    numbers = rma.lines.order_by("id").values_list("order_line__line_number", flat=True)
    return return_inspect(return_id=rma.pk, lines=[
        InspectionData(line_number=n, condition="new", disposition="restock", quantity_accepted=accepted) for n in numbers
    ], actor="dock")


def returned(order, *lines, resolution=Resolution.REFUND, status=ReturnStatus.INSPECTED, accepted=None):
    """A return of ``lines`` of ``order`` driven to ``status`` (the timing subscribers do not run here)."""
    rma = return_request(order_id=order.pk, lines=list(lines), resolution=resolution, actor="portal")
    if status == ReturnStatus.IN_TRANSIT:
        return_in_transit(return_id=rma.pk, actor="carrier")
    if status in (ReturnStatus.RECEIVED, ReturnStatus.INSPECTED):
        skus = dict(OrderLine.objects.filter(order=order).values_list("line_number", "sku"))
        return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem(skus[item.line_number], item.quantity) for item in lines],
                       actor="dock")
    if status == ReturnStatus.INSPECTED:
        inspect_all(rma, accepted)
    return fresh(rma)


def set_policy(**values):
    ReturnPolicy.objects.filter(channel__isnull=True).update(**values)


def test_given_an_inspected_return_when_refunded_then_the_units_paid_come_back_and_the_return_is_refunded(shipped_order):
    order = shipped_order([("SKU-A", 2, "20.00")])
    rma = returned(order, line(1, 1))

    refund = return_refund(return_id=rma.pk, actor="cs")

    assert refund.status == RefundStatus.SUCCEEDED and refund.amount == D("20.00") and refund.provider == "builtin"
    assert refund.breakdown["lines"][0]["units"] == 1 and refund.attempts == 1 and refund.idempotency_key
    assert fresh(rma).status == ReturnStatus.REFUNDED
    assert DomainEvent.objects.filter(name="return.refund_succeeded", payload__refund_id=refund.pk).exists()
    assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.PAID  # half of it only


def test_given_units_refused_at_inspection_when_refunded_then_only_accepted_units_are_paid_back(shipped_order):
    order = shipped_order([("SKU-A", 3, "10.00")])
    rma = returned(order, line(1, 3), accepted=1)

    assert return_refund(return_id=rma.pk, actor="cs").amount == D("10.00")


def test_given_a_restocking_fee_for_the_reason_when_refunded_then_percent_and_fixed_fee_are_kept(shipped_order):
    ReturnReason.objects.filter(code="changed_mind").update(restocking_fee_percent=D("10"), restocking_fee_fixed=D("1.50"),
                                                           shipping_paid_by="merchant")
    order = shipped_order([("SKU-A", 2, "25.00")])
    rma = returned(order, line(1, 2, reason="changed_mind"))

    refund = return_refund(return_id=rma.pk, actor="cs")

    assert refund.amount == D("43.50")  # 50.00 - (5.00 + 1.50)
    assert refund.breakdown["lines"][0]["restocking_fee"] == "6.50"


def test_given_every_unit_back_in_two_returns_when_both_are_refunded_then_they_add_up_to_the_grand_total_and_the_order_is_refunded(shipped_order):
    set_policy(refund_original_shipping=True)
    ProductFactory(sku="SKU-A", price=D("9.99"))
    order = shipped_order([("SKU-A", 3, "9.99")], shipping_price=D("4.95"))
    first = return_refund(return_id=returned(order, line(1, 1)).pk, actor="cs")
    second = return_refund(return_id=returned(order, line(1, 2)).pk, actor="cs")

    order = Order.objects.get(pk=order.pk)
    assert first.amount + second.amount == order.grand_total == D("34.92")
    assert second.breakdown["shipping"] == "4.95" and first.breakdown["shipping"] == "0.00"
    assert order.payment_status == PaymentStatus.REFUNDED


def test_given_an_override_with_a_reason_when_refunded_then_that_amount_is_paid_and_the_computed_one_is_kept(shipped_order):
    order = shipped_order([("SKU-A", 2, "20.00")])
    rma = returned(order, line(1, 1))

    refund = return_refund(return_id=rma.pk, amount="15.00", reason="goodwill: scratched on arrival", actor="cs")

    assert (refund.amount, refund.computed_amount, refund.override_reason) == (D("15.00"), D("20.00"), "goodwill: scratched on arrival")


@pytest.mark.parametrize("amount, reason, field", [
    ("40.01", "more than paid", "amount"),
    ("-1", "negative", "amount"),
    ("0", "nothing", "amount"),
    ("1.001", "a tenth of a cent", "amount"),
    ("abc", "not a number", "amount"),
    ("1e100", "beyond any money column", "amount"),
    ("5.00", "", "reason"),
])
def test_given_a_bad_override_when_refunded_then_it_is_refused_saying_what_to_fix_and_nothing_is_recorded(shipped_order, amount, reason, field):
    order = shipped_order([("SKU-A", 2, "20.00")])
    rma = returned(order, line(1, 1))

    with pytest.raises(InvalidInput) as refused:
        return_refund(return_id=rma.pk, amount=amount, reason=reason, actor="cs")

    assert field in refused.value.fields
    assert not Refund.objects.exists() and fresh(rma).status == ReturnStatus.INSPECTED


def test_given_a_refunded_return_when_refunded_again_then_it_is_refused(shipped_order):
    rma = returned(shipped_order([("SKU-A", 2)]), line(1, 1))
    return_refund(return_id=rma.pk, actor="cs")

    with pytest.raises(DomainError) as refused:
        return_refund(return_id=rma.pk, actor="cs")

    assert refused.value.code == "already_refunded" and Refund.objects.count() == 1


def test_given_a_return_not_yet_on_its_way_or_an_exchange_when_refunded_then_it_is_refused(shipped_order):
    order = shipped_order([("SKU-A", 3)])
    approved = returned(order, line(1, 1), status=ReturnStatus.APPROVED)
    swap = ReturnLineData(line_number=1, quantity=1, reason="too_small", exchange_sku="SKU-A")
    exchange = returned(order, swap, resolution=Resolution.EXCHANGE, status=ReturnStatus.APPROVED)

    with pytest.raises(InvalidTransition):
        return_refund(return_id=approved.pk, actor="cs")
    with pytest.raises(DomainError) as refused:
        return_refund(return_id=exchange.pk, actor="cs")

    assert refused.value.code == "exchange_not_refunded" and not Refund.objects.exists()


def test_given_an_earlier_override_took_most_of_the_money_when_the_next_return_is_refunded_then_it_is_capped_at_what_is_left(shipped_order):
    order = shipped_order([("SKU-A", 2, "20.00")])
    return_refund(return_id=returned(order, line(1, 1)).pk, amount="35.00", reason="courtesy", actor="cs")

    capped = return_refund(return_id=returned(order, line(1, 1)).pk, actor="cs")

    assert capped.amount == D("5.00") and capped.breakdown["capped_by"] == "15.00"


def test_given_the_provider_refuses_when_refunded_then_the_refund_is_failed_with_its_words_and_a_retry_succeeds(shipped_order, monkeypatch):
    rma = returned(shipped_order([("SKU-A", 2, "20.00")]), line(1, 1))
    answers = [RefundOutcome(ok=False, reason="card expired"), RefundOutcome(ok=True, provider_refund_id="re_42")]
    keys = []

    class Flaky:
        name = "builtin"

        def refund(self, *, order, amount, currency, key, lines):
            keys.append(key)
            return answers.pop(0)

    monkeypatch.setattr(refund_service, "adapter_for", lambda order, method, **options: Flaky())

    failed = return_refund(return_id=rma.pk, actor="cs")

    assert (failed.status, failed.provider_reason) == (RefundStatus.FAILED, "card expired")
    assert fresh(rma).status == ReturnStatus.INSPECTED  # nothing marked refunded that was not
    assert DomainEvent.objects.filter(name="return.refund_failed", payload__reason="card expired").exists()
    with pytest.raises(DomainError) as refused:
        return_refund(return_id=rma.pk, actor="cs")
    assert refused.value.code == "refund_failed_retry"

    retried = refund_retry(refund_id=failed.pk, actor="cs")

    assert (retried.status, retried.provider_refund_id, retried.attempts) == (RefundStatus.SUCCEEDED, "re_42", 2)
    assert keys[0] == keys[1]  # the provider sees the same key: never two refunds
    assert fresh(rma).status == ReturnStatus.REFUNDED
    with pytest.raises(InvalidTransition):
        refund_retry(refund_id=failed.pk, actor="cs")


def test_given_an_adapter_that_crashes_when_refunded_then_the_refund_is_failed_not_left_pending(shipped_order, monkeypatch):
    rma = returned(shipped_order([("SKU-A", 2)]), line(1, 1))

    class Broken:
        name = "builtin"

        def refund(self, **kwargs):
            raise ConnectionError("socket closed")

    monkeypatch.setattr(refund_service, "adapter_for", lambda order, method, **options: Broken())

    refund = return_refund(return_id=rma.pk, actor="cs")

    assert refund.status == RefundStatus.FAILED and "socket closed" in refund.provider_reason


def test_given_a_store_credit_return_when_refunded_then_the_customer_balance_grows_once_and_the_ledger_reconciles(shipped_order):
    order = shipped_order([("SKU-A", 2, "20.00")])
    rma = returned(order, line(1, 2), resolution=Resolution.STORE_CREDIT)

    refund = return_refund(return_id=rma.pk, actor="cs")

    account = StoreCreditAccount.objects.get(customer_id=order.customer_id, currency="USD")
    assert refund.method == RefundMethod.STORE_CREDIT and refund.provider == "store_credit" and refund.status == RefundStatus.SUCCEEDED
    assert account.balance == D("40.00")
    assert list(account.entries.values_list("kind", "amount", "reference")) == [("credit", D("40.00"), order.number)]
    assert store_credit_mismatches() == []


# --- timing: the policy decides when the refund goes out ---------------------------------------


def test_given_refund_after_inspection_when_inspection_completes_then_the_return_is_refunded(shipped_order, django_capture_on_commit_callbacks):
    order = shipped_order([("SKU-A", 2, "20.00")])
    with django_capture_on_commit_callbacks(execute=True):
        rma = returned(order, line(1, 1), status=ReturnStatus.RECEIVED)
    assert not Refund.objects.exists()  # not on receipt

    with django_capture_on_commit_callbacks(execute=True):
        inspect_all(rma)

    assert fresh(rma).status == ReturnStatus.REFUNDED
    assert Refund.objects.get(request=rma).amount == D("20.00")


def test_given_refund_on_receipt_when_the_parcel_is_received_then_money_goes_back_and_inspection_ends_refunded(shipped_order, django_capture_on_commit_callbacks):
    set_policy(refund_timing=RefundTiming.ON_RECEIPT)
    order = shipped_order([("SKU-A", 2, "20.00")])
    with django_capture_on_commit_callbacks(execute=True):
        rma = returned(order, line(1, 2), status=ReturnStatus.RECEIVED)

    assert Refund.objects.get(request=rma).status == RefundStatus.SUCCEEDED
    assert fresh(rma).status == ReturnStatus.RECEIVED

    with django_capture_on_commit_callbacks(execute=True):
        inspect_all(rma)

    assert fresh(rma).status == ReturnStatus.REFUNDED and Refund.objects.filter(request=rma).count() == 1


def test_given_refund_on_first_scan_when_a_customer_in_good_standing_ships_then_the_refund_goes_out_at_the_scan(shipped_order, django_capture_on_commit_callbacks):
    set_policy(refund_timing=RefundTiming.FIRST_SCAN)
    order = shipped_order([("SKU-A", 2, "20.00")])

    with django_capture_on_commit_callbacks(execute=True):
        rma = returned(order, line(1, 2), status=ReturnStatus.IN_TRANSIT)

    assert Refund.objects.get(request=rma).amount == D("40.00")
    assert fresh(rma).status == ReturnStatus.IN_TRANSIT


def test_given_refund_on_first_scan_when_the_customer_had_units_missing_before_then_the_refund_waits_for_inspection(shipped_order, django_capture_on_commit_callbacks):
    order = shipped_order([("SKU-A", 3, "20.00")])
    earlier = return_request(order_id=order.pk, lines=[line(1, 2)], actor="portal")
    return_receive(return_id=earlier.pk, location="chicago", items=[ReceivedItem("SKU-A", 1)], complete=True, actor="dock")  # one missing
    set_policy(refund_timing=RefundTiming.FIRST_SCAN)

    with django_capture_on_commit_callbacks(execute=True):
        rma = returned(order, line(1, 1), status=ReturnStatus.IN_TRANSIT)
    assert not Refund.objects.filter(request=rma).exists()

    with django_capture_on_commit_callbacks(execute=True):
        return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem("SKU-A", 1)], actor="dock")
        inspect_all(rma)

    assert fresh(rma).status == ReturnStatus.REFUNDED


def test_given_the_customer_never_had_a_doubtful_return_then_they_are_in_good_standing(shipped_order):
    order = shipped_order([("SKU-A", 2)])

    assert refund_service.customer_in_good_standing(order.customer_id)
    assert not refund_service.customer_in_good_standing(None)


def test_given_a_yen_order_returned_in_three_parts_then_whole_yen_refunds_add_up_to_what_was_paid(shipped_order):
    order = shipped_order([("SKU-A", 3, "1001")], currency="JPY", shipping_price=D("500"))
    set_policy(refund_original_shipping=True)

    amounts = [return_refund(return_id=returned(order, line(1, 1)).pk, actor="cs").amount for _ in range(3)]

    assert all(amount == amount.to_integral_value() for amount in amounts)
    assert sum(amounts) == Order.objects.get(pk=order.pk).grand_total == D("3503")


def test_given_a_refund_left_pending_by_a_dead_process_when_the_sweep_runs_then_it_is_sent_again_and_recorded(shipped_order, monkeypatch):
    rma = returned(shipped_order([("SKU-A", 2, "20.00")]), line(1, 1))
    monkeypatch.setattr(refund_service, "_refund_send", lambda refund_id, **kwargs: Refund.objects.get(pk=refund_id))  # dies after reserving
    pending = return_refund(return_id=rma.pk, actor="cs")
    monkeypatch.undo()
    assert pending.status == RefundStatus.PENDING
    assert refund_service.refunds_pending_resend() == 0  # just sent: maybe still in flight

    Refund.objects.filter(pk=pending.pk).update(updated_at=pending.updated_at - timedelta(minutes=20))

    assert refund_service.refunds_pending_resend() == 1
    assert Refund.objects.get(pk=pending.pk).status == RefundStatus.SUCCEEDED
    assert fresh(rma).status == ReturnStatus.REFUNDED
