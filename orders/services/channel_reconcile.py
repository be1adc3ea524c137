"""Catching up orders whose webhook never arrived: list the platform's recently changed orders
and put each through the webhook path (``channel_webhook_apply``), as if its webhook had come.

Why the webhook path: the mapping, the intake rules, cancellation, payment and refund handling
are the ones a webhook applies, and so is the idempotency. Each listed order carries a delivery
id of its own, ``catch-up:<order id>:<platform's last change>``, so a second run over the same
window is a repeat that changes nothing, while a real webhook (another id) arriving before,
during or after meets intake's ``(channel, external_id)`` rule and never records a second order.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, NotFound

from ..adapters import ADAPTERS
from ..adapters.mapping import external_id_of, text
from ..adapters.webhooks import UPSERT, WebhookResult, channel_webhook_apply
from ..models import ChannelConnection, ChannelReconciliation
from ..platforms import PlatformError, PlatformNotConfigured, ShopifyClient, client_for

logger = logging.getLogger(__name__)

TOPIC = "catch-up"
# What each platform calls the time of an order's last change in its order JSON.
CHANGED_AT_FIELD = {"shopify": "updated_at", "woocommerce": "date_modified_gmt"}
MOST_LINES = 1000  # a report keeps this many order lines; the counters go on counting
Outcome = ChannelReconciliation.Outcome


class ReconciliationRunning(DomainError):
    code = "reconciliation_running"
    status_code = 409


@dataclass
class _Tally:
    """What a run found so far; written onto the run record when the run ends, however it ends."""

    listed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Outcome.values, 0))
    lines: list[dict] = field(default_factory=list)

    def add(self, outcome: str, *, external_id: str, name: str = "", order: str = "", detail: str = "") -> None:
        self.counts[outcome] += 1
        if outcome != Outcome.PRESENT and len(self.lines) < MOST_LINES:
            self.lines.append({"external_id": external_id, "name": name, "outcome": outcome, "order": order, "detail": detail[:300]})


def reconciliation_window_start(*, channel_id: int, now: datetime) -> datetime:
    """Where the next run of the channel starts: the last good run's end less the overlap, or
    the lookback on a first run (and after failures only, which never move the window)."""
    last_end = (
        ChannelReconciliation.objects.filter(channel_id=channel_id, status=ChannelReconciliation.Status.OK)
        .order_by("-window_to").values_list("window_to", flat=True).first()
    )
    if last_end is None:
        return now - timedelta(hours=settings.OMS_CATCH_UP_LOOKBACK_HOURS)
    return last_end - timedelta(minutes=settings.OMS_CATCH_UP_OVERLAP_MINUTES)


def _run_start(*, connection: ChannelConnection, since: datetime | None, actor: Actor) -> ChannelReconciliation:
    """Record the run as running: the one-running-per-channel constraint is the lock."""
    now = timezone.now()
    # Whole seconds: what the platforms' filters take; rounding down only lists a little more.
    window_from = (since or reconciliation_window_start(channel_id=connection.channel_id, now=now)).replace(microsecond=0)
    abandoned_before = now - timedelta(minutes=settings.OMS_CATCH_UP_ABANDONED_MINUTES)
    with transaction.atomic():
        ChannelReconciliation.objects.filter(
            channel_id=connection.channel_id, status=ChannelReconciliation.Status.RUNNING, started_at__lt=abandoned_before,
        ).update(status=ChannelReconciliation.Status.FAILED, finished_at=now, error="Abandoned: the worker stopped before the run finished.")
        try:
            with transaction.atomic():
                return ChannelReconciliation.objects.create(
                    channel_id=connection.channel_id, started_by=actor_fields(actor)["actor_label"], started_at=now,
                    window_from=window_from, window_to=now,
                )
        except IntegrityError:
            raise ReconciliationRunning(
                f"A catch-up of channel {connection.channel.code} is running already; its report will show what it found.",
            ) from None


def _delivery_id(external_id: str, payload: dict, changed_at: str) -> str:
    # Without the platform's change time, the order's content stands for it.
    stamp = changed_at or "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"{TOPIC}:{external_id}:{stamp}"


def _outcome(result: WebhookResult) -> str:
    if result.created:
        return Outcome.INGESTED
    if result.duplicate or result.outcome == "no change":
        return Outcome.PRESENT
    return Outcome.UPDATED


def _order_apply(*, connection: ChannelConnection, payload, tally: _Tally, actor: Actor) -> None:
    """One listed order through the webhook path; its failure is its own, the run goes on."""
    channel = connection.channel
    adapter = ADAPTERS[channel.adapter]
    name = text(payload.get("name") or payload.get("number")) if isinstance(payload, dict) else ""
    try:
        external_id = external_id_of(payload)
    except DomainError as error:
        tally.add(Outcome.FAILED, external_id="?", name=name, detail=error.message)
        return
    try:
        result = channel_webhook_apply(
            channel=channel, webhook_id=_delivery_id(external_id, payload, text(payload.get(CHANGED_AT_FIELD[channel.adapter]))),
            topic=TOPIC, action=UPSERT, external_id=external_id, platform_order=adapter.parse(payload), actor=actor,
        )
    except DomainError as error:
        tally.add(Outcome.FAILED, external_id=external_id, name=name, detail=error.message)
        return
    except Exception as error:  # a defect must not cost the other orders their catch-up
        logger.exception("Catch-up of channel %s: order %s failed", channel.code, external_id)
        tally.add(Outcome.FAILED, external_id=external_id, name=name, detail=f"Unexpected error ({type(error).__name__}); see the log.")
        return
    outcome = _outcome(result)
    tally.add(outcome, external_id=external_id, name=name, order=result.order.number if result.order else "", detail=result.outcome)


def _platform_orders(client, since: datetime):
    if isinstance(client, ShopifyClient):
        return client.orders_updated_since(since)
    return client.orders_modified_since(since)


def channel_reconcile_start(*, channel_id: int, actor: Actor, since: datetime | None = None) -> ChannelReconciliation:
    """Record a catch-up of the channel as running, its window fixed (``since``, aware, replaces
    the computed start), for :func:`channel_reconcile_execute` to carry out, here or in a job.

    Raises ``NotFound`` when the channel has no platform connection, ``InvalidInput`` for a
    ``since`` in the future and ``ReconciliationRunning`` while another run of the channel is going.
    """
    connection = ChannelConnection.objects.select_related("channel").filter(channel_id=channel_id).first()
    if connection is None or not connection.channel.adapter:
        raise NotFound("This channel has no platform connection: choose Shopify or WooCommerce and fill in the connection settings first.")
    if since is not None and since > timezone.now():
        raise InvalidInput(f"The start {since.isoformat()} is in the future; give a past time.", fields={"since": ["Must be in the past."]})
    return _run_start(connection=connection, since=since, actor=actor)


def channel_reconcile_execute(*, run_id: int, **client_options) -> ChannelReconciliation:
    """Carry out a started run: list the channel's orders changed on the platform in the run's
    window and take in, through the webhook path, each the OMS lacks or holds out of date.

    Guarantees: each order commits on its own, so a platform failure part-way (auth, rate
    limit, 5xx after retries) keeps what was done, fails the run with the platform's message and
    leaves the window where the last good run ended; no order is ever recorded twice (see the
    module docstring); a run that has ended already is returned as it is (safe to run twice).
    """
    run = ChannelReconciliation.objects.select_related("channel").get(pk=run_id)
    if run.status != ChannelReconciliation.Status.RUNNING:
        return run
    connection = ChannelConnection.objects.select_related("channel").filter(channel_id=run.channel_id).first()
    tally = _Tally()
    order_actor = f"{run.channel.adapter}:{run.channel.code} catch-up"
    status, error_message = ChannelReconciliation.Status.OK, ""
    try:
        if connection is None or not connection.channel.adapter:
            raise PlatformNotConfigured(f"Channel {run.channel.code}: its platform connection was removed after the run started.")
        client = client_for(connection, **client_options)
        for payload in _platform_orders(client, run.window_from):
            tally.listed += 1
            _order_apply(connection=connection, payload=payload, tally=tally, actor=order_actor)
    except PlatformError as error:
        status, error_message = ChannelReconciliation.Status.FAILED, error.message
    except Exception as error:
        status, error_message = ChannelReconciliation.Status.FAILED, f"Unexpected error ({type(error).__name__}); see the log."
        raise
    finally:
        _run_finish(run, tally, status=status, error=error_message)
    logger.info("Catch-up of channel %s by %s: %s", run.channel.code, run.started_by, run.summary)
    return run


def channel_reconcile(*, channel_id: int, actor: Actor, since: datetime | None = None, **client_options) -> ChannelReconciliation:
    """Start a catch-up of the channel and carry it out here (see the two functions it joins)."""
    run = channel_reconcile_start(channel_id=channel_id, actor=actor, since=since)
    return channel_reconcile_execute(run_id=run.pk, **client_options)


def _run_finish(run: ChannelReconciliation, tally: _Tally, *, status: str, error: str) -> None:
    run.status, run.error, run.finished_at = status, error[:500], timezone.now()
    run.listed, run.lines = tally.listed, tally.lines
    run.already_present, run.ingested = tally.counts[Outcome.PRESENT], tally.counts[Outcome.INGESTED]
    run.updated, run.failed = tally.counts[Outcome.UPDATED], tally.counts[Outcome.FAILED]
    with transaction.atomic():
        run.save()


def catch_up_channel_ids() -> list[int]:
    """Channels whose connection has "catch up missed orders" on (active, with a platform)."""
    return list(
        ChannelConnection.objects.filter(catch_up_missed_orders=True, channel__is_active=True)
        .exclude(channel__adapter="").order_by("channel_id").values_list("channel_id", flat=True)
    )
