"""``{{ amount|money:currency }}``: an amount as customers read it (the currency's minor unit)."""

from django import template

from oms.money import money_text

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    return money_text(amount, currency)
