"""Console forms for returns: the inspection of a received return, one small form per line."""

from django import forms
from django.core.validators import MaxValueValidator

from oms.errors import InvalidInput

from .models import Condition, Disposition, ReturnLine
from .services import InspectionData

CHOOSE = [("", "— choose —")]
# What a unit in this condition may not become: a damaged unit or someone else's item is not sellable as it is.
NOT_SELLABLE = {Condition.DAMAGED, Condition.WRONG_ITEM}


class LineInspectionForm(forms.Form):
    """What inspection found of one return line's received units and where they go."""

    condition = forms.ChoiceField(choices=CHOOSE + Condition.choices, error_messages={"required": "Choose the units' condition."})
    disposition = forms.ChoiceField(choices=CHOOSE + Disposition.choices, error_messages={"required": "Choose where the units go."})
    quantity_accepted = forms.IntegerField(min_value=0, label="Units accepted")
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, line: ReturnLine, **kwargs):
        number = line.order_line.line_number
        super().__init__(*args, prefix=f"line{number}", initial={"quantity_accepted": line.quantity_received}, **kwargs)
        self.line = line
        what = f"line {number} ({line.order_line.sku})"
        accepted = self.fields["quantity_accepted"]
        accepted.max_value = line.quantity_received
        accepted.widget.attrs.update(max=line.quantity_received, min=0)
        accepted.validators.append(MaxValueValidator(line.quantity_received))
        accepted.error_messages["max_value"] = f"At most the {line.quantity_received} received."
        accepted.error_messages["required"] = "Say how many units are accepted (0 refuses them all)."
        for name, label in (("condition", "Condition"), ("disposition", "Disposition"), ("quantity_accepted", "Units accepted"), ("note", "Note")):
            self.fields[name].label = f"{label} of {what}"

    def clean(self):
        data = super().clean()
        if data.get("condition") in NOT_SELLABLE and data.get("disposition") == Disposition.RESTOCK:
            self.add_error("disposition", f"{Condition(data['condition']).label} units are not sellable: refurbish, quarantine, scrap or return them to the vendor.")
        accepted = data.get("quantity_accepted")
        if accepted is not None and accepted < self.line.quantity_received and not (data.get("note") or "").strip():
            self.add_error("note", f"Say why {self.line.quantity_received - accepted} unit(s) are refused.")
        return data

    def inspection(self) -> InspectionData:
        data = self.cleaned_data
        return InspectionData(
            line_number=self.line.order_line.line_number, condition=data["condition"], disposition=data["disposition"],
            quantity_accepted=data["quantity_accepted"], note=data["note"].strip(),
        )


def inspection_forms(lines: list[ReturnLine], data=None) -> list[LineInspectionForm]:
    """A form per line with units received (bound when ``data`` is given)."""
    return [LineInspectionForm(data, line=line) for line in lines if line.quantity_received]


def inspection_entries(forms_: list[LineInspectionForm]) -> list[InspectionData]:
    """The inspection the bound forms describe; :class:`InvalidInput` naming every field to fix."""
    problems = {}
    for form in forms_:
        if not form.is_valid():
            for name, errors in form.errors.items():
                problems[form.fields[name].label if name in form.fields else f"line {form.line.order_line.line_number}"] = list(errors)
    if problems:
        raise InvalidInput("The inspection is incomplete; nothing was recorded.", fields=problems)
    return [form.inspection() for form in forms_]
