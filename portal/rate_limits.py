"""Rate limits on what could be used to probe the portal (sign-in requests and order lookups)
or to load it (a bulk order's check reads prices, catalogue rules and stock for every line).

Every attempt counts (found or not, so the limit itself tells nothing), once against the asking
address and once against what it asks about (an e-mail address, an order number, the signed-in
account), in fixed windows of ``OMS_PORTAL_RATE_WINDOW_SECONDS`` kept in the shared cache. The
target is hashed before it becomes a cache key: no e-mail address sits in the cache.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from oms.signin.lockout import client_address


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this attempt opens a new window
        cache.add(key, 1, timeout=window)
        return 1


def portal_attempt_allowed(request, *, scope: str, target: str, per_address: int | None = None, per_target: int | None = None) -> bool:
    """Count one attempt at ``scope`` (e.g. "lookup") from this request's address at ``target``;
    False once either count is over its limit in the current window (``per_address`` and
    ``per_target``, by default ``OMS_PORTAL_RATE_PER_IP`` and ``OMS_PORTAL_RATE_PER_TARGET``)."""
    window = settings.OMS_PORTAL_RATE_WINDOW_SECONDS
    slot = int(time.time() // window)
    digest = hashlib.sha256(target.strip().lower().encode()).hexdigest()[:32]
    by_address = _count(f"portal-rate:{scope}:ip:{client_address(request)}:{slot}", window)
    by_target = _count(f"portal-rate:{scope}:target:{digest}:{slot}", window)
    per_address = settings.OMS_PORTAL_RATE_PER_IP if per_address is None else per_address
    per_target = settings.OMS_PORTAL_RATE_PER_TARGET if per_target is None else per_target
    return by_address <= per_address and by_target <= per_target


def portal_window_seconds_left() -> int:
    """Seconds until the current window ends and its counts start again from nothing."""
    window = settings.OMS_PORTAL_RATE_WINDOW_SECONDS
    return max(1, math.ceil(window - time.time() % window))
