"""Serializer fields shared by every app's API."""

from rest_framework import serializers

from oms.money import quantize

# The largest whole numbers the columns hold (PostgreSQL integer and bigint). Every integer a request
# carries is bounded by one of them, so a larger one is a 400 naming the field, never a query that
# fails (tests/api/test_bounded_inputs.py walks the schema for it).
MAX_INTEGER = 2**31 - 1
MAX_BIGINT = 2**63 - 1


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
