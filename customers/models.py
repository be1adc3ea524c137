import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField

from oms.money import DECIMAL_PLACES, MAX_DIGITS, validate_currency


class PriceList(models.Model):
    """Contract prices in one currency for one customer group, or for one customer (which then
    overrides its group's list SKU by SKU), valid between two dates (either may be open).

    Intake prices a line from the list when the request gives no price, and holds a given price
    that departs from it (``customers.pricing``). Lists for the same customer or group may
    overlap in time: the one valid from the latest date wins.
    """

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    customer_group = models.ForeignKey(
        "CustomerGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="price_lists",
        help_text="The group whose customers buy at these prices.",
    )
    customer = models.ForeignKey(
        "Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="price_lists",
        help_text="One customer's own prices: they override the group's list for the SKUs it covers.",
    )
    valid_from = models.DateField(null=True, blank=True, help_text="First day the prices apply. Empty: from the start.")
    valid_until = models.DateField(null=True, blank=True, help_text="Last day the prices apply. Empty: until further notice.")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_group__isnull=True) | Q(customer__isnull=True), name="price_list_group_or_customer"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="price_list_dates_in_order",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.customer_group_id and self.customer_id:
            raise ValidationError("A price list is for a customer group or for one customer, not both: clear one of them.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": "The last day comes before the first: swap them or correct one."})


class PriceListItem(models.Model):
    """The price of one SKU from ``min_quantity`` units per line up (a quantity break)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField("SKU", max_length=64)
    min_quantity = models.PositiveIntegerField(
        "from quantity", default=1, validators=[MinValueValidator(1)],
        help_text="The price applies to lines of at least this many units (1: every line).",
    )
    price = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["price_list", "sku", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "sku", "min_quantity"], name="price_list_sku_break_unique"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="price_list_break_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_list_price_not_negative"),
        ]
        indexes = [models.Index(fields=["sku", "price_list"], name="price_list_item_sku")]

    def __str__(self):
        return f"{self.sku} from {self.min_quantity}: {self.price}"


class CustomerGroup(models.Model):
    """A segment with commercial terms: price lists, credit limit and payment terms (B2B)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    credit_limit = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        help_text="Most a customer may owe on open, unpaid orders. Empty: no limit.",
    )
    credit_currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    catalogue_restricted = models.BooleanField(
        "only listed SKUs", default=False,
        help_text="On: the group may buy only the SKUs and categories its catalogue rules allow. Off: everything but what a rule forbids.",
    )
    class TermsBasis(models.TextChoices):
        NET = "net", "Net: days after the invoice date"
        END_OF_MONTH = "end_of_month", "End of month: days after the end of the invoice's month"

    payment_terms_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days to pay after invoicing. Above zero: orders need no payment up front. Zero: prepaid."
    )
    po_reference_required = models.BooleanField(
        "purchase-order reference required", default=False,
        help_text="On: every order of the group's customers must carry the buyer's purchase-order reference (portal and API refuse one without).",
    )
    payment_terms_basis = models.CharField(
        "payment terms counted from", max_length=12, choices=TermsBasis.choices, default=TermsBasis.NET,
        help_text="Net 30: due 30 days after the invoice date. End of month + 30: due 30 days after the end of the invoice's month.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0), name="credit_limit_not_negative")
        ]

    def __str__(self):
        return self.name

    @property
    def on_terms(self) -> bool:
        """Invoiced after shipping and paid later (payment terms above zero days), not prepaid."""
        return self.payment_terms_days > 0

    def terms_text(self) -> str:
        """The terms as an invoice prints them: "Net 30", "End of month + 30", "Prepaid"."""
        if not self.on_terms:
            return "Prepaid"
        if self.payment_terms_basis == self.TermsBasis.END_OF_MONTH:
            return f"End of month + {self.payment_terms_days}"
        return f"Net {self.payment_terms_days}"

    def due_on(self, issued_on: date) -> date:
        """When an invoice issued on ``issued_on`` is due under these terms."""
        start = issued_on
        if self.payment_terms_basis == self.TermsBasis.END_OF_MONTH:
            start = issued_on.replace(day=calendar.monthrange(issued_on.year, issued_on.month)[1])
        return start + timedelta(days=self.payment_terms_days)


