"""The personal-data registry: how a customer's data is exported and erased across every app.

The kernel knows no app's models. Each app that holds personal data registers a *part* in its
``AppConfig.ready()``: the models it covers, an exporter (customer id -> tables of JSON-safe
rows), an eraser (anonymises in place, keeps amounts, returns counts) and, where the app can
tell, the reasons an erasure must wait (open orders, open returns). A customer's export or
erasure walks every registered part, so an app cannot forget its share; a test lists every model
linked to a customer and fails when no part covers it.

A part also names its personal *fields* (``fields``: model label -> field names): the one list the
console's masking (:mod:`oms.masking`) reads to know what to hide from roles without
``oms.view_personal_data``. A part about people who are not customers (a supplier's contact)
declares ``customer_data=False``: its fields are listed and masked, but a customer's export and
erasure do not walk it (such people are forgotten by their own action, e.g. "Forget this contact").
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from .actors import Actor

Rows = list[dict]
Tables = dict[str, Rows]

ERASED = "[erased]"


def erased_email(customer_id: int) -> str:
    """The unique, non-deliverable address an erased customer keeps (``.invalid`` is reserved, RFC 2606)."""
    return f"erased-{customer_id}@invalid"


@dataclass(frozen=True)
class ErasureContext:
    """What every eraser is given: whose data, who asked, what replaces an e-mail address, and
    the customer's original personal strings (names, e-mails, phones, address lines) so that free
    text that quotes them (events, notes, payloads) can be cleaned wherever it is."""

    customer_id: int
    actor: Actor
    # Every personal string: replaced in the rows linked to the customer.
    values: tuple[str, ...]
    # The strings that single the customer out (e-mail, phone, full name, street line): they find
    # the rows of tables not linked to a customer (event payloads, logs). A city or a first name
    # alone would also find other customers' rows, so those are not identifiers.
    identifiers: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return erased_email(self.customer_id)


@dataclass(frozen=True)
class PersonalDataPart:
    name: str
    models: tuple[str, ...]
    export: Callable[[int], Tables]
    erase: Callable[[ErasureContext], dict[str, int]]
    # The customer's personal strings this part holds (collected before anything is erased).
    values: Callable[[int], Iterable[str]] = lambda customer_id: ()
    # Those of ``values`` that single the customer out (see ErasureContext.identifiers).
    identifiers: Callable[[int], Iterable[str]] = lambda customer_id: ()
    # Why an erasure must wait now (each a sentence a person can act on); empty: it may go ahead.
    erasure_blockers: Callable[[int], list[str]] = lambda customer_id: []
    # The customers among ``customer_ids`` with activity at or after ``since`` (for retention).
    active_since: Callable[[list[int], datetime], set[int]] = lambda customer_ids, since: set()
    # Erased after every other part (the part that holds the customer row itself).
    last: bool = field(default=False)
    # The fields holding a person's data, per model (``"orders.Order": ("email", ...)``): what the
    # console masks for roles without ``oms.view_personal_data``.
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # False: the part is about people who are not customers (suppliers' contacts); a customer's
    # export, erasure and retention skip it.
    customer_data: bool = field(default=True)


_parts: dict[str, PersonalDataPart] = {}


def personal_data_register(part: PersonalDataPart) -> None:
    """Register (or replace, on a second ``ready()``) an app's part."""
    _parts[part.name] = part


def personal_data_parts() -> list[PersonalDataPart]:
    """The parts a customer's export, erasure and retention walk, the customer's own part last."""
    return sorted((part for part in _parts.values() if part.customer_data), key=lambda part: part.last)


def personal_data_fields() -> dict[str, frozenset[str]]:
    """Every registered personal field: ``app_label.modelname`` (lower case) -> field names."""
    found: dict[str, set[str]] = {}
    for part in _parts.values():
        for label, names in part.fields.items():
            found.setdefault(label.lower(), set()).update(names)
    return {label: frozenset(names) for label, names in found.items()}


def personal_fields_of(model: type[models.Model]) -> frozenset[str]:
    """The personal fields of ``model`` (empty when no part names any)."""
    return personal_data_fields().get(model._meta.concrete_model._meta.label_lower, frozenset())


def personal_data_covered_models() -> set[str]:
    """``app_label.ModelName`` (lower case) of every model some customer part covers."""
    return {label.lower() for part in personal_data_parts() for label in part.models}


def personal_data_export(customer_id: int) -> dict[str, Tables]:
    """Every part's tables for one customer: ``{part: {table: [row, ...]}}``, JSON-safe."""
    return {part.name: part.export(customer_id) for part in personal_data_parts()}


def _searchable(strings: Iterable) -> tuple[str, ...]:
    # Longest first (a full address line is replaced before a name inside it), without blanks or
    # strings too short to search for.
    found = {str(value).strip() for value in strings if value}
    return tuple(sorted((value for value in found if len(value) >= 3), key=lambda value: (-len(value), value)))


def personal_data_values(customer_id: int) -> ErasureContext:
    """The customer's personal strings across every part (collected before anything is erased),
    as the context every eraser is then given (``actor`` still to be set)."""
    parts = personal_data_parts()
    identifiers = _searchable(value for part in parts for value in part.identifiers(customer_id))
    values = _searchable([*identifiers, *(value for part in parts for value in part.values(customer_id))])
    return ErasureContext(customer_id=customer_id, actor=None, values=values, identifiers=identifiers)


def personal_data_erasure_blockers(customer_id: int) -> list[str]:
    return [reason for part in personal_data_parts() for reason in part.erasure_blockers(customer_id)]


def personal_data_active_customers(customer_ids: list[int], since: datetime) -> set[int]:
    active: set[int] = set()
    for part in personal_data_parts():
        active |= part.active_since(customer_ids, since)
    return active


