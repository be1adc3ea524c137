"""Settings for the Celery worker of the stock-sync proof: the project's, with the test's queue as
the default one (the worker's follow-up pushes come back to it) and the test's Redis cache, which
the test process shares (a product's "push queued" mark is set by one and cleared by the other)."""

import os

from config.settings import *  # noqa: F401,F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["OMS_TEST_CELERY_QUEUE"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["OMS_TEST_CACHE_URL"],
        "KEY_PREFIX": os.environ["OMS_TEST_CACHE_PREFIX"],
    }
}
