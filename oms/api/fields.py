"""Serializer fields shared by every app's API."""

from rest_framework import serializers

from oms.money import quantize


class MoneyField(serializers.DecimalField):
    """A read-only amount as a string in its currency's minor unit: ``"12.50"`` USD, ``"1250"`` JPY.

    ``currency`` names the attribute path of the currency code on the serialized object
    (``"currency"`` on an order, ``"order.currency"`` on one of its lines).
    """

    def __init__(self, *, currency: str = "currency", **kwargs):
        kwargs["read_only"] = True
        # No precision here: the currency sets it, per value.
        super().__init__(max_digits=None, decimal_places=None, coerce_to_string=True, **kwargs)
        self.currency_path = currency.split(".")

    def get_attribute(self, instance):
        amount = super().get_attribute(instance)
        currency = instance
        for name in self.currency_path:
            currency = getattr(currency, name)
        return amount, currency

    def to_representation(self, value):
        amount, currency = value
        if amount is None:
            return None
        return str(quantize(amount, currency))
