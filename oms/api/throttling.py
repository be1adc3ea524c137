"""Rate limits per API key (or per signed-in user), counted in the shared cache.

A fixed one-minute window per caller: ``cache.incr`` is atomic in Redis, so every web process
counts against the same number, and a caller over its limit gets 429 with ``Retry-After`` (the
seconds until the window turns). The limit is the key's own ``rate_limit_per_minute`` or
``OMS_API_RATE_LIMIT_PER_MINUTE``. A cache each process keeps to itself would let every gunicorn
worker count alone, so production must share one: ``CACHE_URL`` is required when DEBUG is off and
``check --deploy`` warns about a per-process backend (:mod:`oms.checks`).
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .authentication import ApiClient

WINDOW_SECONDS = 60


class PerKeyThrottle(BaseThrottle):
    def allow_request(self, request, view):
        user = request.user
        if isinstance(user, ApiClient):
            ident, limit = f"key:{user.key.prefix}", user.key.rate_limit_per_minute or settings.OMS_API_RATE_LIMIT_PER_MINUTE
        elif user is not None and user.is_authenticated:
            ident, limit = f"user:{user.pk}", settings.OMS_API_RATE_LIMIT_PER_MINUTE
        else:
            return True  # refused by authentication or permission anyway
        if limit <= 0:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        counter = f"oms:throttle:{ident}:{window}"
        # add() is a no-op when the counter exists; incr() is atomic in Redis and locmem alike.
        cache.add(counter, 0, timeout=WINDOW_SECONDS * 2)
        try:
            count = cache.incr(counter)
        except ValueError:  # evicted between add and incr
            cache.add(counter, 1, timeout=WINDOW_SECONDS * 2)
            count = 1
        self._wait = (window + 1) * WINDOW_SECONDS - now
        self._limit = limit
        return count <= limit

    def wait(self):
        return max(1.0, self._wait)
