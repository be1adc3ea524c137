"""Screening at intake: rules as data score each new order; at the threshold it is held for fraud risk."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import HoldReason, Order, OrderEvent, OrderStatus, ScreeningBlock, ScreeningRule, ScreeningThreshold
from orders.services import intake as intake_module
from orders.services.screening import Screening, screening_forget

from ..factories import address, place_order

Kind = ScreeningRule.Kind


@pytest.fixture
def shirts(stocked):
    stocked("SHIRT", 500, price=Decimal("20.00"))


def rule(kind, score=100, **parameters) -> ScreeningRule:
    return ScreeningRule.objects.create(name=kind.label, kind=kind, score=score, **parameters)


def fraud_hold(order: Order) -> str | None:
    return order.holds.filter(reason=HoldReason.FRAUD_RISK, released_at__isnull=True).values_list("detail", flat=True).first()


def screened(order: Order) -> OrderEvent:
    return order.events.get(kind=OrderEvent.Kind.SCREENED)


def fired(order: Order) -> list[str]:
    return [hit["kind"] for hit in screened(order).data["hits"]]


def test_platform_risk_at_or_above_the_level_fires(shirts):
    # given a rule on the platform's verdict from "medium" up
    rule(Kind.PLATFORM_RISK, risk_level="medium")

    # when one order comes rated high and another low
    risky = place_order([("SHIRT", 1)], platform_risk="HIGH")
    calm = place_order([("SHIRT", 1)], platform_risk="low")

    # then the verdict is kept on each order, and only the high one is held for fraud risk
    assert (risky.platform_risk, calm.platform_risk) == ("high", "low")
    assert risky.status == OrderStatus.ON_HOLD and "the platform rated the order high risk" in fraud_hold(risky)
    assert calm.status == OrderStatus.ALLOCATED and fired(calm) == []


def test_billing_and_shipping_in_different_countries_fires(shirts):
    rule(Kind.COUNTRY_MISMATCH)

    mismatch = place_order([("SHIRT", 1)], billing_address=address(country="NG", region="", postal_code="100001", city="Lagos"))
    same = place_order([("SHIRT", 1)], billing_address=address())
    no_billing = place_order([("SHIRT", 1)])

    assert "billed in NG, shipped to US" in fraud_hold(mismatch)
    assert fired(same) == [] and fired(no_billing) == []


def test_first_order_above_a_value_fires_only_for_a_new_customer(shirts):
    rule(Kind.FIRST_ORDER_VALUE, amount=Decimal("100"))

    big_first = place_order([("SHIRT", 6)], email="new@example.com")  # 120.00
    small_first = place_order([("SHIRT", 2)], email="other@example.com")
    big_again = place_order([("SHIRT", 6)], email="other@example.com")

    assert "first order of the customer, 120.00 USD above 100.00" in fraud_hold(big_first)
    assert fired(small_first) == [] and fired(big_again) == []


def test_many_orders_from_one_customer_within_the_window_fires(shirts):
    rule(Kind.ORDER_VELOCITY, count=1, window_hours=24)
    old = place_order([("SHIRT", 1)], email="fast@example.com")
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))  # outside the window

    second = place_order([("SHIRT", 1)], email="fast@example.com")
    third = place_order([("SHIRT", 1)], email="fast@example.com")

    assert fired(second) == []
    assert "2 orders from the customer within 24 h (more than 1)" in fraud_hold(third)


def test_many_shipping_addresses_from_one_customer_fires(shirts):
    rule(Kind.ADDRESS_VELOCITY, count=2, window_hours=24)

    first = place_order([("SHIRT", 1)], email="mover@example.com", shipping_address=address(line1="1 Elm St"))
    same_again = place_order([("SHIRT", 1)], email="mover@example.com", shipping_address=address(line1="1 Elm St"))
    second = place_order([("SHIRT", 1)], email="mover@example.com", shipping_address=address(line1="2 Oak St"))
    third = place_order([("SHIRT", 1)], email="mover@example.com", shipping_address=address(line1="3 Pine St"))

    assert fired(first) == fired(same_again) == fired(second) == []
    assert "3 shipping addresses from the customer within 24 h (more than 2)" in fraud_hold(third)


def test_email_or_phone_on_the_block_list_fires(shirts):
    rule(Kind.BLOCKED_CONTACT)
    ScreeningBlock.objects.create(kind=ScreeningBlock.Kind.EMAIL, value="thief@example.com")
    ScreeningBlock.objects.create(kind=ScreeningBlock.Kind.PHONE, value="+14155550199")

    by_email = place_order([("SHIRT", 1)], email="Thief@Example.com")
    by_phone = place_order([("SHIRT", 1)], shipping_address=address(phone="+1 415 555 0199"))
    clean = place_order([("SHIRT", 1)], email="honest@example.com")

    assert "on the block list: thief@example.com" in fraud_hold(by_email)
    assert "on the block list: +14155550199" in fraud_hold(by_phone)
    assert fired(clean) == []


def test_a_line_far_above_the_skus_usual_quantity_fires(shirts):
    rule(Kind.QUANTITY_SPIKE, factor=Decimal("5"), window_hours=24 * 30)
    early = place_order([("SHIRT", 40)])  # no history yet: never a spike
    for _ in range(5):
        place_order([("SHIRT", 2)])

    usual = place_order([("SHIRT", 9)])
    spike = place_order([("SHIRT", 80)])

    assert fired(early) == [] and fired(usual) == []
    assert "quantity above 5.00× the usual: SHIRT × 80" in fraud_hold(spike)


def test_scores_add_up_to_the_channels_threshold_and_the_decision_is_audited(shirts, web_channel):
    # given two rules of 40 each and a threshold of 80 for the web channel (the default one is higher)
    rule(Kind.COUNTRY_MISMATCH, score=40)
    rule(Kind.PLATFORM_RISK, score=40, risk_level="high")
    ScreeningThreshold.objects.create(channel=None, hold_score=500)
    ScreeningThreshold.objects.create(channel=web_channel, hold_score=80)
    billed_abroad = address(country="DE", region="", postal_code="10115", city="Berlin")

    # when one order trips one rule and another trips both
    one = place_order([("SHIRT", 1)], billing_address=billed_abroad)
    both = place_order([("SHIRT", 1)], billing_address=billed_abroad, platform_risk="high")

    # then only the second reaches the threshold: held for fraud risk, stock not reserved
    assert one.status == OrderStatus.ALLOCATED and fraud_hold(one) is None
    assert both.status == OrderStatus.ON_HOLD and both.lines.get().quantity_reserved == 0
    assert fraud_hold(both).startswith("Risk score 80 of 80:")
    # and each decision is in the audit trail with the rules that fired, their scores and why
    decision = screened(both)
    assert decision.data["held"] is True and decision.actor_label == "test"
    assert [(hit["kind"], hit["score"]) for hit in decision.data["hits"]] == [("country_mismatch", 40), ("platform_risk", 40)]
    assert screened(one).data == {"score": 40, "threshold": 80, "held": False, "hits": [screened(one).data["hits"][0]]}
    assert "billed in DE, shipped to US" in screened(one).message


def test_rules_of_another_channel_or_inactive_ones_do_not_screen(shirts):
    from ..factories import ChannelFactory

    rule(Kind.COUNTRY_MISMATCH, channel=ChannelFactory(code="market"))
    rule(Kind.PLATFORM_RISK, risk_level="medium", is_active=False)

    order = place_order([("SHIRT", 1)], billing_address=address(country="FR", region="", postal_code="75001", city="Paris"), platform_risk="high")

    assert order.status == OrderStatus.ALLOCATED
    assert not order.events.filter(kind=OrderEvent.Kind.SCREENED).exists()


def _intake_queries(**overrides) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        place_order([("SHIRT", 1)], **overrides)
    return [q["sql"] for q in queries.captured_queries]


def test_intake_without_active_rules_costs_no_extra_query(shirts, monkeypatch, process_caches_held):
    # given no active rule (one inactive), and the process's copy of the rules already read
    rule(Kind.ORDER_VELOCITY, count=1, window_hours=1, is_active=False)
    place_order([("SHIRT", 1)])

    # when an order comes in with screening, and one with screening switched off
    screened_run = _intake_queries()
    monkeypatch.setattr(intake_module, "order_screen", lambda **kwargs: Screening())
    unscreened_run = _intake_queries()

    # then both cost the same queries, and none reads screening tables (the channel's statement
    # only carries the rules' version)
    assert len(screened_run) == len(unscreened_run)
    assert not [sql for sql in screened_run if "screening" in sql and "orders_channel" not in sql]


def test_given_the_rules_were_read_when_their_cache_time_passes_then_intake_reads_them_again_only_if_they_changed(shirts, settings):
    # given a rule the process has read, and a cache time long past
    rule(Kind.COUNTRY_MISMATCH)
    place_order([("SHIRT", 1)])
    settings.OMS_SCREENING_CACHE_SECONDS = 0

    # when orders come in while nothing changed
    steady = _intake_queries()

    # then none reads the rules again
    assert not [sql for sql in steady if "orders_screeningrule" in sql and "orders_channel" not in sql]


def test_given_the_rules_were_read_when_another_process_adds_one_then_the_next_order_meets_it(shirts, process_caches_held):
    # given this process read the rules long before their cache time ends
    rule(Kind.COUNTRY_MISMATCH, score=10)
    place_order([("SHIRT", 1)])

    # when another process (no forget here) adds a rule, and then changes a threshold
    rule(Kind.PLATFORM_RISK, risk_level="medium")
    risky = place_order([("SHIRT", 1)], platform_risk="high")
    ScreeningThreshold.objects.create(hold_score=500)
    raised = place_order([("SHIRT", 1)], platform_risk="high")

    # then the very next orders are screened by the new setup
    assert risky.status == OrderStatus.ON_HOLD and "platform_risk" in fired(risky)
    assert raised.status == OrderStatus.ALLOCATED and screened(raised).data["threshold"] == 500


def test_given_a_block_list_rule_when_the_console_blocks_an_address_then_every_process_meets_it_at_the_next_order(shirts, process_caches_held):
    from orders.services import screening

    rule(Kind.BLOCKED_CONTACT)
    place_order([("SHIRT", 1)], email="thief@example.com")
    read_before = screening._setup

    # when the console blocks the address (this process's copy is forgotten; others keep theirs)
    ScreeningBlock.objects.create(kind=ScreeningBlock.Kind.EMAIL, value="thief@example.com")
    screening.screening_blocks_changed()
    screening._setup = read_before  # as a process that did not make the change

    order = place_order([("SHIRT", 1)], email="thief@example.com")

    # then the order is held: the block list's change moved the rules' version
    assert order.status == OrderStatus.ON_HOLD and "on the block list" in fraud_hold(order)


def test_customer_history_is_read_in_one_query_only_while_such_a_rule_is_active(shirts, process_caches_held):
    rule(Kind.COUNTRY_MISMATCH)
    place_order([("SHIRT", 1)])
    without_history = _intake_queries()

    rule(Kind.ORDER_VELOCITY, count=5, window_hours=24)
    rule(Kind.FIRST_ORDER_VALUE, amount=Decimal("1000"))
    rule(Kind.ADDRESS_VELOCITY, count=5, window_hours=48)
    screening_forget()  # as the console does after a save
    place_order([("SHIRT", 1)])
    with_history = _intake_queries()

    assert len(with_history) == len(without_history) + 1
