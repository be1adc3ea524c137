"""Forms of the operator console that feed order services.

The forms only coerce types; whether an order is acceptable is for intake to say, so a phone
order is judged exactly like an API order and intake's field errors are shown on these forms.
"""

import uuid
from urllib.parse import quote

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db.models import Case, When
from django.http import QueryDict
from django_countries import countries

from customers.models import Customer, CustomerAddress
from inventory.models import Product
from oms.money import quantize

from .models import WOOCOMMERCE_URL_HELP, Channel, ChannelConnection, ChannelLocationMap, HoldReason, PaymentStatus
from .services import AddressData, LineData, OrderIntakeData
from .services.channel_locations import channel_location_map_refusal
from .services.intake import INTAKE_PAYMENT_STATUSES

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")


def phone_order_reference() -> str:
    # Drawn when the form is shown, so submitting the same form twice finds the first order
    # through intake's (channel, external_id) rule instead of recording a second one.
    return f"PH-{uuid.uuid4().hex[:12].upper()}"


class PhoneOrderForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.filter(is_active=True), to_field_name="code", empty_label=None)
    external_id = forms.CharField(
        label="Reference", max_length=100, required=False,
        help_text="Pre-filled; submitting this form twice records the order only once.",
    )
    currency = forms.CharField(max_length=3, initial="USD")
    po_reference = forms.CharField(
        label="Customer's PO reference", max_length=64, required=False,
        help_text="The buyer's purchase-order number; required for customers whose account says so.",
    )
    payment_status = forms.ChoiceField(
        choices=[(value, label) for value, label in PaymentStatus.choices if value in INTAKE_PAYMENT_STATUSES],
        initial=PaymentStatus.PENDING,
        help_text="Pending puts the order on a payment hold until payment is authorised.",
    )
    email = forms.CharField(label="Customer email", max_length=254, required=False)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(label="Customer phone", max_length=32, required=False, help_text="E.164, e.g. +14155550123.")
    ship_name = forms.CharField(label="Ship to name", max_length=200, required=False)
    ship_line1 = forms.CharField(label="Street", max_length=255, required=False)
    ship_line2 = forms.CharField(label="Street (2)", max_length=255, required=False)
    ship_city = forms.CharField(label="City", max_length=120, required=False)
    ship_region = forms.CharField(label="Region / state", max_length=120, required=False)
    ship_postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    ship_country = forms.ChoiceField(label="Country", choices=[("", "---------")] + list(countries), required=False)
    ship_phone = forms.CharField(label="Delivery phone", max_length=32, required=False)
    ship_pickup_point = forms.CharField(
        label="Pickup point id", max_length=64, required=False,
        help_text="The carrier's id of the pickup point or locker the customer chose; blank: delivery to the door.",
    )
    ship_pickup_point_name = forms.CharField(label="Pickup point name", max_length=200, required=False)
    shipping_price = forms.DecimalField(max_digits=14, decimal_places=3, initial=0, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Kept on the order's timeline.")

    fieldsets = (
        ("Order", ("channel", "external_id", "po_reference", "currency", "payment_status", "shipping_price")),
        ("Customer", ("email", "first_name", "last_name", "phone")),
        ("Shipping address", ("ship_name", "ship_line1", "ship_line2", "ship_city", "ship_region", "ship_postal_code", "ship_country", "ship_phone",
                              "ship_pickup_point", "ship_pickup_point_name")),
        ("Note", ("note",)),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].initial = Channel.objects.filter(code="phone", is_active=True).values_list("code", flat=True).first()
        if not self.is_bound:
            self.fields["external_id"].initial = phone_order_reference()

    def grouped(self):
        """``(title, bound fields)`` per fieldset, for the template."""
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]

    # Intake names fields by their place in the API's JSON; these are the same fields here.
    error_paths = {
        "customer.email": "email",
        "customer.phone": "phone",
        "shipping_address": "ship_line1",
        **{f"shipping_address.{name}": f"ship_{name}" for name in (*ADDRESS_FIELDS, "pickup_point", "pickup_point_name")},
    }


class PhoneOrderLineForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=64, required=False)
    # No minimum here: intake says what a valid quantity is, for every channel alike.
    quantity = forms.IntegerField(required=False)
    unit_price = forms.DecimalField(max_digits=14, decimal_places=3, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The boxes sit under the table's column headings; each still needs a name of its own
        # ("SKU, line 1") for a screen reader and for anyone finding it by its label.
        row = (self.prefix or "").rpartition("-")[2]
        number = int(row) + 1 if row.isdigit() else 1
        for name in self.fields:
            self.fields[name].widget.attrs["aria-label"] = f"{self[name].label}, line {number}"

    def clean(self):
        data = super().clean()
        if data.get("sku"):
            if data.get("quantity") is None and "quantity" not in self.errors:
                self.add_error("quantity", "Required for a line with a SKU.")
            if data.get("unit_price") is None and "unit_price" not in self.errors:
                # Left empty, the price was filled from the catalogue (phone_order_fill) if it had one.
                self.add_error("unit_price", "Type the price: the catalogue has none for this SKU in the order's currency.")
        return data

    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(name) not in (None, "") for name in ("sku", "quantity", "unit_price"))


MAX_FORM_LINES = 60


@dataclass(frozen=True)
class CataloguePrice:
    """What the catalogue says of a line's SKU, shown next to the line."""

    name: str
    price: Decimal | None  # None: priced in another currency than the order's
    currency: str


def _customer_with_address(email: str) -> tuple[Customer | None, CustomerAddress | None]:
    """The customer with this email and their default shipping address (else their first one)."""
    customer = Customer.objects.filter(email=email.strip().lower()).first() if email.strip() else None
    if customer is None:
        return None, None
    address = customer.addresses.order_by("-is_default_shipping", "id").first()
    return customer, address


def phone_order_initial(customer_id: str) -> dict:
    """A new phone order's form filled for a chosen customer (``?customer=<id>``)."""
    email = Customer.objects.filter(pk=customer_id).values_list("email", flat=True).first() if customer_id.isdigit() else None
    if email is None:
        return {}
    filled, _catalogue = phone_order_fill(QueryDict(f"email={quote(email)}"))
    return {name: value for name, value in filled.items() if value}


def phone_order_lines(data: QueryDict, prefix: str = "lines") -> list[dict]:
    """The line rows of posted phone-order data, blank ones included (they keep their place)."""
    total = data.get(f"{prefix}-TOTAL_FORMS", "")
    count = min(int(total), MAX_FORM_LINES) if total.isdigit() else 0
    return [{name: data.get(f"{prefix}-{index}-{name}", "") for name in ("sku", "quantity", "unit_price")} for index in range(count)]


def phone_order_fill(data: QueryDict, prefix: str = "lines") -> tuple[QueryDict, dict[str, CataloguePrice]]:
    """What the system already knows, put into the blanks of a phone order: the customer's name,
    phone and default shipping address (found by email), the ship-to name (the address's, else the
    customer's name), and each line's unit price from the catalogue when it is in the order's
    currency. Returns the filled data and the catalogue entry of each SKU typed."""
    data = data.copy()

    def blank(name: str) -> bool:
        return not (data.get(name) or "").strip()

    customer, address = _customer_with_address(data.get("email", ""))
    if customer is not None:
        for name in ("first_name", "last_name"):
            if blank(name):
                data[name] = getattr(customer, name)
        if blank("phone") and customer.phone:
            data["phone"] = str(customer.phone)
        if address is not None and all(blank(f"ship_{name}") for name in ("line1", "line2", "city", "region", "postal_code", "country")):
            for name in ("line1", "line2", "city", "region", "postal_code", "phone"):
                data[f"ship_{name}"] = str(getattr(address, name) or "")
            data["ship_country"] = str(address.country)
            if blank("ship_name"):
                data["ship_name"] = address.name
    if blank("ship_name"):
        data["ship_name"] = " ".join(part for part in (data.get("first_name", "").strip(), data.get("last_name", "").strip()) if part) or (
            customer.display_name if customer is not None else ""
        )
    currency = (data.get("currency") or "").strip().upper()
    rows = [key[: -len("-sku")] for key in data if key.startswith(f"{prefix}-") and key.endswith("-sku") and data.get(key, "").strip()]
    skus = {data[f"{row}-sku"].strip() for row in rows}
    catalogue = {
        product.sku: CataloguePrice(product.name, quantize(product.price, currency) if product.currency == currency else None, product.currency)
        for product in Product.objects.filter(sku__in=skus).only("sku", "name", "price", "currency")
    }
    for row in rows:
        found = catalogue.get(data[f"{row}-sku"].strip())
        if found is not None and found.price is not None and blank(f"{row}-unit_price"):
            data[f"{row}-unit_price"] = str(found.price)
    return data, catalogue