class CatalogueRule(models.Model):
    """What a customer group may buy of one SKU or of one product category, and in what
    quantities: allowed or not, a minimum per line and a case pack, rounded up or refused.

    A SKU's own rule beats its category's. Applied by intake (``customers.catalogue``)."""

    class Mismatch(models.TextChoices):
        ROUND_UP = "round_up", "Round the quantity up"
        REFUSE = "refuse", "Refuse the order"

    customer_group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE, related_name="catalogue_rules")
    sku = models.CharField("SKU", max_length=64, blank=True, help_text="The SKU the rule is about; empty for a category rule.")
    category = models.CharField(max_length=120, blank=True, help_text="The product category the rule is about; empty for a SKU rule.")
    allowed = models.BooleanField(default=True, help_text="Off: the group may not buy it.")
    min_quantity = models.PositiveIntegerField(
        "minimum per line", null=True, blank=True, validators=[MinValueValidator(1)], help_text="Fewest units a line may order."
    )
    case_pack = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Lines order whole cases of this many units."
    )
    on_mismatch = models.CharField(
        "a quantity that does not fit", max_length=10, choices=Mismatch.choices, default=Mismatch.REFUSE,
        help_text="Round a line up to the minimum and whole cases (the order's audit trail says so), or refuse the order.",
    )

    class Meta:
        ordering = ["customer_group", "sku", "category"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(sku="") & ~Q(category="")) | (~Q(sku="") & Q(category="")), name="catalogue_rule_sku_or_category"
            ),
            models.UniqueConstraint(fields=["customer_group", "sku", "category"], name="catalogue_rule_unique"),
            models.CheckConstraint(condition=Q(min_quantity__isnull=True) | Q(min_quantity__gte=1), name="catalogue_rule_minimum_positive"),
            models.CheckConstraint(condition=Q(case_pack__isnull=True) | Q(case_pack__gte=1), name="catalogue_rule_case_positive"),
        ]

    def __str__(self):
        return f"{self.customer_group}: {self.sku or self.category}"

    def clean(self):
        if bool(self.sku) == bool(self.category):
            raise ValidationError("Name either a SKU or a category (one of the two).")


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        BUSINESS = "business", "Business"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    email = models.EmailField(unique=True, help_text="Stored lower-case; the key channels match customers on.")
    # Null, not blank, when there is none: the unique index then holds only real numbers.
    external_id = models.CharField(
        "external id", max_length=64, null=True, blank=True, unique=True,
        help_text="The customer's number in the accounting system or ERP; customer imports match on it.",
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    vat_number = models.CharField("VAT / tax id", max_length=40, blank=True)
    phone = PhoneNumberField(blank=True, help_text="E.164, e.g. +14155550123.")
    group = models.ForeignKey(CustomerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers")
    po_reference_required = models.BooleanField(
        "purchase-order reference required", default=False,
        help_text="On: this customer's orders must carry its purchase-order reference, whatever its group says (the group's flag also requires it).",
    )
    email_opt_in = models.BooleanField("Email notifications", default=True)
    sms_opt_in = models.BooleanField("SMS notifications", default=False)
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default="",
        help_text="The language of messages and the portal. Empty: not chosen (the browser's in the portal, English in messages).",
    )
    # Set by the e-mail provider's hard-bounce report: no e-mail goes to the address until staff clear it.
    email_bounced_at = models.DateTimeField("E-mail bounced", null=True, blank=True)
    email_bounce_reason = models.CharField(max_length=500, blank=True)
    # Set when the customer's personal data was anonymised (a request, or the retention job).
    erased_at = models.DateTimeField("personal data erased", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Goes up by one with every change: the API's ETag, and what If-Match is compared with.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.BUSINESS and self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_business(self) -> bool:
        return self.kind == self.Kind.BUSINESS


def po_reference_required_for(customer: Customer, group: CustomerGroup | None) -> bool:
    """Whether ``customer``'s orders need a purchase-order reference: its own flag or its group's."""
    return customer.po_reference_required or bool(group and group.po_reference_required)


class CustomerAddress(models.Model):
    """One of a customer's addresses: a ship-to (a business may have several: sites, stores) or a
    bill-to. At most one of each kind is the default (``customers.services.customer_address_save``)."""

    class Kind(models.TextChoices):
        SHIPPING = "shipping", "Ship-to"
        BILLING = "billing", "Bill-to"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHIPPING)
    label = models.CharField(max_length=40, blank=True, help_text="The customer's name for it, e.g. \"Main warehouse\" or \"Store 12\".")
    name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=255)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120)
    region = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField()
    phone = PhoneNumberField(blank=True)
    is_default_shipping = models.BooleanField(default=False)
    is_default_billing = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "customer addresses"
        ordering = ["customer", "-is_default_shipping", "label", "id"]

    def __str__(self):
        return f"{self.name}, {self.line1}, {self.city} {self.country}"


