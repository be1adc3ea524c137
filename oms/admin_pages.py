"""Console pages that are not a model's list: a higher app's own screens in the console's sidebar.

The kernel's site may not import the apps above it, so ``reports`` cannot add its dashboards to
:mod:`oms.admin_site` directly. It registers each page here (in its ``AppConfig.ready()``): the
address under ``/admin/``, the view, the permission it needs and the sidebar section it sits in.
The console site serves the page through ``admin_view`` (signed-in staff only) and lists it in
its section for the users holding the permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@dataclass(frozen=True)
class ConsolePage:
    url_name: str  # reversed as "admin:<url_name>"
    route: str  # below /admin/, e.g. "reports/dashboards/operations/"
    title: str
    section: str  # a key of oms.admin_site.SECTIONS
    permission: str
    view: Callable
    listed: bool = True  # False: served, never in the sidebar (a page's PDF, say)


_pages: dict[str, ConsolePage] = {}


def console_page_register(page: ConsolePage) -> None:
    """Serve ``page`` in the console and list it in its section; idempotent per ``url_name``."""
    _pages[page.url_name] = page


def console_pages() -> list[ConsolePage]:
    return list(_pages.values())


def console_pages_for(user: AbstractBaseUser, section: str) -> list[ConsolePage]:
    return [page for page in _pages.values() if page.listed and page.section == section and user.has_perm(page.permission)]
