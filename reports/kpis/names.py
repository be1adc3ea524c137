"""Readable labels for the ids a rollup groups by (one query per split)."""

from inventory.models import Location
from orders.models import Channel
from returns.models import ReturnReason

_MODELS = {"channel": (Channel, "code"), "location": (Location, "code"), "reason": (ReturnReason, "code")}


def names(by: str, groups: list) -> dict:
    if by not in _MODELS:
        return {}
    model, field = _MODELS[by]
    return dict(model.objects.filter(pk__in=[group for group in groups if group is not None]).values_list("pk", field))