def personal_data_erase(*, customer_id: int, actor: Actor, strings: ErasureContext) -> dict[str, dict[str, int]]:
    """Run every part's eraser, the customer's own part last. The caller holds the transaction
    and has checked the blockers; ``strings`` (:func:`personal_data_values`) were collected
    before anything changed."""
    context = ErasureContext(customer_id=customer_id, actor=actor, values=strings.values, identifiers=strings.identifiers)
    return {part.name: part.erase(context) for part in personal_data_parts()}


# --- helpers the parts share ------------------------------------------------------------------


class _Encoder(DjangoJSONEncoder):
    """Dates ISO 8601, Decimals as strings, and anything else with a text form (phone numbers,
    countries) as that text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def rows_of(queryset: models.QuerySet, *, exclude: Iterable[str] = ()) -> Rows:
    """The rows of a queryset as JSON-safe dicts (dates ISO 8601, Decimals as strings), every
    concrete field but binary ones and those in ``exclude``."""
    model = queryset.model
    names = [
        f.attname for f in model._meta.concrete_fields if not isinstance(f, models.BinaryField) and f.name not in set(exclude)
    ]
    return [json.loads(json.dumps(row, cls=_Encoder)) for row in queryset.order_by("pk").values(*names)]


def text_scrub(value, values: tuple[str, ...], replacement: str = ERASED):
    """``value`` with every occurrence of ``values`` replaced (any case), through dicts and lists."""
    if isinstance(value, str):
        lowered = value.lower()
        if not any(v.lower() in lowered for v in values):
            return value
        for original in values:
            start = value.lower().find(original.lower())
            while start != -1:
                value = value[:start] + replacement + value[start + len(original):]
                start = value.lower().find(original.lower(), start + len(replacement))
        return value
    if isinstance(value, dict):
        return {key: text_scrub(item, values, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [text_scrub(item, values, replacement) for item in value]
    return value


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices and not f.primary_key
    ]


def rows_scrub(queryset: models.QuerySet, values: tuple[str, ...], *, skip: Iterable[str] = ()) -> int:
    """Replace the customer's strings in every text and JSON column of the rows given; the rows
    that changed are saved with ``update_fields``. Returns how many rows changed."""
    if not values:
        return 0
    fields = [f for f in _text_fields(queryset.model) if f.name not in set(skip)]
    changed = 0
    for row in queryset.order_by("pk"):
        updated = []
        for f in fields:
            before = getattr(row, f.attname)
            after = text_scrub(before, values)
            if after != before:
                # A unique column cannot take the same placeholder twice: it gets the row's own.
                setattr(row, f.attname, f"{ERASED} {row.pk}" if f.unique and isinstance(after, str) else after)
                updated.append(f.attname)
        if updated:
            row.save(update_fields=updated)
            changed += 1
    return changed


def rows_mentioning(model: type[models.Model], values: tuple[str, ...], fields: Iterable[str] | None = None) -> models.QuerySet:
    """Rows of ``model`` whose text or JSON columns mention any of ``values`` (for tables that
    are not linked to the customer by a key: event payloads, logs)."""
    names = list(fields) if fields is not None else [f.name for f in _text_fields(model)]
    condition = Q()
    for name in names:
        for value in values:
            condition |= Q(**{f"{name}__icontains": value})
    return model.objects.filter(condition) if values and names else model.objects.none()


def address_anonymised(address: dict | None) -> dict:
    """An address snapshot with only what reports need kept (the country); every other part blanked."""
    if not isinstance(address, dict):
        return {}
    keep = {"country", "country_code", "residential"}
    kept = {}
    for key, value in address.items():
        if key in keep or value in ("", None) or isinstance(value, bool):
            kept[key] = value
        else:
            # Lines, names, phones become the placeholder; coordinates and anything else go.
            kept[key] = ERASED if isinstance(value, str) else None
    return kept


# --- the kernel's own part: events, webhook logs, idempotency replays, admin history ----------


def _kernel_tables():
    from django.contrib.admin.models import LogEntry

    from .models import DocumentJob, DomainEvent, IdempotencyRecord, WebhookAttempt

    # Not linked to a customer by a key: the rows that mention one of the customer's strings.
    return (
        (DomainEvent, ["payload"]),
        (WebhookAttempt, ["error", "response_excerpt"]),
        (IdempotencyRecord, ["response_body"]),
        (DocumentJob, ["title", "payload"]),
        (LogEntry, ["object_repr", "change_message"]),
    )


def kernel_export(customer_id: int) -> Tables:
    # Events and logs hold copies of what the apps' tables export; they are cleaned, not exported.
    return {}


def kernel_erase(context: ErasureContext) -> dict[str, int]:
    counts = {}
    for model, fields in _kernel_tables():
        counts[model._meta.model_name] = rows_scrub(rows_mentioning(model, context.identifiers, fields), context.values)
    return counts


def quoted_strings_scrub(*, values: Iterable[str], identifiers: Iterable[str], actor: Actor) -> dict[str, int]:
    """Clean the personal strings of someone who is not a customer (a supplier's contact) out of
    the kernel's events, logs and admin history, as a customer's erasure does: rows that mention
    one of ``identifiers`` get every one of ``values`` replaced. Runs in the caller's transaction."""
    found = _searchable(identifiers)
    context = ErasureContext(customer_id=0, actor=actor, values=_searchable([*found, *values]), identifiers=found)
    return kernel_erase(context)


KERNEL_PART = PersonalDataPart(
    name="kernel", models=("oms.DomainEvent", "oms.WebhookAttempt", "oms.IdempotencyRecord", "oms.DocumentJob"),
    export=kernel_export, erase=kernel_erase,
)
