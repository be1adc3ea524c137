"""Scheduled order jobs (thin wrappers over services; safe to run twice)."""

from celery import shared_task


@shared_task
def backorders_sweep() -> int:
    from .services.allocation import backorders_sweep as sweep

    return sweep()


# --- stock out to channels (services in orders/services/stock_sync.py) --------------------------


@shared_task
def stock_changes_push(product_ids: list[int]) -> int:
    """Queued after a stock change: mark the products dirty and push every pushing channel."""
    from .services.stock_sync import stock_changes_take

    return sum(report.sent for report in stock_changes_take(product_ids=product_ids).values())


@shared_task
def channel_stock_push_task(channel: str) -> int:
    """Push one channel's due listings (a follow-up, or the admin's "push again")."""
    from .services.stock_sync import channel_stock_push

    return channel_stock_push(channel=channel).sent


@shared_task
def stock_ledger_sweep() -> int:
    """Every minute: products changed in the ledger since the last sweep are marked dirty and pushed."""
    from .services.stock_sync import stock_ledger_sweep as sweep

    return sum(report.sent for report in sweep().values())


@shared_task
def channel_stock_resync_task(channel: str, actor: str = "stock resync") -> int:
    """A full resync of one channel (on demand); returns the run's id."""
    from .services.stock_sync import channel_stock_resync

    return channel_stock_resync(channel=channel, actor=actor).pk


@shared_task
def channels_stock_resync() -> int:
    """Nightly: a full resync of every channel that pushes stock; returns the number of runs."""
    from .services.stock_sync import channels_stock_resync_all

    return len(channels_stock_resync_all(actor="nightly stock resync"))
