"""Screening at intake: configurable rules score a new order; at the threshold it is held for fraud risk.

Intake is the hot path, so screening costs it nothing in the steady state when no rule asks for
history: the active rules, thresholds and block list are kept in the process, tagged with a
version (how many rules and thresholds there are and when the latest was saved). Intake reads
that version in the statement it already makes for the channel (:func:`screening_version_sql`)
and the rules are read again only when it differs, so a change in the admin applies to the next
order in every process. The block list has no version of its own: a change to it touches the
block-list rules (:func:`screening_blocks_changed`). Other callers fall back to reading again
at most every ``OMS_SCREENING_CACHE_SECONDS``. Rules about a customer's history cost one query
together, and quantity spikes one more, only while a rule of that kind is active for the
order's channel.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from oms.money import quantize

from ..models import Order, OrderLine, ScreeningBlock, ScreeningRule, ScreeningThreshold

Kind = ScreeningRule.Kind
RISK_RANK = {"low": 1, "medium": 2, "high": 3}
HISTORY_KINDS = {Kind.FIRST_ORDER_VALUE, Kind.ORDER_VELOCITY, Kind.ADDRESS_VELOCITY}
# A SKU's usual quantity is judged only on this many earlier lines at least: a new SKU never "spikes".
SPIKE_MIN_LINES = 5


@dataclass(frozen=True)
class RuleData:
    """A rule as screening needs it (plain data, safe to keep in the process)."""

    id: int
    name: str
    kind: str
    channel_id: int | None
    score: int
    risk_level: str
    amount: Decimal | None
    count: int | None
    window_hours: int | None
    factor: Decimal | None


@dataclass
class _Setup:
    rules: tuple[RuleData, ...] = ()
    thresholds: dict[int | None, int] = field(default_factory=dict)
    blocked: frozenset[tuple[str, str]] = frozenset()
    loaded_at: float | None = None
    version: str | None = None  # None: read without a version (only its age says when to read again)


_setup = _Setup()


def screening_version_sql() -> str:
    """Four columns giving the screening setup's version, to embed in a statement intake already
    runs: how many rules and thresholds there are and the latest save of each (an edit, an
    addition or a removal changes one of them; tables of a few rows, so cheap to ask per order)."""
    rules, thresholds = ScreeningRule._meta.db_table, ScreeningThreshold._meta.db_table
    return (
        f"(SELECT COUNT(*) FROM {rules}), (SELECT MAX(updated_at) FROM {rules}), "
        f"(SELECT COUNT(*) FROM {thresholds}), (SELECT MAX(updated_at) FROM {thresholds})"
    )


def screening_version_of(*columns) -> str:
    return ":".join(str(column) for column in columns)


def screening_setup(*, version: str | None = None) -> _Setup:
    """The active rules, thresholds and block list as this process last read them.

    With ``version`` (from :func:`screening_version_sql`) they are read again only when it
    differs from the one they were read at; without, when older than ``OMS_SCREENING_CACHE_SECONDS``."""
    global _setup
    now = time.monotonic()
    if version is not None:
        if _setup.loaded_at is not None and _setup.version == version:
            return _setup
    elif _setup.loaded_at is not None and now - _setup.loaded_at < settings.OMS_SCREENING_CACHE_SECONDS:
        return _setup
    rules = tuple(
        RuleData(r.pk, r.name, r.kind, r.channel_id, r.score, r.risk_level, r.amount, r.count, r.window_hours, r.factor)
        for r in ScreeningRule.objects.filter(is_active=True).order_by("pk")
    )
    thresholds, blocked = {}, frozenset()
    if rules:  # with no rule nothing else matters: one query
        thresholds = dict(ScreeningThreshold.objects.values_list("channel_id", "hold_score"))
        if any(r.kind == Kind.BLOCKED_CONTACT for r in rules):
            blocked = frozenset(ScreeningBlock.objects.values_list("kind", "value"))
    _setup = _Setup(rules, thresholds, blocked, now, version)
    return _setup


def screening_blocks_changed() -> None:
    """The block list changed: the block-list rules' save time moves on, so the screening
    version every process compares (:func:`screening_version_sql`) changes with it."""
    ScreeningRule.objects.filter(kind=Kind.BLOCKED_CONTACT).update(updated_at=timezone.now())
    screening_forget()


def screening_forget() -> None:
    """Drop this process's rules now and after commit (a rule, threshold or block changed).
    Intake in other processes sees the change by its version at their next order; other
    callers within ``OMS_SCREENING_CACHE_SECONDS``."""

    def forget():
        global _setup
        _setup = _Setup()

    forget()
    transaction.on_commit(forget)


@dataclass
class Screening:
    """What screening decided about one order: the rules that fired (name, kind, score, why)."""

    score: int = 0
    threshold: int = 0
    hits: list[dict] = field(default_factory=list)
    screened: bool = False  # some rule applied to the order's channel

    @property
    def held(self) -> bool:
        return bool(self.hits) and self.score >= self.threshold

    def summary(self) -> str:
        why = "; ".join(f"{hit['rule']} (+{hit['score']}): {hit['why']}" for hit in self.hits) or "no rule fired"
        return f"Risk score {self.score} of {self.threshold}: {why}"

    def as_data(self) -> dict:
        return {"score": self.score, "threshold": self.threshold, "held": self.held, "hits": self.hits}


def platform_risk_level(value) -> str:
    """A platform's verdict as low, medium or high ('' when it sent none we understand)."""
    value = str(value or "").strip().lower()
    return value if value in RISK_RANK else ""


