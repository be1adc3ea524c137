"""The time the services see while the demo plays its history (seeding only, one thread)."""

import datetime
from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.utils import timezone

_REAL_NOW = timezone.now


@cache
def _fields_stamped_now() -> tuple:
    """Model fields whose default is the clock (``default=timezone.now``): audit rows' times."""
    return tuple(
        field for model in apps.get_models() for field in model._meta.concrete_fields if field.default is _REAL_NOW
    )


def real_now() -> datetime.datetime:
    """The time outside any seeding clock: what "never in the future" is measured against."""
    return _REAL_NOW()


def _defaults_point_at(clock) -> None:
    for field in _fields_stamped_now():
        field.default = clock
        field.__dict__.pop("_get_default", None)  # Django caches the default's getter per field


@contextmanager
def seeding_clock(at: datetime.datetime):
    """The services see ``at`` as the time: the demo ships a parcel of weeks ago on the day it
    left, or takes a return of weeks ago on the day it was asked for, so the rows' times are
    those of then, audit trails included (fields whose default is the clock). The services take
    the time from the clock, as they do live."""
    outer = timezone.now  # the real clock, or the clock of an enclosing step

    def clock():
        return at

    timezone.now = clock
    _defaults_point_at(clock)
    try:
        yield
    finally:
        timezone.now = outer
        _defaults_point_at(outer)
