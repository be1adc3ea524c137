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
