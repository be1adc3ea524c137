"""Buttons that a higher app adds to a lower app's console list.

An app may not import the apps above it, so a list in ``orders`` cannot link to an export that
``reports`` builds. Instead the higher app registers a tool for the list here (in its
``AppConfig.ready()``): a label, the URL name of its page (reversed with the list's label) and
the permission it needs. Every changelist shows the tools registered for it that the user may
use (``templates/admin/change_list_object_tools.html``), each carrying the list's current query
string (filters, search, date drill-down), so the page it opens acts on exactly those rows.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse


@dataclass(frozen=True)
class ListTool:
    label: str
    url_name: str  # reversed with the list's label ("orders.order") as its only argument
    permission: str


_tools: dict[str, list[ListTool]] = {}


def list_tool_register(list_label: str, tool: ListTool) -> None:
    """Offer ``tool`` on the console list ``list_label`` ("app_label.model_name"); idempotent."""
    tools = _tools.setdefault(list_label, [])
    if tool not in tools:
        tools.append(tool)


def list_tools_for(*, list_label: str, user: AbstractBaseUser, query: dict) -> list[dict]:
    """The tools of a list ``user`` may use, as ``{"label", "url"}`` with the list's query."""
    found = []
    for tool in _tools.get(list_label, ()):
        if user.has_perm(tool.permission):
            url = reverse(tool.url_name, args=[list_label])
            found.append({"label": tool.label, "url": f"{url}?{urlencode(query, doseq=True)}" if query else url})
    return found


# --- buttons on one record's page -----------------------------------------------------------


@dataclass(frozen=True)
class ObjectTool:
    label: str
    url_name: str  # reversed with the record's primary key as its only argument
    permission: str


_object_tools: dict[str, list[ObjectTool]] = {}


def object_tool_register(model_label: str, tool: ObjectTool) -> None:
    """Offer ``tool`` on the change page of each ``model_label`` ("inventory.product") record; idempotent."""
    tools = _object_tools.setdefault(model_label, [])
    if tool not in tools:
        tools.append(tool)


def object_tools_for(*, model_label: str, user: AbstractBaseUser, pk) -> list[dict]:
    """The tools of a record's page ``user`` may use, as ``{"label", "url"}``."""
    return [{"label": tool.label, "url": reverse(tool.url_name, args=[pk])}
            for tool in _object_tools.get(model_label, ()) if user.has_perm(tool.permission)]
