"""Rendering and validating through a serializer without rebuilding the serializer every time.

A DRF serializer deep-copies all its declared fields (and its nested serializers' fields) each
time one is instantiated; for an order with lines, allocations and holds that costs more than
the rest of the response. ``to_representation`` keeps no state on the serializer, so one bound
instance per class can render every object. Serializers used here must not need request
context (no hyperlinked fields). Validation likewise: ``run_validation`` returns the validated
data (or raises ``ValidationError``) and, unlike ``is_valid``, stores nothing on the instance.

Rendering goes one step further: each serializer class is turned once into a plan (which
fields, how each reads its value, how each writes it), so rendering a page of 500 orders walks
that plan instead of DRF's generic per-field machinery (the readable-field generator, the
dotted-source walk with its callable checks, the ordered dict). The field declarations stay the
one description of the output; what a field does specially (``get_attribute`` overridden, a
value that is a method, a missing attribute with a default) is still done by the field itself.
"""

from collections.abc import Callable, Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Manager
from django.db.models.query import QuerySet
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.serializers import ListSerializer, Serializer

_prototypes: dict[type[Serializer], Serializer] = {}


def _prototype(serializer_class: type[Serializer]) -> Serializer:
    prototype = _prototypes.get(serializer_class)
    if prototype is None:
        prototype = _prototypes[serializer_class] = serializer_class()
    return prototype


def represent(serializer_class: type[Serializer], instance) -> dict:
    """What ``serializer_class(instance).data`` gives."""
    return _renderer(serializer_class)(instance)


def represent_many(serializer_class: type[Serializer], instances) -> list[dict]:
    render = _renderer(serializer_class)
    return [render(instance) for instance in instances]


# --- rendering plans ------------------------------------------------------------------------

_renderers: dict[type[Serializer], Callable[[object], dict]] = {}


def _renderer(serializer_class: type[Serializer]) -> Callable[[object], dict]:
    render = _renderers.get(serializer_class)
    if render is None:
        render = _renderers[serializer_class] = _plan(_prototype(serializer_class))
    return render


def _plan(serializer: Serializer) -> Callable[[object], dict]:
    steps = [(name, _reader(field), _writer(field)) for name, field in serializer.fields.items() if not field.write_only]

    def render(instance) -> dict:
        out = {}
        for name, read, write in steps:
            try:
                value = read(instance)
            except SkipField:
                continue
            if value is None or (isinstance(value, PKOnlyObject) and value.pk is None):
                out[name] = None
            else:
                out[name] = write(value)
        return out

    return render


def _reader(field: Field) -> Callable[[object], object]:
    """How a field reads its value from the object: the plain attribute walk, or the field's own
    ``get_attribute`` when it does something of its own (or the walk meets anything unusual)."""
    if type(field).get_attribute is not Field.get_attribute or not field.source_attrs:
        return field.get_attribute
    attrs = tuple(field.source_attrs)
    slow = field.get_attribute

    def read(instance):
        value = instance
        for attr in attrs:
            if value is None:
                return None
            try:
                value = value[attr] if isinstance(value, Mapping) else getattr(value, attr)
            except (KeyError, AttributeError, ObjectDoesNotExist):
                return slow(instance)  # defaults, optional fields and their errors, as DRF has them
            if callable(value) and not isinstance(value, (Manager, QuerySet)):
                return slow(instance)  # a method as source: DRF calls it
        return value

    return read


def _writer(field: Field) -> Callable[[object], object]:
    if isinstance(field, ListSerializer) and isinstance(field.child, Serializer):
        render_item = _plan(field.child)

        def write_list(value):
            items = value.all() if isinstance(value, (Manager, QuerySet)) else value
            return [render_item(item) for item in items]

        return write_list
    if isinstance(field, Serializer) and type(field).to_representation is Serializer.to_representation:
        return _plan(field)
    return field.to_representation


def validated(serializer_class: type[Serializer], data) -> dict:
    """The validated data ``serializer_class(data=data)`` would give; raises ``ValidationError``."""
    return _prototype(serializer_class).run_validation(data)
