"""System checks for a production deployment (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Backends that every web process shares and that increment a counter atomically, as the API rate
# limits need (oms.api.throttling counts with cache.incr). Per-process memory, a dummy cache, files
# on one machine's disk or a database table (whose incr reads then writes) count alone or lose counts.
SHARED_COUNTER_CACHES = frozenset({
    "django.core.cache.backends.redis.RedisCache",
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
})


@register(Tags.caches, deploy=True)
def cache_shared_check(app_configs, **kwargs):
    """Warn when, with DEBUG off, the default cache does not count rate limits across processes."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend in SHARED_COUNTER_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend}) is not shared by the web processes, so each of them counts the API rate "
            "limits alone: with N gunicorn workers a key gets up to N times its limit.",
            hint="Set CACHE_URL to Redis, e.g. rediscache://redis-host:6379/1 (one database all web processes reach).",
            id="oms.W001",
        )
    ]
