"""Personal data in the console, masked for the roles that do not need it.

What is personal is the registry's to say (:mod:`oms.personal_data`: each part's ``fields``); who
sees it is the permission ``oms.view_personal_data`` (customer service, accounting, the operations
manager; superusers hold every permission). Everyone else sees ``A••• L•••``, ``a•••@example.com``
and addresses with only their country, on lists, pages and related records alike, cannot search by
those fields, and exports leave their columns out.

One exception is the work in hand: the apps that own the work register, per model, which rows a
user is working on (:func:`masking_work_register`): the warehouse sees the ship-to of the orders
it is picking and packing and of the parcels still at its dock. Documents printed for that work
(packing slips, labels, manifests) are rendered from the database, not through the console, and
keep the address the parcel needs.

Masking happens on the objects in memory, which are never saved masked: a form that could change
a masked object leaves its personal fields read-only and :meth:`PersonalDataMaskingMixin.save_model`
puts the stored values back before saving.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import prefetch_related_objects

from .personal_data import personal_fields_of

PERMISSION = "oms.view_personal_data"
BULLETS = "•••"
# What an address snapshot keeps when masked: where it goes, not to whom.
ADDRESS_KEEP = frozenset({"country", "country_code", "residential", "pickup_point"})
# How far masking follows foreign keys from a row (a fulfillment order -> its order -> the customer).
RELATION_DEPTH = 2

# model label (lower case) -> (user, primary keys) -> the keys of the rows that user works on now.
InWork = Callable[[object, list], set]
_in_work: dict[str, InWork] = {}


def masking_work_register(label: str, in_work: InWork) -> None:
    """Let ``in_work(user, pks)`` say which of the rows of ``label`` (``app_label.ModelName``) the
    user works on now: those keep their personal data for that user."""
    _in_work[label.lower()] = in_work


def personal_data_visible(user) -> bool:
    """Whether ``user`` sees personal data everywhere (``oms.view_personal_data``)."""
    return getattr(user, "is_authenticated", False) and user.has_perm(PERMISSION)


# --- the masked forms ------------------------------------------------------------------------


def masked_text(value: str) -> str:
    """``Ada Lovelace`` -> ``A••• L•••``; an e-mail keeps its domain: ``a•••@example.com``."""
    value = str(value)
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}{BULLETS}@{domain}"
    return " ".join(f"{word[:1]}{BULLETS}" for word in value.split()) or value


def masked_value(value):
    """``value`` with every personal string masked: text word by word, an address snapshot down to
    its country, lists item by item; empty values stay empty (there is nothing to hide)."""
    if value in (None, "") or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: item if key in ADDRESS_KEEP else masked_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked_value(item) for item in value]
    return masked_text(value)


# --- masking rows ----------------------------------------------------------------------------


def _relations_to_mask(model: type[models.Model], depth: int) -> list[models.ForeignKey]:
    """The foreign keys of ``model`` that lead (within ``depth`` steps) to personal fields."""
    if depth <= 0:
        return []
    return [
        field for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is not None
        and (personal_fields_of(field.related_model) or _relations_to_mask(field.related_model, depth - 1))
    ]


def _mask_fields(row: models.Model, names: Iterable[str]) -> None:
    originals = {}
    for name in names:
        field = row._meta.get_field(name)
        value = getattr(row, field.attname)
        originals[field.attname] = value
        setattr(row, field.attname, masked_value(value if isinstance(value, str | dict | list | type(None)) else str(value)))
    row._personal_data_originals = originals


def objects_mask(rows: Iterable[models.Model], *, user, depth: int = RELATION_DEPTH) -> None:
    """Mask, in memory, the personal fields of ``rows`` (of one model) and of the rows they refer
    to, except where ``user`` sees personal data or works on the row. Related rows are loaded in
    one query per relation, so a list costs the same few queries at any length."""
    rows = [row for row in rows if row is not None and not hasattr(row, "_personal_data_originals")]
    if not rows or personal_data_visible(user):
        return
    model = type(rows[0])
    names = personal_fields_of(model)
    in_work = _in_work.get(model._meta.concrete_model._meta.label_lower)
    kept = in_work(user, [row.pk for row in rows]) if names and in_work is not None else set()
    for row in rows:
        if names and row.pk not in kept:
            _mask_fields(row, names)
    for relation in _relations_to_mask(model, depth):
        prefetch_related_objects(rows, relation.name)
        related = {id(other): other for other in (getattr(row, relation.name) for row in rows) if other is not None}
        objects_mask(list(related.values()), user=user, depth=depth - 1)


def object_restore(row: models.Model) -> None:
    """Put the stored values of a masked row back (before it is saved)."""
    for attname, value in getattr(row, "_personal_data_originals", {}).items():
        setattr(row, attname, value)
    if hasattr(row, "_personal_data_originals"):
        del row._personal_data_originals


def personal_path(model: type[models.Model], path: str) -> bool:
    """Whether a lookup path (a search field such as ``customer__email`` or ``=email``, an export
    column's attribute) ends on a personal field of the registry."""
    current = model
    for part in path.lstrip("^=@").split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # a lookup (``iexact``) or an annotation: nothing of the registry
            return False
        if part in personal_fields_of(current):
            return True
        if not field.is_relation or field.related_model is None:
            return False
        current = field.related_model
    return False


# --- the admin -------------------------------------------------------------------------------


class PersonalDataMaskingMixin:
    """For a ``ModelAdmin``: its list rows and its object page masked for users without
    ``oms.view_personal_data`` (but for the rows they work on), its search fields without the
    personal ones, and its form unable to write a masked value."""

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if personal_data_visible(request.user):
            return fields
        return tuple(name for name in fields if not personal_path(self.model, name))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # Evaluated here, so the page renders these very (masked) instances.
        objects_mask(list(changelist.result_list), user=request.user)
        return changelist

    def get_object(self, request, object_id, from_field=None):
        row = super().get_object(request, object_id, from_field)
        if row is not None:
            objects_mask([row], user=request.user)
        return row

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None or not hasattr(obj, "_personal_data_originals") or not obj._personal_data_originals:
            return fields
        return fields + tuple(name for name in personal_fields_of(self.model) if name not in fields)

    def save_model(self, request, obj, form, change):
        object_restore(obj)
        super().save_model(request, obj, form, change)