def order_screen(*, order: Order, lines: list[OrderLine], contacts: set[str], billing_country: str, version: str | None = None) -> Screening:
    """Score a new, unsaved ``order`` (and its ``lines``) against the active rules of its channel.

    ``contacts`` are the order's e-mail and phone numbers as given; ``billing_country`` is ''
    when there is no billing address; ``version`` is the setup's (see :func:`screening_setup`).
    Reads nothing when no rule applies and the rules have not changed.
    """
    setup = screening_setup(version=version)
    rules = [r for r in setup.rules if r.channel_id in (None, order.channel_id)]
    result = Screening()
    if not rules:
        return result
    result.screened = True
    result.threshold = setup.thresholds.get(order.channel_id) or setup.thresholds.get(None) or settings.OMS_SCREENING_HOLD_SCORE
    history = _customer_history(order, rules) if any(r.kind in HISTORY_KINDS for r in rules) else {}
    usual = _usual_quantities(order, lines, rules) if any(r.kind == Kind.QUANTITY_SPIKE for r in rules) else {}
    for rule in rules:
        why = _why(rule, order, lines, contacts, billing_country, setup.blocked, history, usual)
        if why:
            result.hits.append({"rule": rule.name, "rule_id": rule.id, "kind": rule.kind, "score": rule.score, "why": why})
            result.score += rule.score
    return result


def _why(rule: RuleData, order, lines, contacts, billing_country, blocked, history, usual) -> str:
    """Why ``rule`` fires on the order, or '' when it does not."""
    if rule.kind == Kind.PLATFORM_RISK:
        if order.platform_risk and RISK_RANK[order.platform_risk] >= RISK_RANK.get(rule.risk_level, 3):
            return f"the platform rated the order {order.platform_risk} risk"
    elif rule.kind == Kind.COUNTRY_MISMATCH:
        if billing_country and billing_country != order.ship_country:
            return f"billed in {billing_country}, shipped to {order.ship_country}"
    elif rule.kind == Kind.FIRST_ORDER_VALUE:
        if history.get("earlier") == 0 and rule.amount is not None and order.grand_total > rule.amount:
            return f"first order of the customer, {order.grand_total} {order.currency} above {quantize(rule.amount, order.currency)}"
    elif rule.kind == Kind.ORDER_VELOCITY:
        orders = history.get(f"orders_{rule.window_hours}", 0) + 1
        if rule.count and orders > rule.count:
            return f"{orders} orders from the customer within {rule.window_hours} h (more than {rule.count})"
    elif rule.kind == Kind.ADDRESS_VELOCITY:
        addresses = history.get(f"addresses_{rule.window_hours}", 0) + (0 if history.get(f"same_{rule.window_hours}") else 1)
        if rule.count and addresses > rule.count:
            return f"{addresses} shipping addresses from the customer within {rule.window_hours} h (more than {rule.count})"
    elif rule.kind == Kind.BLOCKED_CONTACT:
        found = sorted(c for c in contacts if (ScreeningBlock.Kind.EMAIL, c.lower()) in blocked or (ScreeningBlock.Kind.PHONE, c) in blocked)
        if found:
            return f"on the block list: {', '.join(found)}"
    elif rule.kind == Kind.QUANTITY_SPIKE and rule.factor:
        spikes = []
        for line in lines:
            total, count = usual.get((line.product_id, rule.window_hours), (0, 0))
            if count >= SPIKE_MIN_LINES and line.quantity > rule.factor * Decimal(total) / count:
                spikes.append(f"{line.sku} × {line.quantity} (usually {Decimal(total) / count:.1f})")
        if spikes:
            return f"quantity above {rule.factor}× the usual: {', '.join(spikes)}"
    return ""


def _customer_history(order: Order, rules: list[RuleData]) -> dict:
    """The customer's earlier orders and shipping addresses per window the rules name (one query)."""
    if order.customer_id is None:
        return {"earlier": 0}
    now = timezone.now()
    aggregates = {"earlier": Count("id")}
    for rule in rules:
        if rule.kind in (Kind.ORDER_VELOCITY, Kind.ADDRESS_VELOCITY) and rule.window_hours:
            recent = Q(created_at__gte=now - timedelta(hours=rule.window_hours))
            aggregates[f"orders_{rule.window_hours}"] = Count("id", filter=recent)
            aggregates[f"addresses_{rule.window_hours}"] = Count("shipping_address", filter=recent, distinct=True)
            aggregates[f"same_{rule.window_hours}"] = Count("id", filter=recent & Q(shipping_address=order.shipping_address))
    return Order.objects.filter(customer_id=order.customer_id).aggregate(**aggregates)


def _usual_quantities(order: Order, lines: list[OrderLine], rules: list[RuleData]) -> dict:
    """(quantity total, line count) per (product, window) of the order's SKUs' earlier lines (one query)."""
    product_ids = {line.product_id for line in lines if line.product_id}
    windows = {r.window_hours for r in rules if r.kind == Kind.QUANTITY_SPIKE and r.window_hours}
    if not product_ids or not windows:
        return {}
    now = timezone.now()
    aggregates = {}
    for hours in windows:
        recent = Q(order__created_at__gte=now - timedelta(hours=hours))
        aggregates[f"total_{hours}"], aggregates[f"count_{hours}"] = Sum("quantity", filter=recent), Count("id", filter=recent)
    since = now - timedelta(hours=max(windows))
    rows = OrderLine.objects.filter(product_id__in=product_ids, order__created_at__gte=since).values("product_id").annotate(**aggregates)
    return {(row["product_id"], hours): (row[f"total_{hours}"] or 0, row[f"count_{hours}"]) for row in rows for hours in windows}
