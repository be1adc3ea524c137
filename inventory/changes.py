"""Who wants to hear that stock changed, told after the change committed, at no query's cost.

Every service that writes ledger rows calls :func:`stock_changed` with the products it touched.
The first call in a transaction registers one ``transaction.on_commit`` callback; later calls in
the same transaction only add product ids to its set. After the commit each listener registered
with :func:`stock_listen` (in an ``AppConfig.ready()``) gets the set once. A rolled-back
transaction tells nobody. A listener that fails is logged and never reaches the caller: a stock
change, an order above all, must not fail because a listener did.

This is a nudge, not a record: the ledger is the record, and a listener that may miss a nudge
(a process killed after commit) must also read the ledger on a schedule.
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

logger = logging.getLogger(__name__)

StockListener = Callable[[frozenset[int]], None]
_listeners: list[StockListener] = []


def stock_listen(callback: StockListener) -> None:
    """Call ``callback(product_ids)`` after every commit that changed stock of those products."""
    if callback not in _listeners:
        _listeners.append(callback)


class _Pending:
    """The products one transaction changed; the on-commit callback itself."""

    def __init__(self):
        self.product_ids: set[int] = set()

    def __call__(self):
        stock_changes_announce(self.product_ids)


def stock_changes_announce(product_ids: Iterable[int]) -> None:
    """Tell every listener now (after a commit)."""
    changed = frozenset(product_ids)
    if not changed:
        return
    for listener in list(_listeners):
        try:
            listener(changed)
        except Exception:  # a listener's failure is its own; the change is committed and stays so
            logger.exception("Stock listener %s failed for %d product(s)", getattr(listener, "__name__", listener), len(changed))


def stock_changed(product_ids: Iterable[int], *, using: str | None = None) -> None:
    """Note that these products' stock changed in the current transaction (no query)."""
    if not _listeners:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:  # autocommit: the change is already committed
        stock_changes_announce(product_ids)
        return
    pending = getattr(connection, "_stock_changes_pending", None)
    # Registered in a savepoint that was rolled back, or in an earlier transaction: register anew.
    if pending is None or not any(entry[1] is pending for entry in connection.run_on_commit):
        pending = _Pending()
        connection._stock_changes_pending = pending
        transaction.on_commit(pending, using=using)
    pending.product_ids.update(product_ids)
