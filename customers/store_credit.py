"""Store credit: a customer's balance per currency and its append-only ledger.

Every change locks the account row (FOR NO KEY UPDATE), writes one ledger entry holding the
balance it leaves, and moves the balance with a conditional update, so two spends at once can
never take the balance below zero (the constraint is the last line of defence).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, NotFound
from oms.events import event_record
from oms.money import MAX_AMOUNT, is_currency, money_text, parse_amount, quantize

from .models import Customer, StoreCreditAccount, StoreCreditEntry

STORE_CREDIT_CHANGED_EVENT = "customer.store_credit_changed"


class InsufficientStoreCredit(DomainError):
    code = "insufficient_store_credit"
    status_code = 409


@dataclass(frozen=True)
class StoreCreditChange:
    entry: StoreCreditEntry
    balance: Decimal
    created: bool  # False: the idempotency key had been used; the earlier entry is answered


def _amount(amount, currency: str) -> Decimal:
    problems = {}
    if not is_currency(currency):
        problems["currency"] = [f"{currency!r} is not an ISO 4217 currency code."]
    try:
        value = parse_amount(amount)
    except ValueError as error:
        problems["amount"] = [str(error)]
        value = None
    if value is not None and value <= 0:
        problems["amount"] = ["Must be above zero."]
    elif value is not None and value >= MAX_AMOUNT:
        problems["amount"] = [f"Must be below {MAX_AMOUNT}."]
    if problems:
        raise InvalidInput("The store credit change is malformed; nothing was recorded.", fields=problems)
    rounded = quantize(value, currency)
    if rounded <= 0:
        raise InvalidInput("The amount rounds to nothing in this currency.", fields={"amount": [f"At least one minor unit of {currency}."]})
    return rounded


def _account_lock(customer_id: int, currency: str, *, create: bool) -> StoreCreditAccount | None:
    """The customer's account in ``currency``, locked; created first when ``create`` (one
    statement, no race on the unique pair)."""
    if create:
        if not Customer.objects.filter(pk=customer_id).exists():
            raise NotFound(f"No customer with id {customer_id}.", code="unknown_customer")
        StoreCreditAccount.objects.bulk_create(
            [StoreCreditAccount(customer_id=customer_id, currency=currency)], ignore_conflicts=True,
        )
    return StoreCreditAccount.objects.select_for_update(no_key=True).filter(customer_id=customer_id, currency=currency).first()


def _existing(idempotency_key: str | None) -> StoreCreditChange | None:
    if not idempotency_key:
        return None
    entry = StoreCreditEntry.objects.select_related("account").filter(idempotency_key=idempotency_key).first()
    return StoreCreditChange(entry=entry, balance=entry.account.balance, created=False) if entry else None


def _post(account: StoreCreditAccount, *, kind: str, amount: Decimal, reference: str, note: str, idempotency_key: str | None,
          actor: Actor) -> StoreCreditChange:
    """Move the locked account's balance by ``amount`` (signed) and write its ledger entry."""
    now = timezone.now()
    moved = StoreCreditAccount.objects.filter(pk=account.pk, balance__gte=-amount if amount < 0 else 0).update(
        balance=F("balance") + amount, updated_at=now,
    )
    if not moved:
        have = money_text(account.balance, account.currency)
        raise InsufficientStoreCredit(
            f"Store credit of {have} does not cover {money_text(-amount, account.currency)}.", fields={"store_credit": [f"At most {have}."]},
        )
    account.balance += amount
    entry = StoreCreditEntry.objects.create(
        account=account, kind=kind, amount=amount, balance_after=account.balance, reference=reference[:64], note=note[:500],
        idempotency_key=idempotency_key or None, created_at=now, **actor_fields(actor),
    )
    event_record(STORE_CREDIT_CHANGED_EVENT, {
        "customer_id": account.customer_id, "currency": account.currency, "kind": kind, "amount": str(amount),
        "balance": str(account.balance), "reference": entry.reference,
    })
    return StoreCreditChange(entry=entry, balance=account.balance, created=True)


def _once(idempotency_key: str | None, write) -> StoreCreditChange:
    """Run ``write`` in its own savepoint; a concurrent twin with the same key answers the first."""
    found = _existing(idempotency_key)
    if found:
        return found
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        found = _existing(idempotency_key)
        if found is None:
            raise
        return found


def store_credit_grant(
    *, customer_id: int, currency: str, amount, reference: str = "", note: str = "", idempotency_key: str | None = None, actor: Actor,
) -> StoreCreditChange:
    """Add ``amount`` to the customer's store credit in ``currency`` (the account is opened on
    first use). With an ``idempotency_key`` used before, nothing changes and the earlier entry is
    answered: a retried refund never credits twice."""
    value = _amount(amount, currency)

    def write():
        account = _account_lock(customer_id, currency, create=True)
        return _post(account, kind=StoreCreditEntry.Kind.CREDIT, amount=value, reference=reference, note=note,
                     idempotency_key=idempotency_key, actor=actor)

    return _once(idempotency_key, write)


def store_credit_spend(
    *, customer_id: int, currency: str, amount, reference: str = "", note: str = "", idempotency_key: str | None = None, actor: Actor,
) -> StoreCreditChange:
    """Take ``amount`` from the customer's store credit in ``currency``; refused
    (:class:`InsufficientStoreCredit`, nothing changed) when the balance does not cover it."""
    value = _amount(amount, currency)

    def write():
        account = _account_lock(customer_id, currency, create=False)
        if account is None:
            raise InsufficientStoreCredit(
                f"The customer has no store credit in {currency}.", fields={"store_credit": [f"No {currency} store credit."]},
            )
        return _post(account, kind=StoreCreditEntry.Kind.SPEND, amount=-value, reference=reference, note=note,
                     idempotency_key=idempotency_key, actor=actor)

    return _once(idempotency_key, write)


def store_credit_mismatches() -> list[tuple[int, Decimal, Decimal]]:
    """Accounts whose balance differs from their ledger's sum: (account id, balance, ledger sum).
    Empty when the books reconcile."""
    from django.db.models import Sum

    sums = dict(StoreCreditEntry.objects.order_by().values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total"))
    return [
        (pk, balance, sums.get(pk) or Decimal(0))
        for pk, balance in StoreCreditAccount.objects.values_list("pk", "balance")
        if balance != (sums.get(pk) or Decimal(0))
    ]
