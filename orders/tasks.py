"""Scheduled order jobs (thin wrappers over services; safe to run twice)."""

from celery import shared_task


@shared_task
def backorders_sweep() -> int:
    from .services.allocation import backorders_sweep as sweep

    return sweep()


@shared_task
def orders_replan(channel_ids: list[int] | None = None, trigger: str = "") -> int:
    """Beat (every channel with re-planning on), or queued for ``channel_ids`` when their window
    filled (``trigger`` says so); returns how many orders moved."""
    from .services.replanning import replan_open_orders

    actor = f"job:replan ({trigger})" if trigger else "job:replan"
    return len(replan_open_orders(channel_ids=channel_ids, actor=actor).moved)


@shared_task
def channel_fulfillment_send(sync_id: int) -> str:
    """Pass one shipment, delivery or cancellation on to its channel (a sent one is not sent again)."""
    from .services.channel_fulfillment import channel_fulfillment_send as send

    sync = send(sync_id=sync_id, actor="channel-sync")
    return sync.status if sync is not None else "skipped"


@shared_task
def channel_fulfillments_sweep() -> int:
    from .services.channel_fulfillment import channel_fulfillments_sweep as sweep

    return sweep()


@shared_task
def channel_reconcile_run(channel_id: int, actor: str = "job:catch-up") -> str:
    """One channel's catch-up of missed orders; skipped while another run of the channel is going."""
    from oms.errors import NotFound

    from .services.channel_reconcile import ReconciliationRunning, channel_reconcile

    try:
        run = channel_reconcile(channel_id=channel_id, actor=actor)
    except (ReconciliationRunning, NotFound) as error:
        return f"skipped: {error.message}"
    return run.summary


@shared_task
def channels_reconcile_due() -> int:
    """Beat: a catch-up run for every channel whose connection has "catch up missed orders" on."""
    from .services.channel_reconcile import catch_up_channel_ids

    channel_ids = catch_up_channel_ids()
    for channel_id in channel_ids:
        channel_reconcile_run.delay(channel_id)
    return len(channel_ids)


@shared_task
def channel_reconcile_continue(run_id: int) -> str:
    """Carry out a catch-up run started in the console or the API; a run that ended is left as it is."""
    from .services.channel_reconcile import channel_reconcile_execute

    return channel_reconcile_execute(run_id=run_id).summary


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