class StoreCreditAccount(models.Model):
    """A customer's store credit in one currency: what refunds put in and orders may spend.

    ``balance`` always equals the last ledger entry's ``balance_after`` (the entries' sum) and
    never goes below zero (a constraint, and spends are conditional updates)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="store_credit_accounts")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    balance = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "currency"], name="store_credit_one_account_per_currency"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="store_credit_balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.customer_id} · {self.balance} {self.currency}"


class StoreCreditEntry(models.Model):
    """One line of a store credit ledger: append-only, signed amount, the balance it left."""

    class Kind(models.TextChoices):
        CREDIT = "credit", "Credit (refund, goodwill)"
        SPEND = "spend", "Spent on an order"
        ADJUST = "adjust", "Adjustment"

    account = models.ForeignKey(StoreCreditAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, help_text="Signed: credits add, spends subtract.")
    balance_after = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    reference = models.CharField(max_length=64, blank=True, help_text="What caused it: an RMA or order number.")
    note = models.CharField(max_length=500, blank=True)
    # The same key twice is the same entry (a retried refund never credits twice).
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["account", "id"]
        verbose_name_plural = "store credit entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_entry_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="store_credit_entry_balance_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class DataRequest(models.Model):
    """One request about a customer's personal data (GDPR / CCPA): an export or an erasure, who
    asked, what became of it and, for an export, the ZIP file. Every request is kept, refused ones
    with their reason: this is the record a regulator asks for."""

    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASURE = "erasure", "Erasure"

    class Source(models.TextChoices):
        ADMIN = "admin", "Customer service (console)"
        PORTAL = "portal", "The customer (portal)"
        SHOPIFY = "shopify", "Shopify compliance webhook"
        RETENTION = "retention", "Retention job"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Empty only when a platform asked about a customer the OMS does not know (refused, recorded).
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="data_requests")
    source = models.CharField(max_length=10, choices=Source.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_by_label = models.CharField(max_length=120, blank=True)
    reference = models.CharField(max_length=120, blank=True, help_text="The platform's id of the request (Shopify's data request id).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    refusal_reason = models.CharField(max_length=500, blank=True)
    outcome = models.JSONField(default=dict, blank=True, help_text="Counts per part and table: rows exported or anonymised.")
    file = models.FileField(upload_to="personal-data/", blank=True, max_length=255)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("request_export_customer", "Can export a customer's personal data"),
            ("request_erasure_customer", "Can erase a customer's personal data"),
            ("download_datarequest", "Can download a customer's data export"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
