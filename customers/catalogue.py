"""Catalogue rules: what a customer group may buy, and in what quantities (minimums, case packs).

A line's rule is its SKU's rule, else its category's; a group with ``catalogue_restricted`` may
buy only what a rule allows. A quantity below the minimum or not a whole number of cases is
rounded up (to the minimum, then to whole cases) or refused, as the rule says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from .models import CatalogueRule, CustomerGroup


@dataclass(frozen=True)
class LineVerdict:
    """What the rules make of one line: refused (with the reason), or its quantity (maybe rounded)."""

    quantity: int
    refused: str = ""
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

    def judge(self, sku: str, category: str, quantity: int) -> LineVerdict:
        if self.group is None:
            return LineVerdict(quantity)
        rule = self.rule_for(sku, category)
        if rule is None:
            if self.group.catalogue_restricted:
                return LineVerdict(quantity, refused=f"{sku} is not in the catalogue of {self.group.name}: remove the line.", field="sku")
            return LineVerdict(quantity)
        if not rule.allowed:
            return LineVerdict(quantity, refused=f"{self.group.name} may not buy {sku}: remove the line.", field="sku")
        wanted = quantity
        if rule.min_quantity and wanted < rule.min_quantity:
            wanted = rule.min_quantity
        if rule.case_pack and wanted % rule.case_pack:
            wanted += rule.case_pack - wanted % rule.case_pack
        if wanted == quantity:
            return LineVerdict(quantity)
        terms = ", ".join(
            part for part in (f"at least {rule.min_quantity}" if rule.min_quantity else "", f"in cases of {rule.case_pack}" if rule.case_pack else "") if part
        )
        if rule.on_mismatch == CatalogueRule.Mismatch.ROUND_UP:
            return LineVerdict(wanted, rounded=f"{sku}: {quantity} rounded up to {wanted} ({terms})")
        return LineVerdict(quantity, refused=f"{sku} is sold to {self.group.name} {terms}: order {wanted} instead of {quantity}.")


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
