from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportRecord(models.Model):
    """One import an operator or an integration ran: who, when, what file, and what came of it.

    A preview in the console is kept here (``previewed``, with the file's bytes) until it is
    confirmed, so the confirmation applies exactly the file that was previewed; once applied
    the bytes are dropped and the counts and row errors stay.
    """

    class Kind(models.TextChoices):
        PRODUCTS = "products", "Products and prices"
        STOCK_COUNTS = "stock_counts", "Stock counts"
        CUSTOMERS = "customers", "Customers"
        CARRIER_CHARGES = "carrier_charges", "Carrier charges (invoices)"
        PRICE_LISTS = "price_lists", "Contract prices (price lists)"
        INVOICE_PAYMENTS = "invoice_payments", "Invoice payments"

    class Mode(models.TextChoices):
        VALID_ROWS = "valid_rows", "Apply the valid rows and report the rest"
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed, not applied"
        APPLYING = "applying", "Being applied"
        APPLIED = "applied", "Applied"
        PARTLY_APPLIED = "partly_applied", "Applied, some rows refused"
        REFUSED = "refused", "Nothing applied"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveIntegerField(default=0)
    # The previewed file, until it is applied (then emptied).
    content = models.BinaryField(default=b"", editable=False)
    rows_total = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_invalid = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "price", "message": "..."}], as the report showed them.
    errors = models.JSONField(default=list, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "reports"
        ordering = ["-id"]
        verbose_name = "import"
        permissions = [
            ("run_import", "Can run accountant imports (each kind also needs the permission its console page asks for)"),
        ]

    def __str__(self):
        return f"Import #{self.pk} · {self.get_kind_display()} · {self.file_name}"
