from django_countries import countries
from phonenumber_field.phonenumber import PhoneNumber, to_python
from rest_framework import serializers

from customers.models import Customer, CustomerAddress


class E164PhoneField(serializers.CharField):
    """A phone number in E.164 (``+14155550123``); other formats are refused, blank clears it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "E.164, e.g. `+14155550123`; empty to clear.")
        super().__init__(max_length=32, allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data).strip()
        if not text:
            return ""
        number = to_python(text)
        if not text.startswith("+") or not isinstance(number, PhoneNumber) or not number.is_valid():
            raise serializers.ValidationError("Not a valid phone number in E.164, e.g. +14155550123.")
        return number.as_e164

    def to_representation(self, value):
        return value.as_e164 if isinstance(value, PhoneNumber) and value.is_valid() else str(value or "")


class CountryCodeField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2, e.g. `US`.", **kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).strip().upper()
        if code not in countries:
            raise serializers.ValidationError(f"{code!r} is not an ISO 3166-1 alpha-2 country code.")
        return code

    def to_representation(self, value):
        return getattr(value, "code", value) or ""


# --- input -------------------------------------------------------------------------------------


class CustomerCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Unique; stored lower-case. An e-mail on file already is refused (409).")
    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    first_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    company_name = serializers.CharField(max_length=200, allow_blank=True, default="")
    vat_number = serializers.CharField(max_length=40, allow_blank=True, default="", help_text="VAT / tax id.")
    phone = E164PhoneField(default="")
    group = serializers.CharField(max_length=32, allow_null=True, allow_blank=True, default=None, help_text="Customer group code.")
    email_opt_in = serializers.BooleanField(default=True, help_text="Send notifications by e-mail.")
    sms_opt_in = serializers.BooleanField(default=False, help_text="Send notifications by SMS.")
    po_reference_required = serializers.BooleanField(default=False, help_text="Orders of this customer need a purchase-order reference (its group may require one too).")


class CustomerUpdateSerializer(serializers.Serializer):
    """A partial change: only the fields sent are changed. The e-mail cannot change."""

    kind = serializers.ChoiceField(choices=Customer.Kind.choices, required=False)
    first_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=100, allow_blank=True, required=False)
    company_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    vat_number = serializers.CharField(max_length=40, allow_blank=True, required=False)
    phone = E164PhoneField(required=False)
    group = serializers.CharField(max_length=32, allow_null=True, allow_blank=True, required=False, help_text="Group code; null to remove.")
    email_opt_in = serializers.BooleanField(required=False)
    sms_opt_in = serializers.BooleanField(required=False)
    po_reference_required = serializers.BooleanField(required=False, help_text="Orders of this customer need a purchase-order reference (its group may require one too).")

    def to_internal_value(self, data):
        if isinstance(data, dict) and "email" in data:
            raise serializers.ValidationError({"email": ["The e-mail cannot be changed; it is the key channels match customers on."]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class CustomerAddressCreateSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40, allow_blank=True, default="", help_text="E.g. `home`, `office`.")
    kind = serializers.ChoiceField(choices=CustomerAddress.Kind.choices, default=CustomerAddress.Kind.SHIPPING, help_text="A ship-to or a bill-to address.")
    name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, allow_blank=True, default="")
    line1 = serializers.CharField(max_length=255)
    line2 = serializers.CharField(max_length=255, allow_blank=True, default="")
    city = serializers.CharField(max_length=120)
    region = serializers.CharField(max_length=120, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, allow_blank=True, default="")
    country = CountryCodeField()
    phone = E164PhoneField(default="")
    is_default_shipping = serializers.BooleanField(default=False, help_text="Make it the default; the previous default loses the flag.")
    is_default_billing = serializers.BooleanField(default=False, help_text="Make it the default; the previous default loses the flag.")


# --- output ------------------------------------------------------------------------------------


class CustomerAddressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=CustomerAddress.Kind.choices)
    name = serializers.CharField()
    company = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = CountryCodeField()
    phone = E164PhoneField()
    is_default_shipping = serializers.BooleanField()
    is_default_billing = serializers.BooleanField()


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Customer.Kind.choices)
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    company_name = serializers.CharField()
    vat_number = serializers.CharField()
    phone = E164PhoneField()
    group = serializers.CharField(source="group.code", allow_null=True, default=None, help_text="Customer group code, or null.")
    email_opt_in = serializers.BooleanField()
    sms_opt_in = serializers.BooleanField()
    po_reference_required = serializers.BooleanField(help_text="Orders of this customer need a purchase-order reference (its group may require one too).")
    addresses = CustomerAddressSerializer(many=True, source="address_list")
    version = serializers.IntegerField(help_text="Rises with every change; the `ETag` of this customer.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StoreCreditEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="credit, spend or adjust.")
    amount = serializers.DecimalField(max_digits=None, decimal_places=None, help_text="Signed: a spend is negative.")
    balance_after = serializers.DecimalField(max_digits=None, decimal_places=None)
    reference = serializers.CharField(help_text="What caused it: an order or RMA number.")
    note = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    created_at = serializers.DateTimeField()


class StoreCreditAccountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=None, decimal_places=None, help_text="Never below zero.")
    entries = StoreCreditEntrySerializer(many=True, source="entry_list", help_text="The newest ledger lines, newest first (at most 50).")


class StoreCreditSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    accounts = StoreCreditAccountSerializer(many=True, help_text="One per currency the customer has store credit in.")
