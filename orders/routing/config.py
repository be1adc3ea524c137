"""Routing strategies and location loads as the engine needs them, read rarely.

Order intake is the hot path, so neither costs it a query in the steady state:

- Strategies are kept in the process, tagged with a version: how many strategies there are and
  when the latest was saved. Intake reads that version in the statement it already makes for
  the channel, and the strategies are read again only when it differs. With no strategy at all
  nothing is read (the built-in default applies). Other callers ask for the version with one
  small query (:func:`routing_strategies_version`).
- The orders each capped location took today (for ``daily_order_capacity``) are counted once
  every :data:`LOAD_SECONDS` per process, and only while some location has a capacity; between
  counts the process adds the orders it routes itself.
"""

import time
from dataclasses import replace
from datetime import datetime
from datetime import time as clock

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from .engine import DEFAULT_RULES, NOWHERE, RoutingRules, Weights

LOAD_SECONDS = 30.0
NO_STRATEGIES = "0:None:None"


class _Memo:
    channel_codes: dict[int, str] = {}
    channel_codes_at = 0.0
    rules: dict[int | None, RoutingRules] = {}
    version: str = "0:None:None"
    loads: dict[int, int] | None = None
    loads_day = None
    loads_at = 0.0


_memo = _Memo()


def strategies_version_sql() -> str:
    """Three columns giving the strategies' version, to embed in a statement intake already runs:
    how many there are, the latest save, and the allowed-location links (their ids' sum changes
    with any link added or removed)."""
    from ..models import RoutingStrategy

    table, links = RoutingStrategy._meta.db_table, RoutingStrategy.allowed_locations.through._meta.db_table
    return f"(SELECT COUNT(*) FROM {table}), (SELECT MAX(updated_at) FROM {table}), (SELECT SUM(id) FROM {links})"


def version_of(count, latest, links) -> str:
    return f"{count}:{latest}:{links}"


def routing_strategies_version() -> str:
    """The strategies' version, for callers outside intake (one small query)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {strategies_version_sql()}")
        return version_of(*cursor.fetchone())


def routing_rules_for(channel_id: int | None, *, version: str | None = None) -> RoutingRules:
    """The strategy for a channel: its own, else the default one, else the built-in default.

    ``version`` (from :func:`strategies_version_sql`) saves the query that reads it.
    """
    if version is None:
        version = routing_strategies_version()
    if version != _memo.version:
        _memo.rules = {} if version.startswith("0:") else _read()
        _memo.version = version
    rules = _memo.rules
    return rules.get(channel_id) or rules.get(None) or DEFAULT_RULES


def routing_memo_clear() -> None:
    """Forget what this process remembers (tests start from a clean slate)."""
    _memo.rules, _memo.version = {}, NO_STRATEGIES
    _memo.channel_codes, _memo.channel_codes_at = {}, 0.0
    _memo.loads = _memo.loads_day = None
    _memo.loads_at = 0.0


def routing_rules_from(strategy) -> RoutingRules:
    """A :class:`~orders.models.RoutingStrategy` as plain rules (its allowed locations read)."""
    return _rules(strategy, frozenset(strategy.allowed_locations.values_list("pk", flat=True)) if strategy.pk else frozenset())


def _rules(strategy, allowed: frozenset[int]) -> RoutingRules:
    return RoutingRules(
        name=strategy.name,
        weights=Weights(
            cost=strategy.cost_weight, distance=strategy.distance_weight, split=strategy.split_weight,
            priority=strategy.priority_weight, store=strategy.store_weight, capacity=strategy.capacity_weight,
        ),
        allowed_locations=allowed,
        may_split=strategy.may_split,
        on_shortage=strategy.on_shortage,
        strategy_id=strategy.pk,
    )


def _read() -> dict[int | None, RoutingRules]:
    from ..models import RoutingStrategy

    strategies = list(RoutingStrategy.objects.all())
    if not strategies:
        return {}
    through = RoutingStrategy.allowed_locations.through
    allowed: dict[int, set[int]] = {}
    for strategy_id, location_id in through.objects.values_list("routingstrategy_id", "location_id"):
        allowed.setdefault(strategy_id, set()).add(location_id)
    return {s.channel_id: _rules(s, frozenset(allowed.get(s.pk, ()))) for s in strategies}


def location_loads() -> dict[int, int]:
    """Orders routed today to each location that has a daily capacity (briefly cached)."""
    from ..models import Allocation

    now, today = time.monotonic(), timezone.localdate()
    if _memo.loads is None or _memo.loads_day != today or now - _memo.loads_at > LOAD_SECONDS:
        since = timezone.make_aware(datetime.combine(today, clock.min))
        rows = (
            Allocation.objects.filter(created_at__gte=since, location__daily_order_capacity__isnull=False)
            .values_list("location_id")
            .annotate(orders=Count("line__order_id", distinct=True))
        )
        _memo.loads, _memo.loads_day, _memo.loads_at = dict(rows), today, now
    return _memo.loads


def location_loads_add(location_ids) -> None:
    """Count one more order at these capped locations until the next count from the database."""
    if _memo.loads is not None:
        for location_id in location_ids:
            _memo.loads[location_id] = _memo.loads.get(location_id, 0) + 1


def rules_within(rules: RoutingRules, location_ids: frozenset[int] | None) -> RoutingRules:
    """``rules`` allowed only the locations a channel's stock rule names (None: no limit): the
    strategy's own allowed locations that the rule names too, or the rule's when the strategy
    names none."""
    if location_ids is None:
        return rules
    allowed = rules.allowed_locations & location_ids if rules.allowed_locations else location_ids
    return replace(rules, allowed_locations=allowed or NOWHERE)


def channel_code_of(channel_id: int) -> str:
    """A channel's code (what its stock rule is named by), from a per-process copy of every
    channel's code read again at most every ``OMS_CHANNEL_RULES_MAX_AGE`` seconds or when a new
    channel turns up."""
    from django.conf import settings

    from ..models import Channel

    now = time.monotonic()
    if channel_id not in _memo.channel_codes or now - _memo.channel_codes_at >= settings.OMS_CHANNEL_RULES_MAX_AGE:
        _memo.channel_codes, _memo.channel_codes_at = dict(Channel.objects.values_list("pk", "code")), now
    return _memo.channel_codes.get(channel_id, "")
