"""Rendering and validating through a serializer without rebuilding the serializer every time.

A DRF serializer deep-copies all its declared fields (and its nested serializers' fields) each
time one is instantiated; for an order with lines, allocations and holds that costs more than
the rest of the response. ``to_representation`` keeps no state on the serializer, so one bound
instance per class can render every object. Serializers used here must not need request
context (no hyperlinked fields). Validation likewise: ``run_validation`` returns the validated
data (or raises ``ValidationError``) and, unlike ``is_valid``, stores nothing on the instance.
"""

from rest_framework.serializers import Serializer

_prototypes: dict[type[Serializer], Serializer] = {}


def _prototype(serializer_class: type[Serializer]) -> Serializer:
    prototype = _prototypes.get(serializer_class)
    if prototype is None:
        prototype = _prototypes[serializer_class] = serializer_class()
    return prototype


def represent(serializer_class: type[Serializer], instance) -> dict:
    """What ``serializer_class(instance).data`` gives."""
    return _prototype(serializer_class).to_representation(instance)


def represent_many(serializer_class: type[Serializer], instances) -> list[dict]:
    prototype = _prototype(serializer_class)
    return [prototype.to_representation(instance) for instance in instances]


def validated(serializer_class: type[Serializer], data) -> dict:
    """The validated data ``serializer_class(data=data)`` would give; raises ``ValidationError``."""
    return _prototype(serializer_class).run_validation(data)
