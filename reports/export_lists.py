"""The rows an admin list shows, rebuilt where the list is not (a worker, the export page).

The lists live in lower apps, which may not import reports; so reports reads the query string
the list was showing (its filters, search, date drill-down) and asks the ``ModelAdmin``
registered for that list to build its changelist for the user who asked. The rows are then
exactly what that user's list showed (every page of it), by the list's own filter and search
code, with that user's permissions: a list the user may no longer open exports nothing.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse

from oms.errors import DomainError, InvalidInput


class ListNotVisible(DomainError):
    code = "permission_denied"
    status_code = 403


def admin_list_rows(*, list_label: str, query: str, user: AbstractBaseUser | None) -> QuerySet:
    """The queryset of the admin list ``list_label`` ("orders.order") filtered by ``query`` (its
    query string) as ``user`` would see it. Refuses a list that does not exist, one the user may
    not open, and filters the list does not accept."""
    try:
        model = apps.get_model(list_label)
    except (LookupError, ValueError):
        raise InvalidInput(f"There is no list {list_label!r}.", fields={"list": ["Unknown list."]}) from None
    model_admin = admin.site._registry.get(model)
    if model_admin is None or user is None:
        raise InvalidInput(f"There is no console list {list_label!r} to export from.", fields={"list": ["Unknown list."]})
    request = _list_request(model, query, user)
    if not model_admin.has_view_or_change_permission(request):
        raise ListNotVisible(f"You may not open the list of {model._meta.verbose_name_plural}, so you cannot export it.")
    try:
        changelist = model_admin.get_changelist_instance(request)
    except (IncorrectLookupParameters, PermissionDenied):
        raise InvalidInput("The list's filters are not valid any more; open the list again and export from there.", fields={"query": ["Invalid filters."]}) from None
    return changelist.queryset


def _list_request(model, query: str, user: AbstractBaseUser) -> HttpRequest:
    request = HttpRequest()
    request.method = "GET"
    params = QueryDict(query, mutable=True)
    params.pop(PAGE_VAR, None)  # every page of the list, not the one on screen
    request.GET = params
    request.user = user
    request.path = request.path_info = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    request.META = {"SERVER_NAME": "export", "SERVER_PORT": "80", "REQUEST_METHOD": "GET", "QUERY_STRING": params.urlencode()}
    request.COOKIES = {}
    request.session = {}
    return request
