"""Cursor pagination that stays exact under any ordering a list offers.

DRF's cursor keeps only the first ordering field's value plus an offset among equal values, so
ordering by a field many rows share (a total, a timestamp written in bulk) can skip or repeat
rows between pages. Here the cursor holds the last row's ``(value, id)`` pair and each page is
the rows strictly after it in ``ORDER BY value, id``: every row is listed exactly once, however
many share a value, and a page costs the same whatever its depth.

A view chooses its ordering in one of three ways: an ``ordering`` query parameter through
:class:`CursorOrderingFilter` (with ``ordering_fields`` on the view), the view's own
``ordering`` attribute, or newest first by id.
"""

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import filters, pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor

from oms import json_input

TIEBREAKER = "id"


class CursorOrderingFilter(filters.OrderingFilter):
    """``?ordering=field`` or ``?ordering=-field``, one field of the view's ``ordering_fields``.

    Unlike DRF's filter, an unknown field is refused with 400 rather than silently ignored: a
    client that misspells a field should not page through an order it did not ask for.
    """

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param)
        if param is None or not param.strip():
            return self.get_default_ordering(view)
        # Only what the view offers by name: DRF's fallback (every serializer field) would let a
        # client order by a nullable or related column the cursor cannot follow.
        allowed = [name for name in getattr(view, "ordering_fields", None) or [] if name != "__all__"]
        terms = [term.strip() for term in param.split(",") if term.strip()]
        if len(terms) != 1 or terms[0].lstrip("-") not in allowed:
            choices = ", ".join(f"{name}, -{name}" for name in allowed)
            raise ValidationError({self.ordering_param: [f"One field, optionally prefixed with '-' for descending: {choices}."]})
        return terms

    def get_schema_operation_parameters(self, view):
        fields = list(getattr(view, "ordering_fields", None) or [])
        if not fields:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field; prefix `-` for descending. Ties are broken by id, so pages never skip "
                "or repeat an item.",
                "schema": {"type": "string", "enum": [term for name in fields for term in (name, f"-{name}")]},
            }
        ]

    def filter_queryset(self, request, queryset, view):
        # The paginator applies the ordering, with its tiebreaker, to the page query.
        return queryset


class CursorPagination(pagination.CursorPagination):
    """Keyset pages on ``(ordering field, id)``; newest first by id unless the view says otherwise."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_cursor_message = "This cursor is not one this list gave out (or was made for another ordering); start from the first page."

    def _invalid_cursor(self) -> ValidationError:
        # A cursor is a query parameter the client sent: a bad one is a malformed request (400),
        # not a missing resource.
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None

    def get_page_size(self, request):
        # DRF quietly falls back to the default for a page_size it cannot use; a client that asked
        # for 1,000 rows and got 50 would think the list ends there, so a bad one is refused.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = int(raw) if re.fullmatch(r"[0-9]{1,6}", raw.strip()) else 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}; you sent {raw[:20]!r}."]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Items per page, 1 to {self.max_page_size} (default {self.page_size}); anything else is refused with 400."
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters

    def get_ordering(self, request, queryset, view):
        ordering_filters = [backend for backend in getattr(view, "filter_backends", []) if hasattr(backend, "get_ordering")]
        chosen = ordering_filters[0]().get_ordering(request, queryset, view) if ordering_filters else None
        if not chosen:
            chosen = getattr(view, "ordering", None) or self.ordering
        primary = chosen if isinstance(chosen, str) else chosen[0]
        meta = queryset.model._meta
        name = primary.lstrip("-")
        field = meta.pk if name == "pk" else meta.get_field(name)
        # A NULL has no place in a strict "after this value" comparison: such rows would vanish.
        assert not field.null, f"Cursor pagination cannot order by the nullable field {field.name!r}."
        if field.attname == TIEBREAKER or field.primary_key:
            return (primary,)
        descending = primary.startswith("-")
        return (primary, f"-{TIEBREAKER}" if descending else TIEBREAKER)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        reverse = bool(self.cursor and self.cursor.reverse)
        position = self._position(self.cursor)

        ordering = self.ordering if not reverse else tuple(_flip(term) for term in self.ordering)
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = self._after(queryset, ordering, position)

        results = list(queryset[: self.page_size + 1])
        self.page = results[: self.page_size]
        has_more = len(results) > self.page_size
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = position is not None, has_more
        else:
            self.has_next, self.has_previous = has_more, position is not None
        self.display_page_controls = bool(self.template and (self.has_next or self.has_previous))
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        anchor = self._key(self.page[-1]) if self.page else self._position_text()
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=anchor))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        anchor = self._key(self.page[0]) if self.page else self._position_text()
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=anchor))

    # --- the (value, id) key -----------------------------------------------------------------

    def _key(self, instance) -> str:
        values = [getattr(instance, term.lstrip("-")) for term in self.ordering]
        return json.dumps([str(value) for value in values])

    def _position_text(self) -> str | None:
        return self.cursor.position if self.cursor else None

    def _position(self, cursor) -> list[str] | None:
        if cursor is None or cursor.position is None:
            return None
        try:
            values = json_input.loads(cursor.position)
        except ValueError:
            raise self._invalid_cursor() from None
        # A cursor made under another ordering would compare the wrong columns.
        if not isinstance(values, list) or len(values) != len(self.ordering) or not all(isinstance(v, str) for v in values):
            raise self._invalid_cursor()
        if any("\x00" in value for value in values):  # in no stored value, and PostgreSQL refuses it in a query
            raise self._invalid_cursor()
        return values

    def _after(self, queryset, ordering, values):
        """Rows strictly after ``values`` in ``ordering`` (a row comparison spelled out in Q objects)."""
        condition, equal = Q(), Q()
        for term, value in zip(ordering, values):
            name = term.lstrip("-")
            step = Q(**{f"{name}__{'lt' if term.startswith('-') else 'gt'}": value})
            condition |= equal & step
            equal &= Q(**{name: value})
        try:
            return queryset.filter(condition)
        except (DjangoValidationError, ValueError, TypeError):  # a cursor edited by hand
            raise self._invalid_cursor() from None


def _flip(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"
