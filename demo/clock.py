"""The time the services see while the demo plays its history (seeding only, one thread)."""

import datetime
from contextlib import contextmanager

from django.utils import timezone


@contextmanager
def seeding_clock(at: datetime.datetime):
    """The services see ``at`` as the time: the demo ships a parcel of weeks ago on the day it
    left, or takes a return of weeks ago on the day it was asked for, so the rows' times are
    those of then. The services take the time from the clock, as they do live."""
    real = timezone.now
    timezone.now = lambda: at
    try:
        yield
    finally:
        timezone.now = real