def phone_order_line_formset(rows: int = 4):
    """A formset of ``rows`` blank line rows (the operator asks for more when an order is long)."""
    rows = max(1, min(rows, MAX_FORM_LINES))
    return forms.formset_factory(PhoneOrderLineForm, extra=rows, max_num=MAX_FORM_LINES, validate_max=True)


def phone_order_intake_data(form: PhoneOrderForm, formset) -> tuple[OrderIntakeData, list[int]]:
    """The intake input a valid form and formset describe, and the form index of each line."""
    data = form.cleaned_data
    line_forms = [index for index, line_form in enumerate(formset.forms) if not line_form.is_blank()]
    lines = []
    for index in line_forms:
        line = formset.forms[index].cleaned_data
        lines.append(LineData(sku=line["sku"], quantity=line["quantity"], unit_price=line["unit_price"]))
    intake = OrderIntakeData(
        channel=data["channel"].code,
        external_id=data["external_id"] or phone_order_reference(),
        currency=data["currency"],
        email=data["email"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        phone=data["phone"],
        shipping_address=AddressData(
            **{name: data[f"ship_{name}"] for name in ADDRESS_FIELDS},
            pickup_point=data["ship_pickup_point"], pickup_point_name=data["ship_pickup_point_name"],
        ),
        lines=lines,
        shipping_price=data["shipping_price"] or 0,
        payment_status=data["payment_status"],
        note=data["note"],
        po_reference=data["po_reference"],
    )
    return intake, line_forms


class HoldPlaceForm(forms.Form):
    hold_reason = forms.ChoiceField(label="Reason", choices=HoldReason.choices, initial=HoldReason.MANUAL)
    hold_detail = forms.CharField(label="Detail", max_length=500, required=False)


class BulkReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=200, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required. Recorded on each order's timeline, e.g. \"Payment confirmed by the bank by phone\".",
        error_messages={"required": "Say why: the reason is recorded on each order's timeline."},
    )


class PaymentUpdateForm(forms.Form):
    payment_status = forms.ChoiceField(label="Payment", choices=PaymentStatus.choices)


class OrdersImportForm(forms.Form):
    # Marketplace channels first: the files come from marketplaces; no channel is chosen for the
    # operator, so a file is never booked to the wrong one by default.
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(is_active=True).order_by(
            Case(When(kind=Channel.Kind.MARKETPLACE, then=0), default=1), "name"
        ),
        to_field_name="code", empty_label="Choose the channel the orders came from",
    )
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row; see the columns below.")


