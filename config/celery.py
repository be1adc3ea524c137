"""Celery application; tasks are discovered from each installed app's ``tasks.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Threads other than the one that built the app (gthread web workers, threads a request or a
# test starts) would otherwise send tasks through Celery's fallback app, which knows none of the
# settings above (not the broker, not eager mode).
app.set_default()

# The pushes to the sales channels: short, and late where the shops' customers see it.
CHANNEL_TASKS = frozenset({"orders.tasks.stock_changes_push", "orders.tasks.channel_stock_push_task", "orders.tasks.channel_fulfillment_send"})


def channel_queue(default_queue: str) -> str:
    """The lane of the channel pushes beside a default queue (``celery`` → ``celery-channels``)."""
    return f"{default_queue}-channels"


def worker_queues(default_queue: str) -> str:
    """What a worker takes to run every task sent with this default queue (its ``-Q``)."""
    return f"{default_queue},{channel_queue(default_queue)}"


def task_route(name, args, kwargs, options, task=None, **kw):
    """``task_routes``: the channel pushes go on their lane, beside whatever the default queue is
    (tests and benches give theirs a name of their own)."""
    if name in CHANNEL_TASKS:
        return {"queue": channel_queue(app.conf.task_default_queue)}
    return None
