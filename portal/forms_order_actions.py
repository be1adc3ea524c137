"""The customer's forms for an order that has not reached fulfillment: a new shipping address, a
cancellation. Validation of substance is the orders services' (their errors come back on the
fields); these forms only take what a person types."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from orders.services import AddressData

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


class ShippingAddressForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=255)
    line1 = forms.CharField(label=_("Street and number"), max_length=255)
    line2 = forms.CharField(label=_("Address line 2 (optional)"), max_length=255, required=False)
    city = forms.CharField(label=_("City"), max_length=120)
    region = forms.CharField(label=_("State or region (optional)"), max_length=120, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"))
    phone = forms.CharField(label=_("Phone (optional, e.g. +14155550123)"), max_length=32, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = list(countries)
        for name, autocomplete in (("name", "name"), ("line1", "address-line1"), ("line2", "address-line2"), ("city", "address-level2"),
                                   ("region", "address-level1"), ("postal_code", "postal-code"), ("country", "country"), ("phone", "tel")):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    @classmethod
    def initial_from(cls, order) -> dict:
        stored = order.shipping_address or {}
        return {**{name: stored.get(name, "") for name in ADDRESS_FIELDS}, "version": order.version}

    def address(self) -> AddressData:
        data = self.cleaned_data
        return AddressData(**{name: (data.get(name) or "").strip() for name in ADDRESS_FIELDS})

    def add_service_errors(self, fields: dict) -> None:
        """The service's ``shipping_address.<part>`` errors on the matching fields; the rest on the form."""
        for path, messages in fields.items():
            part = path.rsplit(".", 1)[-1]
            for message in messages:
                self.add_error(part if part in self.fields else None, message)


class CancelOrderForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling? (optional)"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3}))
