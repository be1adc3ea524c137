"""What the portal shows before a return is sent: the policy's answer and the estimated refund,
read without writing anything, equal to what the request records and the refund pays."""

from decimal import Decimal as D

import pytest

from inventory.models import Product
from returns.models import ReturnPolicy, ReturnReason, ReturnRequest
from returns.services import return_policy_preview, return_refund, return_refund_estimate, return_request

from ..portal.returns_support import delivered_days_ago
from .conftest import line
from .test_refunds import returned

pytestmark = pytest.mark.django_db


def test_the_preview_gives_the_findings_the_request_then_records_and_writes_nothing(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(final_sale_discount_percent=50)
    order = shipped_order([("SKU-A", 1), ("SKU-B", 1)])
    Product.objects.filter(sku="SKU-B").update(is_returnable=False)
    delivered_days_ago(order, 43)
    lines = [line(1, 1), line(2, 1)]

    answer = return_policy_preview(order_id=order.pk, lines=lines)

    assert not ReturnRequest.objects.exists()
    assert answer.findings == ("43 days after delivery, window 30", "SKU-B is not returnable")
    assert not answer.within_policy and not answer.approved_at_once
    rma = return_request(order_id=order.pk, lines=lines, actor="portal")
    assert rma.needs_attention == "; ".join(answer.findings)


def test_within_the_policy_the_preview_says_approved_at_once_unless_auto_approval_is_off(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    assert return_policy_preview(order_id=order.pk, lines=[line(1, 1)]).approved_at_once

    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    answer = return_policy_preview(order_id=order.pk, lines=[line(1, 1)])
    assert answer.within_policy and not answer.approved_at_once


def test_the_estimate_equals_the_refund_paid_once_every_unit_is_accepted(shipped_order):
    ReturnReason.objects.filter(code="changed_mind").update(restocking_fee_percent=D("10"), restocking_fee_fixed=D("1.50"),
                                                           shipping_paid_by="merchant")
    order = shipped_order([("SKU-A", 3, "25.00")])
    return_refund(return_id=returned(order, line(1, 1)).pk, actor="cs")

    estimate = return_refund_estimate(order_id=order.pk, units={1: (2, "changed_mind")})
    refund = return_refund(return_id=returned(order, line(1, 2, reason="changed_mind")).pk, actor="cs")

    assert estimate.amount == refund.amount == D("43.50")  # 50.00 - (5.00 + 1.50)
    assert estimate.currency == "USD" and not estimate.customer_pays_label


def test_the_estimate_says_when_the_customer_pays_the_label(shipped_order):
    order = shipped_order([("SKU-A", 1, "25.00")])

    estimate = return_refund_estimate(order_id=order.pk, units={1: (1, "too_small"), 9: (1, "too_small")})

    assert estimate.amount == D("25.00") and estimate.customer_pays_label