class ChannelAdminForm(forms.ModelForm):
    """The webhook secret is never shown again once saved: blank keeps it, a value replaces it."""

    new_webhook_secret = forms.CharField(
        label="Webhook secret", required=False, strip=True, max_length=255,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The secret the platform signs webhooks with (Shopify: the app's client secret; WooCommerce: the "
        "webhook's secret). Leave blank to keep the current one.",
    )
    clear_webhook_secret = forms.BooleanField(label="Remove the webhook secret", required=False, help_text="Webhooks are refused until a new one is set.")

    class Meta:
        model = Channel
        fields = ("code", "name", "kind", "is_active", "integration", "adapter", "shipping_goal", "shipping_cost_cap", "shipping_allowed", "delivery_days",
                  "handling_days", "ship_cutoff", "insure_shipments", "replan_enabled", "release_delay_minutes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank keeps the current delay (30 minutes for a new channel): a form posted without it
        # (a script written before re-planning) changes nothing about re-planning.
        if "release_delay_minutes" in self.fields:  # a page showing only some fields leaves it out
            self.fields["release_delay_minutes"].required = False

    def clean_release_delay_minutes(self):
        value = self.cleaned_data.get("release_delay_minutes")
        return self.instance.release_delay_minutes if value is None else value

    def save(self, commit=True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("clear_webhook_secret"):
            channel.webhook_secret = ""
        elif self.cleaned_data.get("new_webhook_secret"):
            channel.webhook_secret = self.cleaned_data["new_webhook_secret"]
        if commit:
            channel.save()
        return channel


def _secret_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, strip=True, max_length=255, help_text=f"{help_text} Leave blank to keep the current one.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class ChannelLocationMapForm(forms.ModelForm):
    """A Shopify location of a channel and the OMS locations feeding it: only Shopify channels, and
    only OMS locations the channel's stock rule sells from."""

    class Meta:
        model = ChannelLocationMap
        fields = ("channel", "platform_location_id", "name", "locations", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:
            self.fields["channel"].queryset = Channel.objects.filter(adapter=Channel.Adapter.SHOPIFY)
        if "locations" in self.fields:
            self.fields["locations"].queryset = self.fields["locations"].queryset.order_by("code")

    def clean(self):
        cleaned = super().clean()
        channel, locations = cleaned.get("channel") or getattr(self.instance, "channel", None), cleaned.get("locations")
        if channel is not None and locations is not None:
            refusal = channel_location_map_refusal(channel=channel, location_ids=[location.pk for location in locations])
            if refusal:
                self.add_error("locations", refusal)
        return cleaned


class ChannelConnectionForm(forms.ModelForm):
    """The platform's credentials are write-only, like the webhook secret: blank keeps, a value replaces."""

    new_shopify_access_token = _secret_field(
        "Admin API access token", "From the Shopify app (Settings → Apps → Develop apps → API credentials), shpat_…; "
        "the app needs read_orders, write_inventory and write_merchant_managed_fulfillment_orders.",
    )
    new_woocommerce_consumer_secret = _secret_field(
        "Consumer secret", "From WooCommerce → Settings → Advanced → REST API, a key with Read/Write permission, cs_….",
    )

    woocommerce_url = forms.URLField(label="Site address", required=False, max_length=255, assume_scheme="https", help_text=WOOCOMMERCE_URL_HELP)

    class Meta:
        model = ChannelConnection
        fields = (
            "shopify_shop_domain", "shopify_api_version", "woocommerce_url", "woocommerce_consumer_key", "connect_timeout", "read_timeout",
            "push_fulfillments", "push_refunds", "catch_up_missed_orders", "stock_push_enabled", "shopify_location_id", "woocommerce_requests_per_second",
        )

    def clean_shopify_shop_domain(self):
        """Forgive what a browser's address bar gives (https://…/admin/); the model validates the rest."""
        value = self.cleaned_data["shopify_shop_domain"].strip().lower()
        return value.removeprefix("https://").removeprefix("http://").split("/", 1)[0]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown for WooCommerce only: a Shopify page does not post it, and then the saved value stays.
        if "woocommerce_requests_per_second" in self.fields:
            self.fields["woocommerce_requests_per_second"].required = False

    def clean_woocommerce_requests_per_second(self):
        value = self.cleaned_data.get("woocommerce_requests_per_second")
        return value if value is not None else self.instance.woocommerce_requests_per_second

    def clean_woocommerce_url(self):
        return self.cleaned_data["woocommerce_url"].rstrip("/")

    def save(self, commit=True):
        connection = super().save(commit=False)
        if self.cleaned_data.get("new_shopify_access_token"):
            connection.shopify_access_token = self.cleaned_data["new_shopify_access_token"]
        if self.cleaned_data.get("new_woocommerce_consumer_secret"):
            connection.woocommerce_consumer_secret = self.cleaned_data["new_woocommerce_consumer_secret"]
        if commit:
            connection.save()
        return connection
