"""Links between console pages that lead only where the signed-in user may go.

A page often names another record (a fulfillment order its shipment, a webhook delivery its
event). Such a name is a link for a user who may open that record's page, and plain text for one
who may not: a link that answers 403 is a dead end. Django's display callables (``list_display``,
``readonly_fields``) see the object, not the request, so :class:`oms.admin_site.ConsoleSite`
makes the request of the console view being rendered known here (:func:`console_viewing`) for
as long as that view runs and its page renders.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

_viewing: ContextVar[HttpRequest | None] = ContextVar("console_viewing", default=None)
_PAGE_SUFFIXES = ("_changelist", "_change", "_history")


@contextmanager
def console_viewing(request: HttpRequest) -> Iterator[None]:
    """While the block runs, links are made for ``request``'s user."""
    token = _viewing.set(request)
    try:
        yield
    finally:
        _viewing.reset(token)


def console_may_open(url_name: str, request: HttpRequest | None = None) -> bool:
    """Whether the user (of ``request``, else of the console page being rendered) may open the
    model page ``url_name`` names (``"admin:shipping_shipment_change"``, a ``_changelist`` or
    ``_history``): the model's admin lets them view it. Nobody known, or no such page: no."""
    request = request or _viewing.get()
    if request is None:
        return False
    name = url_name.removeprefix("admin:")
    for suffix in _PAGE_SUFFIXES:
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    else:
        return False
    for model, model_admin in admin.site._registry.items():
        if f"{model._meta.app_label}_{model._meta.model_name}" == name:
            return model_admin.has_view_or_change_permission(request)
    return False


def console_link(url_name: str, *args, text, query: dict | None = None) -> str:
    """``<a href="...">text</a>`` to the console page ``url_name`` (with ``args`` and ``query``)
    when the signed-in user may open it (:func:`console_may_open`), else ``text`` alone (escaped)."""
    if not console_may_open(url_name):
        return format_html("{}", text)
    url = reverse(url_name, args=args)
    if query:
        url = f"{url}?{urlencode(query)}"
    return format_html('<a href="{}">{}</a>', url, text)
