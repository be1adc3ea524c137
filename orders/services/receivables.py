"""What customers on payment terms owe, aged: each customer's open invoices in buckets by how
long they are past due on a given day, per currency (amounts in two currencies never add up)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum

from ..models_invoices import Invoice, InvoiceStatus, invoice_open_balance_expression

# (key, label, fewest days past due, most days past due); None: unbounded.
AGEING_BUCKETS = (
    ("current", "Current (not due)", None, 0),
    ("days_1_30", "1–30 days", 1, 30),
    ("days_31_60", "31–60 days", 31, 60),
    ("days_61_90", "61–90 days", 61, 90),
    ("over_90", "Over 90 days", 91, None),
)
BUCKET_KEYS = tuple(key for key, *_ in AGEING_BUCKETS)


@dataclass
class AgeingRow:
    """One customer's open balance in one currency, by bucket; ``customer_id`` None on a totals row."""

    customer_id: int | None
    customer: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))


@dataclass
class Ageing:
    as_of: date
    rows: list[AgeingRow]
    totals: list[AgeingRow]  # one per currency


def _bucket_filter(as_of: date, fewest: int | None, most: int | None) -> Q:
    """Invoices ``fewest``..``most`` days past due on ``as_of`` (due on ``as_of``: 0 days, current)."""
    condition = Q()
    if most is not None:
        condition &= Q(due_on__gte=as_of - timedelta(days=most))
    if fewest is not None:
        condition &= Q(due_on__lte=as_of - timedelta(days=fewest))
    return condition


def receivables_ageing(*, as_of: date, customer_id: int | None = None) -> Ageing:
    """Open balances of the invoices issued up to ``as_of``, per customer and currency, in the
    buckets of :data:`AGEING_BUCKETS` by days past due on ``as_of``; one query whatever the number
    of customers (a conditional sum per bucket). Balances are as they stand now (payments received
    after ``as_of`` already count), which is what an accountant chasing debts wants to see."""
    balance = invoice_open_balance_expression()
    invoices = Invoice.objects.filter(status=InvoiceStatus.OPEN, issued_on__lte=as_of)
    if customer_id is not None:
        invoices = invoices.filter(customer_id=customer_id)
    sums = {key: Sum(balance, filter=_bucket_filter(as_of, fewest, most), default=Decimal(0)) for key, _, fewest, most in AGEING_BUCKETS}
    grouped = (
        invoices.values("customer_id", "currency", "customer__company_name", "customer__first_name", "customer__last_name", "customer__email")
        .annotate(**sums)
        .order_by("currency", "customer__company_name", "customer__email", "customer_id")
    )
    rows, totals = [], {}
    for values in grouped:
        name = values["customer__company_name"] or " ".join(filter(None, (values["customer__first_name"], values["customer__last_name"])))
        row = AgeingRow(values["customer_id"], name or values["customer__email"], values["currency"], {key: values[key] for key in BUCKET_KEYS})
        rows.append(row)
        total = totals.setdefault(row.currency, AgeingRow(None, "Total", row.currency, dict.fromkeys(BUCKET_KEYS, Decimal(0))))
        for key in BUCKET_KEYS:
            total.buckets[key] += row.buckets[key]
    return Ageing(as_of=as_of, rows=rows, totals=list(totals.values()))
