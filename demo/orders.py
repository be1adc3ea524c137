"""The demo's orders: channels and the systems behind them, and orders over the last 90 days
recorded through intake and moved on through the lifecycle services (and through fulfillment
orders, :mod:`demo.fulfillment`) to the state their plan asks for.

Everything is generated first, as plain data, from a generator with a fixed seed; only then is
it applied, skipping what the database already has. So the same options always give the same
data, and a second run finds everything in place and adds nothing. Orders are applied in
batches, one transaction each: an interrupted run leaves whole batches, and the next run
completes the rest.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from tqdm import tqdm

from customers.models import Customer
from inventory.models import StockMovement
from inventory.services import stock_receive
from oms import geo
from oms.errors import DomainError
from oms.models import Integration
from orders.models import Channel, HoldReason, Order, OrderHold, OrderStatus, PaymentStatus
from orders.services import (
    AddressData,
    LineData,
    OrderIntakeData,
    order_cancel,
    order_complete,
    order_hold_place,
    order_intake,
    order_payment_update,
)

from . import fulfillment
from .catalogue import ProductSeed
from .clock import real_now, seeding_clock
from .customers import CITIES, CURRENCY, FX, CustomerSeed
from .receivables import ReceivablesPlan, invoices_settle
from .report import DemoReport, money

LATE_RECEIPT_REFERENCE = "DEMO-LATE-RECEIPT"
ORDERS_PER_TRANSACTION = 100

CHANNELS = [
    ("web", "Web shop", Channel.Kind.WEB),
    ("pos", "SoHo store till", Channel.Kind.POS),
    ("marketplace", "Marketplace", Channel.Kind.MARKETPLACE),
    ("phone", "Phone orders", Channel.Kind.PHONE),
    ("b2b", "B2B portal", Channel.Kind.B2B),
    # The WooCommerce outlet takes no demo orders; it shows a second platform's stock sync.
    ("outlet", "Outlet shop (WooCommerce)", Channel.Kind.WEB),
]
# The systems behind the channels: each owns its API keys and webhook subscriptions.
INTEGRATIONS = [
    ("storefront", "Storefront (Shopify)", Integration.Kind.SHOP),
    ("marketplace", "Marketplace connector", Integration.Kind.MARKETPLACE),
    ("erp", "ERP (finance and purchasing)", Integration.Kind.ERP),
]
CHANNEL_LINKS = {
    "web": {"integration": "storefront", "adapter": Channel.Adapter.SHOPIFY},
    "marketplace": {"integration": "marketplace"},
    "outlet": {"adapter": Channel.Adapter.WOOCOMMERCE},
}

# Delivery promised by each channel (calendar days after the order day): the fulfillment orders
# carry it, so the operations dashboard's on-time delivery has something to measure.
CHANNEL_PROMISE_DAYS = {"web": 5, "marketplace": 7, "phone": 5, "b2b": 10}
# Ship-by promises: working days after the order, and the same-day cutoff (local time).
CHANNEL_HANDLING = {"web": (1, time(14, 0)), "marketplace": (2, None), "phone": (1, None), "b2b": (3, None)}


@dataclass
class OrderSeed:
    index: int
    channel: str
    external_id: str
    customer: CustomerSeed
    placed_at: datetime
    scenario: str  # the OrderStatus it should end in, or "hold:<reason>"
    payment_status: str
    lines: list[tuple[str, int, Decimal | None]]
    shipping_address: AddressData
    billing_address: AddressData | None = None
    payment_arrives_later: bool = False  # held for payment at intake, released when it is authorised


HOLD_SCENARIOS = [f"hold:{reason}" for reason in HoldReason.values]
# The open states planned among the most recent orders: (scenario, share of all the orders,
# minimum), the minimum so that even a small demo shows each. The shares are the backlog a live
# shop carries, a few days of its orders: a hold is worked within days, a backorder waits only
# for its goods. (They were once 15 % of all the orders, every one unshipped within the last
# four weeks, so the ledger's shipments, the demand the forecasts read, fell by 40 % there.)
OPEN_STATE_QUOTAS = (
    [(scenario, 0.001, 1) for scenario in HOLD_SCENARIOS]
    + [(OrderStatus.BACKORDERED, 0.003, 3), (OrderStatus.PARTIALLY_SHIPPED, 0.002, 1), (OrderStatus.ALLOCATED, 0.002, 1),
       (OrderStatus.IN_FULFILLMENT, 0.002, 1), (OrderStatus.SHIPPED, 0.001, 1)]
)


def _scenario_for_age(rng: random.Random, days: float) -> str:
    if days < 1:
        return rng.choices([OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT], weights=[6, 4])[0]
    if days < 3:
        return rng.choices([OrderStatus.IN_FULFILLMENT, OrderStatus.SHIPPED], weights=[3, 7])[0]
    if days < 8:
        return rng.choices([OrderStatus.SHIPPED, OrderStatus.DELIVERED], weights=[4, 6])[0]
    if days < 20:
        return rng.choices([OrderStatus.DELIVERED, OrderStatus.COMPLETED], weights=[4, 6])[0]
    return rng.choices([OrderStatus.DELIVERED, OrderStatus.COMPLETED], weights=[3, 97])[0]


def orders_plan(
    rng: random.Random, count: int, customers: list[CustomerSeed], products: list[ProductSeed], scarce: set[str], now: datetime
) -> list[OrderSeed]:
    """Orders over the last 90 days, each with the state it should end in.

    Every hold reason, backorders, partial shipments and every open state get a quota among the
    most recent orders, so even a small demo shows all of them; the rest follow their age.
    """
    sellable = [p for p in products if p.sku not in scarce]
    rng.shuffle(sellable)
    # A long tail: a few SKUs sell a lot, most sell a little.
    weights = [1 / (rank + 4) ** 0.9 for rank in range(len(sellable))]
    people = [c for c in customers if c.kind == Customer.Kind.PERSON]
    accounts = [c for c in customers if c.group in ("wholesale", "trade")]
    probation = [c for c in customers if c.group == "b2b-new"]
    if not accounts or not probation:
        raise ValueError("Ask for at least 20 customers, so there are B2B accounts in every customer group.")
    loyal = [rng.random() ** 3 for _ in people]  # a few people order again and again

    placed = sorted(now - timedelta(days=90 * (1 - rng.random() ** 0.8), minutes=rng.randint(0, 59)) for _ in range(count))

    def quota(fraction: float, minimum: int) -> int:
        return max(minimum, round(count * fraction))

    specials = [scenario for scenario, fraction, minimum in OPEN_STATE_QUOTAS for _ in range(quota(fraction, minimum))]
    if len(specials) + quota(0.04, 2) + 2 > count:
        raise ValueError(f"Ask for at least {len(specials) + quota(0.04, 2) + 2} orders so every state fits.")
    recent = list(range(count - max(len(specials) * 2, count // 6), count))
    scenario_at: dict[int, str] = dict(zip(rng.sample(recent, len(specials)), specials))
    free = [i for i in range(count - 1) if i not in scenario_at]
    for index in rng.sample(free, quota(0.04, 2)):
        scenario_at[index] = OrderStatus.CANCELLED
    free = [i for i in free if i not in scenario_at and (now - placed[i]).days >= 5]
    paid_later = set(rng.sample(free, min(len(free), quota(0.03, 1))))

    scarce_cycle = sorted(scarce)
    backorders = 0
    plans = []
    for index, when in enumerate(placed):
        scenario = scenario_at.get(index) or _scenario_for_age(rng, (now - when).total_seconds() / 86400)
        channel = rng.choices(["web", "marketplace", "pos", "phone", "b2b"], weights=[52, 22, 8, 8, 10])[0]
        if scenario == "hold:credit_limit":
            channel = "b2b"
        elif scenario == "hold:payment" or index in paid_later:
            channel = "web"
        elif channel == "b2b" and scenario.startswith("hold:"):
            channel = "web"
        if channel == "b2b":
            customer = rng.choice(probation if scenario == "hold:credit_limit" else accounts)
        else:
            customer = rng.choices(people, weights=loyal)[0]
        currency = CURRENCY.get(customer.address.country, "EUR")
        fx = FX[currency]

        def line(product: ProductSeed, quantity: int) -> tuple[str, int, Decimal | None]:
            # A business account's ERP sends no prices: its contract price lists price the lines.
            return (product.sku, quantity, None if channel == "b2b" else money(product.price * fx))

        n_lines = rng.choices([1, 2, 3, 4], weights=[50, 30, 14, 6])[0]
        if scenario == OrderStatus.PARTIALLY_SHIPPED:
            n_lines = max(n_lines, 2)
        picks = []
        for product in rng.choices(sellable, weights=weights, k=n_lines):
            if product not in picks:
                picks.append(product)
        if channel == "b2b":
            lines = [line(p, rng.randint(3, 12)) for p in picks]
        else:
            lines = [line(p, rng.choices([1, 2, 3], weights=[80, 15, 5])[0]) for p in picks]
        if scenario == OrderStatus.PARTIALLY_SHIPPED and len(lines) < 2:
            extra = next(p for p in sellable if p.sku != lines[0][0])
            lines.append(line(extra, 1))

        payment = PaymentStatus.PAID if channel in ("web", "marketplace", "pos") else PaymentStatus.AUTHORIZED
        if channel == "b2b":
            payment = PaymentStatus.PENDING  # on terms: invoiced later
        shipping = AddressData(**customer.address.as_dict())
        billing = None
        if scenario == "hold:payment" or index in paid_later:
            payment = PaymentStatus.PENDING
        elif scenario == "hold:address":
            if rng.random() < 0.5 or not geo.country_uses_postal_codes(shipping.country):
                shipping.city = ""
            else:
                shipping.postal_code = "9021" if shipping.country == "US" else "XX-99-XX"
        elif scenario == "hold:credit_limit":
            big = max(sellable, key=lambda p: p.price if p.price < 400 else 0)
            # Worth about 2,500 at list price, well over the 1,500 probation limit after any contract discount.
            lines = [line(big, 1 + int(Decimal("2500") / money(big.price * fx)))]
        elif scenario == "hold:stock":
            lines.append((f"LEGACY-{rng.randint(1000, 9999)}", 1, money(Decimal("19.00") * fx)))
        elif scenario == "hold:quantity_price":
            cheapest = min(sellable, key=lambda p: p.price)
            lines = [line(cheapest, 600)]
        elif scenario == "hold:fraud_risk":
            other = next(c for c in CITIES if c[0] not in (shipping.country, "US"))
            billing = AddressData(country=other[0], name=shipping.name, line1="1 Unknown Road", city=other[1], region=other[2], postal_code=other[3][0])
        elif scenario == OrderStatus.BACKORDERED:
            sku = scarce_cycle[backorders % len(scarce_cycle)]
            backorders += 1
            product = next(p for p in products if p.sku == sku)
            lines = [line(product, rng.randint(1, 3))] + lines[:1]

        prefix = {"web": "W", "marketplace": "MKT-", "pos": "POS-", "phone": "PH-", "b2b": "PO-"}[channel]
        plans.append(
            OrderSeed(
                index=index, channel=channel, external_id=f"{prefix}{100001 + index}", customer=customer, placed_at=when,
                scenario=scenario, payment_status=payment, lines=lines, shipping_address=shipping, billing_address=billing,
                payment_arrives_later=index in paid_later,
            )
        )
    return plans


def channels_seed(report: DemoReport) -> None:
    """The systems behind the channels, and the channels (idempotent, by code)."""
    integrations = {}
    for code, name, kind in INTEGRATIONS:
        integrations[code], created = Integration.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        report.created["integrations"] += created
    for code, name, kind in CHANNELS:
        handling_days, cutoff = CHANNEL_HANDLING.get(code, (None, None))
        defaults = {"name": name, "kind": kind, "delivery_days": CHANNEL_PROMISE_DAYS.get(code), "handling_days": handling_days,
                    "ship_cutoff": cutoff, **CHANNEL_LINKS.get(code, {})}
        if "integration" in defaults:
            defaults["integration"] = integrations[defaults["integration"]]
        if defaults.get("adapter"):
            defaults["webhook_secret"] = secrets.token_urlsafe(32)
        _, created = Channel.objects.get_or_create(code=code, defaults=defaults)
        report.created["channels"] += created


INTAKE_ACTORS = {"web": "api:web-shop", "marketplace": "api:marketplace", "pos": "pos:ny-soho", "b2b": "api:b2b-portal"}


def _intake_data(seed: OrderSeed) -> OrderIntakeData:
    customer = seed.customer
    return OrderIntakeData(
        channel=seed.channel, external_id=seed.external_id, currency=CURRENCY.get(customer.address.country, "EUR"),
        email=customer.email, first_name=customer.first_name, last_name=customer.last_name, phone=customer.phone,
        shipping_address=AddressData(**seed.shipping_address.as_dict()),
        billing_address=AddressData(**seed.billing_address.as_dict()) if seed.billing_address else None,
        lines=[LineData(sku=sku, quantity=quantity, unit_price=price) for sku, quantity, price in seed.lines],
        shipping_price=Decimal("0") if seed.channel in ("pos", "b2b") else money(Decimal("6.95") * FX[CURRENCY.get(customer.address.country, "EUR")]),
        payment_status=seed.payment_status, placed_at=seed.placed_at,
    )


def _advance(seed: OrderSeed, order: Order, users: dict, receivables: ReceivablesPlan) -> bool:
    """Move a freshly recorded order to the state its seed asks for; False when stock or a rule
    put it elsewhere first (it then stays where the services left it). The warehouse's part goes
    through fulfillment orders (:mod:`demo.fulfillment`), as on the floor."""
    service, warehouse = users["service"], users["warehouse"]
    scenario = seed.scenario
    if seed.payment_arrives_later:
        order = order_payment_update(order_id=order.pk, payment_status=PaymentStatus.AUTHORIZED, actor="api:payments")
    if scenario.startswith("hold:"):
        reason = scenario.split(":", 1)[1]
        if reason == HoldReason.FRAUD_RISK:
            order_hold_place(order_id=order.pk, reason=reason, actor="job:fraud-screening",
                             detail="Billing and shipping countries differ on a first order; verify with the card issuer.")
        elif reason == HoldReason.MANUAL:
            order_hold_place(order_id=order.pk, reason=reason, actor=service,
                             detail="Customer called: hold until they confirm the delivery date.")
        # Held since the order came in, as a live system would show it (the hold queue's waiting time).
        OrderHold.objects.filter(order=order, released_at__isnull=True).update(created_at=seed.placed_at)
        return OrderHold.objects.filter(order=order, reason=reason, released_at__isnull=True).exists()
    if scenario == OrderStatus.BACKORDERED:
        return order.status == OrderStatus.BACKORDERED
    if scenario == OrderStatus.CANCELLED:
        note = "payment never arrived" if order.status == OrderStatus.ON_HOLD else "customer changed their mind"
        order_cancel(order_id=order.pk, actor=service, reason=note)
        return True
    if order.status != OrderStatus.ALLOCATED:
        return False
    path = [OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED]
    target = path.index(scenario)
    if target >= 1:
        fulfillment.fulfillment_start(order, warehouse)
    if target == 2:
        fulfillment.ship_first_line(order, warehouse)
    if target >= 3:
        if order.payment_status == PaymentStatus.AUTHORIZED:
            order_payment_update(order_id=order.pk, payment_status=PaymentStatus.PAID, actor="api:payments")
        fulfillment.ship_rest(order, warehouse)
    arrived = fulfillment.deliver(order, "job:carrier-tracking") if target >= 4 else None
    if target >= 5:
        # Closed a day after the last parcel arrived (not later than now). An account on terms
        # need not have paid for that: order_complete asks for no payment, its invoices stay open.
        with seeding_clock(min((arrived or real_now()) + timedelta(days=1), real_now() - timedelta(minutes=5))):
            order_complete(order_id=order.pk, actor="job:order-closing")
    if target >= 2 and seed.payment_status == PaymentStatus.PENDING:
        # B2B on terms: the account pays its invoices when it pays (demo.receivables).
        invoices_settle(receivables, seed, order, actor=users["accounting"])
    return True


def orders_seed(plans: list[OrderSeed], users: dict, report: DemoReport, progress: bool, receivables: ReceivablesPlan | None = None) -> None:
    """The planned orders not recorded yet, through intake, each moved on to its planned state;
    accounts on terms pay their invoices as ``receivables`` plans (on time when it names no one)."""
    receivables = receivables or ReceivablesPlan()
    channels = dict(Channel.objects.values_list("code", "pk"))
    recorded = set(Order.objects.filter(external_id__in=[p.external_id for p in plans]).values_list("channel_id", "external_id"))
    todo = [p for p in plans if (channels[p.channel], p.external_id) not in recorded]
    bar = tqdm(total=len(todo), desc="Placing orders", unit="order", disable=not progress or not todo)
    for start in range(0, len(todo), ORDERS_PER_TRANSACTION):
        # Seeding only: one transaction per batch instead of one per service call; every
        # service still runs, each in its savepoint, and events still dispatch after commit.
        with transaction.atomic():
            for seed in todo[start:start + ORDERS_PER_TRANSACTION]:
                actor = users["service"] if seed.channel == "phone" else INTAKE_ACTORS[seed.channel]
                # The order's own trail is stamped when it happened: taken in when placed, moved
                # on from there (shipping and delivery keep their own days).
                with seeding_clock(seed.placed_at):
                    result = order_intake(data=_intake_data(seed), actor=actor)
                    if result.created:
                        report.created["orders"] += 1
                        try:
                            if not _advance(seed, result.order, users, receivables):
                                report.drifted += 1
                        except DomainError:
                            report.drifted += 1
                bar.update(1)
    bar.close()


def late_receipt_seed(scarce: list[str], report: DemoReport) -> None:
    """Goods arrive for the oldest backorder of one scarce SKU: the receipt's event serves it."""
    if not scarce or StockMovement.objects.filter(reference=LATE_RECEIPT_REFERENCE).exists():
        return
    sku = scarce[0]
    waiting = (
        Order.objects.filter(status=OrderStatus.BACKORDERED, lines__sku=sku).order_by("placed_at", "id").first()
    )
    if waiting is None:
        return
    line = waiting.lines.get(sku=sku)
    stock_receive(sku=sku, location="nj-edison", quantity=line.quantity_open, reference=LATE_RECEIPT_REFERENCE, actor="demo:receiving")
    report.created["receipts"] += 1
