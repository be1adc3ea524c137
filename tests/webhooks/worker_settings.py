"""Settings for the Celery worker the end-to-end test starts: the project's, with the queue the test names
as the default one, so what the worker enqueues itself (the webhook after fan-out) comes back to it."""

import os

from config.settings import *  # noqa: F401,F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["OMS_TEST_CELERY_QUEUE"]
