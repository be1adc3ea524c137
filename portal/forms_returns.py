"""Starting a return in the portal: per shipped line how many units, why, and (for an exchange)
what comes instead; the resolution and a comment. The form checks what a person can get wrong
on the page (quantities beyond what may still come back, a reason missing or needing words);
``returns.services.return_request`` checks again under the order's lock."""

from django import forms
from django.utils.translation import gettext_lazy as _

from returns.models import Resolution
from returns.services import ReturnLineData

from .return_status import reason_words

RESOLUTION_CHOICES = [
    (Resolution.REFUND, _("Refund to my original payment")),
    (Resolution.EXCHANGE, _("Exchange for another size or colour")),
    (Resolution.STORE_CREDIT, _("Store credit")),
]
# The service's names for a line's parts, and the form's.
SERVICE_PARTS = {"quantity": "quantity", "reason": "reason", "reason_text": "reason_text", "exchange_sku": "exchange", "exchange_quantity": "exchange",
                 "line_number": "quantity"}


class ReturnStartForm(forms.Form):
    """``returnable``: the order's lines (``returns.selectors.ReturnableLine``); ``reasons``: the
    active reasons; ``candidates``: per SKU, the products an exchange may send."""

    resolution = forms.ChoiceField(label=_("What would you like?"), choices=RESOLUTION_CHOICES, widget=forms.RadioSelect, initial=Resolution.REFUND)
    comment = forms.CharField(label=_("Anything else we should know? (optional)"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, returnable, reasons, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = [item for item in returnable if item.left > 0]
        self.reasons = {reason.code: reason for reason in reasons}
        reason_choices = [("", _("Choose a reason"))] + [(reason.code, reason_words(reason)) for reason in reasons]
        for item in self.returnable:
            number = item.line.line_number
            self.fields[f"quantity_{number}"] = forms.IntegerField(
                label=_("How many to return (up to %(left)s)") % {"left": item.left}, min_value=0, required=False, initial=0,
                widget=forms.NumberInput(attrs={"min": 0, "max": item.left, "inputmode": "numeric"}),
            )
            self.fields[f"reason_{number}"] = forms.ChoiceField(label=_("Reason"), choices=reason_choices, required=False)
            self.fields[f"reason_text_{number}"] = forms.CharField(
                label=_("Tell us more (needed for “Other”)"), max_length=500, required=False,
            )
            options = candidates.get(item.line.sku) or []
            if options:
                self.fields[f"exchange_{number}"] = forms.ChoiceField(
                    label=_("Replacement (exchange only)"), required=False,
                    choices=[("", _("No replacement"))] + [(product.sku, f"{product.name} ({product.sku})") for product in options],
                )

    def rows(self):
        """Per returnable line: the line and its bound fields, as the template lays them out."""
        for item in self.returnable:
            number = item.line.line_number
            yield {
                "item": item, "quantity": self[f"quantity_{number}"], "reason": self[f"reason_{number}"],
                "reason_text": self[f"reason_text_{number}"],
                "exchange": self[f"exchange_{number}"] if f"exchange_{number}" in self.fields else None,
            }

    def clean(self):
        data = super().clean()
        resolution = data.get("resolution")
        chosen = 0
        replacements = 0
        for item in self.returnable:
            number = item.line.line_number
            quantity = data.get(f"quantity_{number}") or 0
            exchange = data.get(f"exchange_{number}") or ""
            if exchange and resolution and resolution != Resolution.EXCHANGE:
                self.add_error(f"exchange_{number}", _("A replacement is only sent for an exchange; choose “Exchange” or no replacement."))
            if not quantity:
                continue
            chosen += 1
            if quantity > item.left:
                self.add_error(f"quantity_{number}", _("At most %(left)s can still come back.") % {"left": item.left})
            reason = self.reasons.get(data.get(f"reason_{number}") or "")
            if reason is None:
                self.add_error(f"reason_{number}", _("Choose why you are returning it."))
            elif reason.needs_text and not (data.get(f"reason_text_{number}") or "").strip():
                self.add_error(f"reason_text_{number}", _("Tell us in a few words."))
            replacements += bool(exchange)
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose at least one item and how many of it to return."))
        if resolution == Resolution.EXCHANGE and chosen and not replacements:
            raise forms.ValidationError(_("For an exchange, choose the replacement of at least one item."))
        return data

    def lines(self) -> list[ReturnLineData]:
        """The chosen lines as the returns service takes them (after ``is_valid()``)."""
        data = self.cleaned_data
        return [
            ReturnLineData(
                line_number=item.line.line_number, quantity=data[f"quantity_{item.line.line_number}"],
                reason=data[f"reason_{item.line.line_number}"], reason_text=(data.get(f"reason_text_{item.line.line_number}") or "").strip(),
                exchange_sku=data.get(f"exchange_{item.line.line_number}") or "" if data["resolution"] == Resolution.EXCHANGE else "",
            )
            for item in self.returnable if data.get(f"quantity_{item.line.line_number}")
        ]

    def add_service_errors(self, fields: dict, lines: list[ReturnLineData]) -> None:
        """``lines[i].part`` errors of the service on the i-th chosen line's field; others on the form."""
        for path, messages in fields.items():
            target = None
            if path.startswith("lines[") and "]." in path:
                index, part = path[len("lines["):].split("].", 1)
                if index.isdigit() and int(index) < len(lines):
                    name = f"{SERVICE_PARTS.get(part, 'quantity')}_{lines[int(index)].line_number}"
                    target = name if name in self.fields else None
            elif path in self.fields:
                target = path
            for message in messages:
                self.add_error(target, message)
