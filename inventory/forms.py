"""Forms of the operator console that feed stock services; they coerce types, services judge."""

from django import forms

from .models import Location, StockMovement

ADJUSTMENT_KINDS = [
    (kind.value, kind.label)
    for kind in (StockMovement.Kind.ADJUSTMENT, StockMovement.Kind.COUNT_CORRECTION, StockMovement.Kind.RETURN_RESTOCK)
]


class LocationChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Location.objects.filter(is_active=True).order_by("priority", "code"), to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


class StockReceiveForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    location = LocationChoiceField()
    quantity = forms.IntegerField(help_text="Units received, above zero.")
    reference = forms.CharField(max_length=120, required=False, help_text="Delivery note, purchase order or ASN number.")


class StockAdjustForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64)
    location = LocationChoiceField()
    quantity = forms.IntegerField(help_text="Signed: -3 takes three units off on hand, 5 adds five.")
    kind = forms.ChoiceField(label="Type", choices=ADJUSTMENT_KINDS, initial=StockMovement.Kind.ADJUSTMENT)
    reason = forms.CharField(max_length=255, required=False, help_text="Why; kept on the ledger row.")
    reference = forms.CharField(max_length=120, required=False)


# The steps of quarantine a stock row's form offers: set units aside, sell them again, write them off.
QUARANTINE_STEPS = [
    ("quarantine", "Quarantine units (still on hand, not sold)"),
    ("release", "Release from quarantine (sellable again)"),
    ("scrap", "Scrap quarantined units (written off)"),
]


class StockQuarantineForm(StockAdjustForm):
    """The adjustment form's fields with a quarantine step instead of an adjustment type."""

    kind = None
    step = forms.ChoiceField(choices=QUARANTINE_STEPS, initial="quarantine")
    quantity = forms.IntegerField(help_text="Units, above zero.")
    reason = forms.CharField(max_length=255, help_text="Why; kept on the ledger row.", error_messages={"required": "A reason is required."})

    field_order = ["sku", "location", "step", "quantity", "reason", "reference"]


class TransferCreateForm(forms.Form):
    source = LocationChoiceField()
    destination = LocationChoiceField()
    reference = forms.CharField(max_length=120, required=False)


class TransferLineForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64, required=False)
    quantity = forms.IntegerField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("sku") and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", "Required for a line with a SKU.")
        return data


TransferLineFormSet = forms.formset_factory(TransferLineForm, extra=5)
