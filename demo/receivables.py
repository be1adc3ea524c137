"""What the demo's trade accounts owe and when they pay it: most pay on or around the due date,
two named accounts do not, so the receivables ageing, the statements and the credit holds have
something true to show.

- The slow payer (a wholesale account) pays every invoice about three weeks after it fell due:
  its invoices of the last weeks are open and overdue (1-30 days), its older ones were paid late.
- The stopped payer (a trade account, as a rule) paid on time until an order of two or three
  months ago, chosen so its debts fill the 31-60 and 61-90 day buckets as far as the plan allows;
  it paid part of that order's invoice and nothing since.
- Intake holds a new order of a customer with an invoice overdue past the grace
  (``OMS_CREDIT_OVERDUE_GRACE_DAYS``): the stopped payer's next order is planned to wait there, in
  the hold queue; the orders either would have placed after their invoices went overdue are placed
  by other accounts, so nothing else ends elsewhere than planned.

Payments are recorded, by bank transfer, through ``invoice_payment_record`` on the day they
arrived (the seeding clock); a payment day that has not come yet leaves the invoice open. The late
payers are chosen from the order plan alone, by the orders' ages (no random draw): the same options
always name the same accounts.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from orders.models import HoldReason, Invoice, InvoiceStatus, Order, OrderStatus, PaymentStatus
from orders.services import AddressData, invoice_payment_record, order_payment_update

from .clock import real_now, seeding_clock
from .customers import B2B_GROUPS
from .report import SEED

if TYPE_CHECKING:  # demo.orders calls in here while it seeds
    from .orders import OrderSeed

TERMS_DAYS = {code: terms for code, _, _, terms in B2B_GROUPS}
ACCOUNT_GROUPS = ("wholesale", "trade")  # the accounts that order on terms in the plan
SLOW_PAYER_DAYS_LATE = 21
STOPPED_PAYER_PAID_SHARE = Decimal("0.40")  # of the first unpaid invoice, paid ten days after it fell due
SHIPPED_SCENARIOS = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
# A planned hold replaces only an order in a common state, never one of the quotas that show a state.
COMMON_SCENARIOS = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
SHIPPING_DAYS = 2  # an order leaves within a day (demo.fulfillment); its invoice is dated then


@dataclass
class ReceivablesPlan:
    slow_payer: str | None = None  # customer e-mails
    stopped_payer: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # e-mail: company name
    stopped_from: datetime | None = None  # the stopped payer's orders placed since are not paid
    partly_paid_order: str | None = None  # external id of the order whose invoice was paid in part
    held_order: str | None = None  # external id of the stopped payer's order held for overdue invoices


def receivables_plan(plans: list["OrderSeed"], now: datetime) -> ReceivablesPlan:
    """Name the two late payers from the order plan, and move their orders that intake would put
    on credit hold (for invoices overdue past ``OMS_CREDIT_OVERDUE_GRACE_DAYS``) to other accounts,
    except the stopped payer's first, which is planned to be held. Changes ``plans`` in place."""
    plan = ReceivablesPlan()
    on_terms = [p for p in plans if p.channel == "b2b" and p.customer.group in ACCOUNT_GROUPS]
    accounts = sorted({p.customer.email: p.customer for p in on_terms}.values(), key=lambda c: c.email)
    if len(accounts) < 3:
        return plan
    grace = settings.OMS_CREDIT_OVERDUE_GRACE_DAYS

    # The stopped payer: the account, and its order it stopped paying with, whose unpaid invoices
    # fill most of the 31-60 and 61-90 day buckets, with a later order for intake to hold; then a
    # trade account (short terms: older debts), then the oldest first unpaid order.
    def unpaid_since(first: "OrderSeed") -> tuple[list["OrderSeed"], timedelta]:
        terms = TERMS_DAYS[first.customer.group]
        # Intake's cut-off is whole days: an order placed up to terms + grace days after the first
        # unpaid one cannot see it overdue (the stopped payer keeps its orders placed until then).
        until = first.placed_at + timedelta(days=terms + grace - 1)
        return [p for p in shipped if p.customer.email == first.customer.email and first.placed_at <= p.placed_at <= until], until - first.placed_at

    def stop_score(first: "OrderSeed") -> tuple:
        terms = TERMS_DAYS[first.customer.group]
        unpaid, _ = unpaid_since(first)
        buckets = {((now - p.placed_at).days - terms - 1) // 30 for p in unpaid} & {1, 2}  # 31-60, 61-90 days overdue (about)
        held = any(p.customer.email == first.customer.email and p.scenario in COMMON_SCENARIOS
                   and p.placed_at >= first.placed_at + timedelta(days=terms + grace + SHIPPING_DAYS + 1) for p in on_terms)
        return len(buckets), held, first.customer.group == "trade", now - first.placed_at, first.external_id

    shipped = [p for p in on_terms if p.scenario in SHIPPED_SCENARIOS]
    # Its first unpaid invoice was paid in part ten days after it fell due: that day has passed.
    candidates = [p for p in shipped if now - p.placed_at > timedelta(days=TERMS_DAYS[p.customer.group] + SHIPPING_DAYS + 11)]
    if not candidates:
        return plan
    first_unpaid = max(candidates, key=stop_score)
    stopped = first_unpaid.customer.email
    plan.stopped_payer, plan.stopped_from, plan.partly_paid_order = stopped, first_unpaid.placed_at, first_unpaid.external_id
    terms = TERMS_DAYS[first_unpaid.customer.group]
    _, keeps = unpaid_since(first_unpaid)
    safe_until = first_unpaid.placed_at + keeps
    # One placed a shipping time after that surely finds the first unpaid invoice overdue past the grace.
    held_from = first_unpaid.placed_at + timedelta(days=terms + grace + SHIPPING_DAYS + 1)

    # The slow payer: the other account with the most invoices that are overdue now and not yet paid.
    def overdue_now(account) -> int:
        days = TERMS_DAYS[account.group]
        return sum(p.customer.email == account.email and timedelta(days=days + SHIPPING_DAYS + 1) <= now - p.placed_at
                   <= timedelta(days=days + SLOW_PAYER_DAYS_LATE - 1) for p in shipped)

    others = [a for a in accounts if a.email != stopped]
    slow = max(others, key=lambda a: (a.group == "wholesale", overdue_now(a), -others.index(a)))
    plan.slow_payer = slow.email
    plan.names = {account.email: account.company_name for account in accounts if account.email in (stopped, slow.email)}
    # Its open invoices fell due at most SLOW_PAYER_DAYS_LATE days ago: an order of the last
    # (that - grace) days could find one overdue past the grace, so another account places it
    # (a day more: intake counts whole local days).
    slow_safe_from = now - timedelta(days=SLOW_PAYER_DAYS_LATE - grace + 1)

    takers = [a for a in accounts if a.email not in (stopped, slow.email)]
    moved = 0
    for seed in sorted(on_terms, key=lambda p: p.placed_at):
        email = seed.customer.email
        if email == stopped and seed.placed_at > safe_until:
            if plan.held_order is None and seed.placed_at >= held_from and seed.scenario in COMMON_SCENARIOS:
                seed.scenario = f"hold:{HoldReason.CREDIT_LIMIT}"
                plan.held_order = seed.external_id
                continue
        elif not (email == slow.email and seed.placed_at > slow_safe_from):
            continue
        taker = takers[moved % len(takers)]
        moved += 1
        seed.customer, seed.shipping_address = taker, AddressData(**taker.address.as_dict())
    return plan


def _pay_day(plan: ReceivablesPlan, seed: "OrderSeed", invoice: Invoice) -> tuple[date, Decimal] | None:
    """When the account pays this invoice, and how much; None: it does not pay it."""
    email = seed.customer.email
    if email == plan.stopped_payer and seed.placed_at >= plan.stopped_from:
        if seed.external_id != plan.partly_paid_order:
            return None
        part = (invoice.balance * STOPPED_PAYER_PAID_SHARE).quantize(Decimal("1"), rounding=ROUND_DOWN)
        return (invoice.due_on + timedelta(days=10), part) if part > 0 else None
    if email == plan.slow_payer:
        return invoice.due_on + timedelta(days=SLOW_PAYER_DAYS_LATE), invoice.balance
    # On or around the due date: a few days early, on the day, or a day or three late (within the grace).
    days = random.Random(f"{SEED}:{invoice.number}").choice([-5, -3, -2, -1, 0, 0, 0, 0, 1, 2, 3])
    return max(invoice.issued_on, invoice.due_on + timedelta(days=days)), invoice.balance


def invoices_settle(plan: ReceivablesPlan, seed: "OrderSeed", order: Order, *, actor) -> None:
    """Record what the account paid on the order's open invoices up to today, each payment on the
    day it arrived; when they are all paid, the order is paid."""
    today, last = timezone.localdate(real_now()), None
    for invoice in Invoice.objects.filter(order=order, status=InvoiceStatus.OPEN).order_by("id"):
        payment = _pay_day(plan, seed, invoice) if invoice.balance > 0 else None
        if payment is None or payment[0] >= today:
            continue  # not paid (yet): open, current or overdue
        day, amount = payment
        with seeding_clock(timezone.make_aware(datetime.combine(day, time(11, 0)))):
            invoice_payment_record(number=invoice.number, amount=amount, received_on=day, reference=f"BACS {invoice.number}", actor=actor)
        last = max(last or day, day)
    order.refresh_from_db()
    invoices = Invoice.objects.filter(order=order)
    if (last is not None and order.status in SHIPPED_SCENARIOS and order.payment_status == PaymentStatus.PENDING
            and not invoices.exclude(status=InvoiceStatus.PAID).exists()):
        with seeding_clock(timezone.make_aware(datetime.combine(last, time(11, 5)))):
            order_payment_update(order_id=order.pk, payment_status=PaymentStatus.PAID, actor="accounting:invoices")


def late_payers_text(plan: ReceivablesPlan) -> list[str]:
    """The late payers as the command names them (company and e-mail, and how they pay)."""
    lines = []
    if plan.slow_payer:
        lines.append(f"{plan.names[plan.slow_payer]} <{plan.slow_payer}> pays about {SLOW_PAYER_DAYS_LATE} days after the due date")
    if plan.stopped_payer:
        held = f"; its order {plan.held_order} waits on credit hold" if plan.held_order else ""
        lines.append(f"{plan.names[plan.stopped_payer]} <{plan.stopped_payer}> stopped paying with order {plan.partly_paid_order} "
                     f"(its invoice paid in part){held}")
    return lines
