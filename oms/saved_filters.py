"""Saved views of console lists: an operator keeps a list's filters under a name and gets the
same rows back in one click; a shared view is offered to every staff user of that list."""

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.db.models import Q, QuerySet

from .errors import DomainError, InvalidInput, NotFound
from .models import SavedFilter

# What a list's URL carries that is not a filter: the page number, the admin's error flag and popup state.
NOT_FILTERS = {"p", "e", "_popup", "_to_field", "all"}
NAME_MAX = SavedFilter._meta.get_field("name").max_length
QUERY_MAX = SavedFilter._meta.get_field("query_string").max_length


def saved_filter_query(query_string: str) -> str:
    """The filtering part of a list's query string (no page number), in a stable form."""
    pairs = parse_qsl(query_string.lstrip("?"), keep_blank_values=True)
    return urlencode([(key, value) for key, value in pairs if key not in NOT_FILTERS])


def saved_filters_for(*, user, model: str) -> QuerySet[SavedFilter]:
    """The views of one list this user is offered: their own and the shared ones, by name."""
    return SavedFilter.objects.filter(Q(user=user) | Q(shared=True), model=model).select_related("user").order_by("name", "id")


def saved_filter_save(*, user, model: str, name: str, query_string: str, shared: bool = False) -> SavedFilter:
    """Keep ``query_string`` as the user's view ``name`` of the list ``model``; saving under a
    name the user already has replaces that view's filters."""
    name, query = name.strip(), saved_filter_query(query_string)
    errors = {}
    if not name:
        errors["name"] = ["Give the view a name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"At most {NAME_MAX} characters."]
    if len(query) > QUERY_MAX:
        errors["query_string"] = [f"These filters are too long to keep (at most {QUERY_MAX} characters)."]
    if errors:
        raise InvalidInput("The view was not saved.", fields=errors)
    with transaction.atomic():
        saved, _created = SavedFilter.objects.select_for_update().update_or_create(
            user=user, model=model, name=name, defaults={"query_string": query, "shared": shared}
        )
    return saved


def saved_filter_delete(*, saved_filter_id: int, user) -> None:
    """Forget a view. Only its owner (or a superuser) may; a shared view disappears for everyone."""
    with transaction.atomic():
        saved = SavedFilter.objects.select_for_update().filter(pk=saved_filter_id).first()
        if saved is None:
            raise NotFound("That saved view no longer exists.")
        if saved.user_id != user.pk and not user.is_superuser:
            raise DomainError(f"The view {saved.name!r} is {saved.user}'s; only they may delete it.", code="not_owner")
        saved.delete()
