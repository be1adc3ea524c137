from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm

from .lockout import LockoutExplainedMixin


class ConsoleAuthenticationForm(LockoutExplainedMixin, AdminAuthenticationForm):
    """The console's sign-in form: the admin's own, saying so when sign-ins are locked out."""


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "size": 12}),
    )
