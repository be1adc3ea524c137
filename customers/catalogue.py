"""Catalogue rules: what a customer group may buy, and in what quantities (minimums, case packs).

A line's rule is its SKU's rule, else its category's; a group with ``catalogue_restricted`` may
buy only what a rule allows. A quantity below the minimum or not a whole number of cases is
rounded up (to the minimum, then to whole cases) or refused, as the rule says.

A refusal is said to the buyer, so it is translatable (``customers/locale``) and lazy: it is put
into words in the language active where it is shown (English for the console and the API, the
buyer's on a portal page). What was rounded is recorded on the order for staff, in English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import CatalogueRule, CustomerGroup


@dataclass(frozen=True)
class LineVerdict:
    """What the rules make of one line: refused (with the reason), or its quantity (maybe rounded)."""

    quantity: int
    refused: str | Promise = ""  # lazy: str() it where it is shown
    rounded: str = ""
    field: str = "quantity"  # what a refusal is about: the line's sku or its quantity


class Catalogue:
    """A group's rules for the SKUs and categories of one order, read in one query."""

    def __init__(self, group: CustomerGroup | None, rules: Iterable[CatalogueRule] = ()):
        self.group = group
        self.by_sku = {}
        self.by_category = {}
        for rule in rules:
            if rule.sku:
                self.by_sku[rule.sku] = rule
            else:
                self.by_category[rule.category] = rule

    def rule_for(self, sku: str, category: str) -> CatalogueRule | None:
        return self.by_sku.get(sku) or (self.by_category.get(category) if category else None)

    def terms(self, rule: CatalogueRule) -> Promise:
        """How ``rule`` sells, in words: "at least 10, in cases of 6" (lazy)."""
        parts = [format_lazy(_("at least {units}"), units=rule.min_quantity)] if rule.min_quantity else []
        parts += [format_lazy(_("in cases of {units}"), units=rule.case_pack)] if rule.case_pack else []
        return format_lazy(", ".join("{}" for _part in parts), *parts)

    def judge(self, sku: str, category: str, quantity: int) -> LineVerdict:
        if self.group is None:
            return LineVerdict(quantity)
        rule = self.rule_for(sku, category)
        if rule is None:
            if self.group.catalogue_restricted:
                return LineVerdict(quantity, field="sku", refused=format_lazy(
                    _("{sku} is not in the catalogue of {group}: remove the line."), sku=sku, group=self.group.name))
            return LineVerdict(quantity)
        if not rule.allowed:
            return LineVerdict(quantity, field="sku", refused=format_lazy(_("{group} may not buy {sku}: remove the line."), group=self.group.name, sku=sku))
        wanted = quantity
        if rule.min_quantity and wanted < rule.min_quantity:
            wanted = rule.min_quantity
        if rule.case_pack and wanted % rule.case_pack:
            wanted += rule.case_pack - wanted % rule.case_pack
        if wanted == quantity:
            return LineVerdict(quantity)
        terms = self.terms(rule)
        if rule.on_mismatch == CatalogueRule.Mismatch.ROUND_UP:
            with translation.override("en"):
                return LineVerdict(wanted, rounded=f"{sku}: {quantity} rounded up to {wanted} ({terms})")
        return LineVerdict(quantity, refused=format_lazy(
            _("{sku} is sold to {group} {terms}: order {wanted} instead of {quantity}."), sku=sku, group=self.group.name, terms=terms,
            wanted=wanted, quantity=quantity,
        ))


NO_RULES = Catalogue(None)


def catalogue_for(group: CustomerGroup | None, *, skus: Iterable[str], categories: Iterable[str]) -> Catalogue:
    """The rules of ``group`` for these SKUs and categories: one query, none without a group."""
    if group is None:
        return NO_RULES
    categories = {c for c in categories if c}
    wanted = Q(sku__in=set(skus))
    if categories:
        wanted |= Q(category__in=categories, sku="")
    return Catalogue(group, CatalogueRule.objects.filter(wanted, customer_group=group))
