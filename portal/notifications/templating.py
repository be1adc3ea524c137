"""The engine of the notification e-mails: Jinja2, compiled to Python once per process.

A worker renders two templates for every message it sends; Django's template engine walks its
node tree for each, which costs more than the SMTP conversation itself, while Jinja2 runs the
template as compiled code. The templates are ``portal/templates/portal/email/*.j2`` (``.html.j2``
escaped as HTML, ``.txt.j2`` not), translated with Django's catalogues (``{% trans %}`` blocks
and ``_()`` give the same msgids as Django's ``blocktranslate`` and ``translate``). A channel's
override is written in the same syntax and runs in Jinja2's sandbox: an operator's template can
read the message's context, nothing else.
"""

from functools import cache, lru_cache
from pathlib import Path

import jinja2
from django.conf import settings
from django.template.defaultfilters import date as date_filter, linebreaksbr
from django.utils import translation
from django.utils.translation import trans_real
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "portal"


def _date(value, format_name: str = "DATE_FORMAT") -> str:
    """A date as the active language writes it (Django's ``date`` filter)."""
    return _date_in(value, format_name, translation.get_language())


@lru_cache(maxsize=4096)  # a batch's messages share a handful of dates
def _date_in(value, format_name: str, language: str) -> str:
    return date_filter(value, format_name)


@cache
def _catalogue(language: str):
    """The translations of one language, each msgid looked up once per process."""
    return cache(trans_real.translation(language).gettext)


@jinja2.pass_context
def _gettext(context, message: str) -> str:
    # The message's own language (the context's ``language``): no look-up of the active one per string.
    return _catalogue(context.get("language") or translation.get_language())(message)


@jinja2.pass_context
def _ngettext(context, singular: str, plural: str, number: int) -> str:
    return trans_real.translation(context.get("language") or translation.get_language()).ngettext(singular, plural, number)


def _configure(environment: jinja2.Environment) -> jinja2.Environment:
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)
    environment.policies["ext.i18n.trimmed"] = True  # as Django's ``blocktranslate trimmed``
    environment.filters.update(date=_date, linebreaksbr=linebreaksbr)
    return environment


@cache
def message_templates() -> jinja2.Environment:
    """The default templates, loaded from the app and compiled once (reloaded when DEBUG is on)."""
    return _configure(jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        extensions=["jinja2.ext.i18n"], undefined=jinja2.ChainableUndefined, auto_reload=settings.DEBUG,
    ))


@cache
def override_templates(*, html: bool) -> SandboxedEnvironment:
    """The engine of the operators' overrides: the same syntax, filters and translations, sandboxed."""
    return _configure(SandboxedEnvironment(autoescape=html, extensions=["jinja2.ext.i18n"], undefined=jinja2.ChainableUndefined))


def template_render(name: str, context: dict) -> str:
    return message_templates().get_template(name).render(context)
