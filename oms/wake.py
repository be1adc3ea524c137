"""A task asked for at a set time, once however many ask: work that waits in the database (retries
with a time of their own) gets one task at the soonest of them, not a message held by the broker
for each. The time asked for is kept in the shared cache (``CACHE_URL``)."""

import time
from datetime import datetime

from django.core.cache import cache


def wake_ask(key: str, at: datetime, task) -> bool:
    """Ask for ``task`` at ``at`` unless one is asked for by then (within a second). Returns
    whether it asked. A time in the past asks for it now; a mark whose time has passed asks again."""
    due, now = at.timestamp(), time.time()
    asked = cache.get(key)
    if asked is not None and now < asked <= due + 1:
        return False
    countdown = max(due - now, 0)
    cache.set(key, due, timeout=countdown + 60)
    task.apply_async((), countdown=countdown)
    return True
