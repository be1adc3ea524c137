"""The business buyer's forms: rows to order in bulk (pasted or uploaded), where to ship them and
under which purchase-order reference, and the address book of ship-to addresses."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerAddress
from orders.services import AddressData
from orders.services.intake import MAX_PO_REFERENCE, address_doubts

from .bulk_rows import MAX_TEXT_CHARS, MAX_UPLOAD_BYTES, RowsRefused, rows_from_text, rows_from_upload

TOKEN = re.compile(r"^[0-9a-f]{32}$")


class BulkRowsForm(forms.Form):
    """Step 1: the rows, pasted or in a file (a file wins and its rows come back as text)."""

    rows = forms.CharField(
        label=_("SKU and quantity, one line each"), required=False, max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Paste from a spreadsheet or type “SKU, quantity”; tab, semicolon or comma between them. A header row is skipped."),
    )
    file = forms.FileField(
        label=_("Or upload a CSV or Excel (XLSX) file"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
        help_text=_("SKU in the first column, quantity in the second; at most 500 rows and 1 MB."),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        self.parsed = []
        try:
            if upload:
                if upload.size > MAX_UPLOAD_BYTES:
                    raise RowsRefused(_("The file is larger than 1 MB; an order has at most 500 rows, so split it."))
                self.parsed = rows_from_upload(upload.read(), upload.name)
            elif (data.get("rows") or "").strip():
                self.parsed = rows_from_text(data["rows"])
        except RowsRefused as refused:
            self.add_error("file" if upload else "rows", str(refused))
            return data
        if not self.parsed and not self.errors:
            self.add_error("rows", _("Paste or type at least one line “SKU, quantity”, or upload a file."))
        return data


class PlaceOrderForm(forms.Form):
    """Step 2: where the order goes and the buyer's reference; the token makes a second click
    (or a reload) answer the order the first one placed."""

    address = forms.TypedChoiceField(label=_("Ship to"), coerce=int, empty_value=None)
    po_reference = forms.CharField(label=_("Your purchase-order reference"), max_length=MAX_PO_REFERENCE, required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=32)
    checked = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args, addresses, po_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = [(address.pk, address_label(address)) for address in addresses]
        if po_required:
            self.fields["po_reference"].required = True
            self.fields["po_reference"].label = _("Your purchase-order reference (required for your account)")
            self.fields["po_reference"].error_messages["required"] = _("Your account orders with a purchase-order reference: enter it here.")
        else:
            self.fields["po_reference"].label = _("Your purchase-order reference (optional)")
        self.fields["po_reference"].widget.attrs["autocomplete"] = "off"

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not TOKEN.match(token):
            raise forms.ValidationError(_("The form is damaged: check the lines again."))
        return token


def address_label(address: CustomerAddress) -> str:
    parts = [address.label] if address.label else []
    parts += [address.name, address.line1, f"{address.postal_code} {address.city}".strip(), str(address.country)]
    return " · ".join(part for part in parts if part)


ADDRESS_PARTS = {"postal code": "postal_code", "region": "region", "street": "line1", "city": "city", "name": "name"}


class CustomerAddressForm(forms.ModelForm):
    """A ship-to (or bill-to) address of the account, checked as intake checks a shipping
    address, so an order sent there is not held for its address."""

    class Meta:
        model = CustomerAddress
        fields = ("kind", "label", "name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone",
                  "is_default_shipping", "is_default_billing")
        labels = {
            "kind": _("Used for"), "label": _("Your name for it (optional, e.g. Main warehouse)"), "name": _("Contact name"),
            "company": _("Company (optional)"), "line1": _("Street and number"), "line2": _("Address line 2 (optional)"),
            "postal_code": _("Postal code"), "city": _("City"), "region": _("State or region"), "country": _("Country"),
            "phone": _("Phone (optional, e.g. +14155550123)"), "is_default_shipping": _("Ship here unless I choose otherwise"),
            "is_default_billing": _("Send invoices here"),
        }
        help_texts = {"label": "", "phone": ""}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, autocomplete in (("name", "name"), ("company", "organization"), ("line1", "address-line1"), ("line2", "address-line2"),
                                   ("city", "address-level2"), ("region", "address-level1"), ("postal_code", "postal-code"),
                                   ("country", "country"), ("phone", "tel")):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        draft = AddressData(**{name: str(data.get(name) or "") for name in ("name", "line1", "line2", "city", "region", "postal_code", "country")})
        for doubt in address_doubts(draft):
            field = next((name for word, name in ADDRESS_PARTS.items() if word in doubt), None)
            self.add_error(field, _("Check this: %(doubt)s.") % {"doubt": doubt})
        return data

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}
