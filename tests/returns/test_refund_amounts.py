"""Refund arithmetic on plain data: discounts, tax, shipping, fees, partial refunds, currencies."""

from decimal import Decimal as D

from returns.services.refund_amounts import PaidLine, PaidOrder, RefundUnits, line_discounts, refund_compute

BIG = D("1000000")


def order(*lines, currency="USD", discount_total=None, shipping=D(0), shipping_tax=D(0)):
    paid = tuple(PaidLine(i, i, f"SKU-{i}", q, D(price), D(discount), D(tax)) for i, (q, price, discount, tax) in enumerate(lines, start=1))
    discounts = sum((line.discount for line in paid), D(0)) if discount_total is None else D(discount_total)
    subtotal = sum((line.unit_price * line.quantity for line in paid), D(0))
    tax = sum((line.tax for line in paid), D(0)) + shipping_tax
    return PaidOrder(currency, paid, discounts, shipping, tax, subtotal - discounts + tax + shipping)


def refund(paid, items, refunded=None, shipping=False, label=D(0), refundable=BIG):
    return refund_compute(paid, items, refunded_units=refunded or {}, refund_shipping=shipping, label_cost=label, refundable=refundable)


def test_given_a_line_with_its_own_discount_and_tax_when_one_of_three_units_comes_back_then_a_third_of_each_is_refunded():
    paid = order((3, "30.00", "9.00", "8.10"))

    result = refund(paid, [RefundUnits(1, 1)])

    assert result.lines[0].price == D("27.00") and result.lines[0].tax == D("2.70")
    assert result.amount == D("29.70")


def test_given_an_order_discount_the_lines_do_not_carry_when_shares_are_taken_then_they_follow_line_value_and_add_up():
    paid = order((1, "100.00", "0", "0"), (1, "50.00", "0", "0"), (1, "0.01", "0", "0"), discount_total="10.00")

    shares = line_discounts(paid)

    assert shares == {1: D("6.67"), 2: D("3.33"), 3: D("0.00")}
    assert sum(shares.values()) == D("10.00")


def test_given_three_units_of_ten_dollars_when_refunded_one_by_one_then_the_refunds_add_up_to_what_was_paid():
    paid = order((3, "10.00", "0", "0"), discount_total="1.00")  # 29.00 paid for three: 9.666... each
    refunded, amounts = {}, []
    for _ in range(3):
        result = refund(paid, [RefundUnits(1, 1)], refunded=dict(refunded))
        amounts.append(result.amount)
        refunded[1] = refunded.get(1, 0) + 1

    assert amounts == [D("9.67"), D("9.66"), D("9.67")]
    assert sum(amounts) == paid.grand_total


def test_given_a_restocking_fee_of_percent_and_fixed_when_refunded_then_both_are_kept_back_from_the_value_before_tax():
    paid = order((2, "50.00", "0", "10.00"))

    result = refund(paid, [RefundUnits(1, 2, fee_percent=D("15"), fee_fixed=D("2.50"))])

    assert result.lines[0].restocking_fee == D("17.50")  # 15 % of 100.00 + 2.50
    assert result.amount == D("92.50")


def test_given_a_fee_larger_than_the_line_when_refunded_then_the_line_gives_nothing_rather_than_taking():
    paid = order((1, "2.00", "0", "0"))

    assert refund(paid, [RefundUnits(1, 1, fee_fixed=D("5"))]).amount == D(0)


def test_given_a_policy_refunding_shipping_when_everything_comes_back_then_shipping_and_its_tax_are_refunded_in_full():
    paid = order((2, "20.00", "0", "4.00"), shipping=D("5.00"), shipping_tax=D("0.50"))

    partial = refund(paid, [RefundUnits(1, 1)], shipping=True)
    complete = refund(paid, [RefundUnits(1, 1)], refunded={1: 1}, shipping=True)

    assert partial.shipping == D(0)
    assert complete.shipping == D("5.50")
    assert partial.amount + complete.amount == paid.grand_total


def test_given_the_customer_pays_return_shipping_when_refunded_then_the_label_cost_is_deducted():
    paid = order((1, "40.00", "0", "0"))

    assert refund(paid, [RefundUnits(1, 1)], label=D("6.95")).amount == D("33.05")


def test_given_yen_without_decimals_when_a_third_is_refunded_three_times_then_whole_yen_add_up():
    paid = order((3, "1000", "0", "100"), currency="JPY", discount_total="1")  # 3000 - 1 + 100
    refunded, amounts = {}, []
    for _ in range(3):
        result = refund(paid, [RefundUnits(1, 1)], refunded=dict(refunded))
        amounts.append(result.amount)
        refunded[1] = refunded.get(1, 0) + 1

    assert all(amount == amount.to_integral_value() for amount in amounts)
    assert sum(amounts) == paid.grand_total == D("3099")


def test_given_kuwaiti_dinar_with_three_decimals_when_refunded_in_parts_then_fils_add_up():
    paid = order((7, "1.234", "0.100", "0.086"), currency="KWD")
    first = refund(paid, [RefundUnits(1, 3)])
    second = refund(paid, [RefundUnits(1, 4)], refunded={1: 3})

    assert first.amount.as_tuple().exponent == -3
    assert first.amount + second.amount == paid.grand_total == D("8.624")


def test_given_less_left_to_refund_on_the_order_when_computed_then_the_refund_is_capped_there():
    paid = order((1, "40.00", "0", "0"))

    result = refund(paid, [RefundUnits(1, 1)], refundable=D("12.00"))

    assert result.amount == D("12.00") and result.capped_by == D("28.00")


def test_given_units_already_refunded_when_more_are_asked_than_are_left_then_only_those_left_count():
    paid = order((2, "10.00", "0", "0"))

    result = refund(paid, [RefundUnits(1, 5)], refunded={1: 1})

    assert result.lines[0].units == 1 and result.amount == D("10.00")
