"""What each kind of import reads from a row, how it checks the row, and which service applies it.

``plan`` only reads (a fixed number of queries however many rows) and fills each row's errors,
its action (create, update, unchanged) and the changes it would make; ``apply`` writes one row
through the owning app's service and raises a :class:`DomainError` when that refuses it.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone
from django_countries import countries
from phonenumber_field.phonenumber import PhoneNumber, to_python

from customers.models import Customer, CustomerAddress, CustomerGroup, PriceList, PriceListItem
from customers.price_lists import price_list_item_set
from customers.services import customer_address_create, customer_create, customer_update
from inventory.models import Location, Product, StockLevel
from inventory.services import MAX_MOVEMENT_QUANTITY, product_create, product_update, stock_snapshot_apply
from oms.actors import Actor
from oms.errors import DomainError
from oms.money import MAX_AMOUNT, is_currency, minor_units, parse_amount, quantize
from orders.models import Invoice, InvoicePayment, InvoiceStatus
from orders.services import invoice_payment_record
from shipping.billing import ChargeLine, carrier_charges_record, charge_problem
from shipping.models import CarrierCharge, Shipment

from .files import Table
from .models import ImportRecord

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
MAX_INTEGER = 2_147_483_647
TRUE, FALSE = {"1", "true", "yes", "y", "x"}, {"0", "false", "no", "n", ""}
# Digits (a sign allowed), perhaps with a zero fraction as spreadsheets write whole numbers: "12", "12.0".
WHOLE_NUMBER = re.compile(r"([+-]?\d{1,20})(?:\.0*)?")


@dataclass
class Row:
    """One row of the file: what it would do, or what is wrong with it (by column)."""

    row: int
    key: str
    values: dict[str, str]
    action: str = ""
    # column -> [now, after]
    changes: dict[str, list] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # After an apply: created | updated | unchanged | failed | not_applied
    outcome: str = ""
    # Parsed values the apply step uses.
    data: dict = field(default_factory=dict)

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    @property
    def valid(self) -> bool:
        return not self.errors


class ImportKind:
    key: str
    title: str
    key_column: str
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]
    # The permission the console asks for the same job done by hand.
    permission: str
    help: str
    # A kind whose rows only make sense together (money received: a file is one bank statement)
    # is always applied all or nothing, whatever mode was asked for.
    all_or_nothing_only = False
    # An API key importing this kind needs this scope too (besides reports:write), when set.
    api_scope = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns

    def plan(self, table: Table) -> list[Row]:
        """Every row of ``table`` checked, with what it would do; reads only."""
        rows, checked = [], []
        first_row_of: dict[str, int] = {}
        for number, values in table.rows:
            row = Row(row=number, key=self.row_key(values), values=values)
            for problem in table.shape_errors.get(number, []):
                row.error(self.key_column, problem)
            for column in self.columns:
                if (number, column) in table.formulas:
                    row.error(column, f"The cell holds a formula ({values[column][:40]}); the import takes values only: paste the cell as a value.")
            if row.key:
                earlier = first_row_of.setdefault(row.key, number)
                if earlier != number:
                    row.error(self.key_column, f"{row.key} is also on row {earlier}; give each {self.key_label} one row.")
            rows.append(row)
            # A formula's text would only add a second, confusing error to its cell.
            if not any((number, column) in table.formulas for column in self.columns):
                checked.append(row)
        self.plan_rows(checked)
        for row in rows:
            if row.errors:
                row.action, row.changes = "", {}
        return rows

    key_label = "record"

    def row_key(self, values: dict[str, str]) -> str:
        return values.get(self.key_column, "")

    def plan_rows(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        raise NotImplementedError


# --- shared cell readers: each returns the value or records an error and returns None ---------


def _text(row: Row, column: str, max_length: int, *, required: bool = False) -> str | None:
    value = row.values.get(column, "")
    if required and not value:
        row.error(column, "Required: this cell may not be empty.")
        return None
    if len(value) > max_length:
        row.error(column, f"At most {max_length} characters (this has {len(value)}).")
        return None
    return value


def _whole(row: Row, column: str, *, maximum: int = MAX_INTEGER) -> int | None:
    text = row.values.get(column, "")
    match = WHOLE_NUMBER.fullmatch(text)
    if match is None:
        row.error(column, f"{text[:40]!r} is not a whole number; write digits only, e.g. 12.")
        return None
    number = int(match.group(1))
    if number < 0:
        row.error(column, f"{number} is negative; it must be zero or more.")
        return None
    if number > maximum:
        row.error(column, f"{text[:40]} is too large; at most {maximum:,}.")
        return None
    return number


def _amount(row: Row, column: str, currency: str, *, negative: bool = False) -> Decimal | None:
    text = row.values.get(column, "")
    try:
        amount = parse_amount(text) if len(text) <= 40 else None
    except ValueError:
        amount = None
    if amount is None:
        row.error(column, f"{text[:40]!r} is not an amount; use a dot for decimals and no currency sign, e.g. 19.90.")
        return None
    if amount < 0 and not negative:
        row.error(column, f"{text} is negative; it must be zero or more.")
        return None
    if abs(amount) >= MAX_AMOUNT:
        row.error(column, f"{text} is too large; amounts are below {MAX_AMOUNT:,}.")
        return None
    places = minor_units(currency) if is_currency(currency) else 3
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        row.error(column, f"{text} has more decimals than {currency} has ({places}); round it.")
        return None
    return amount.quantize(Decimal(1).scaleb(-places))


def _flag(row: Row, column: str) -> bool | None:
    text = row.values.get(column, "").lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    row.error(column, f"{text[:40]!r} is not yes or no; write true or false (or 1 or 0).")
    return None


def _e164(row: Row, column: str) -> str | None:
    """A phone number in E.164, as the customers API takes it; '' when the cell is empty."""
    text = row.values.get(column, "")
    if not text:
        return ""
    number = to_python(text) if len(text) <= 32 else None
    if not text.startswith("+") or not isinstance(number, PhoneNumber) or not number.is_valid():
        row.error(column, f"{text[:40]!r} is not a phone number in E.164; write it with + and the country code, e.g. +14155550123.")
        return None
    return number.as_e164


def _present(row: Row, column: str) -> bool:
    """The file has the column and the cell is filled: an empty cell leaves the value as it is."""
    return bool(row.values.get(column, ""))


def _error_columns(error: DomainError, mapping: dict[str, str], default: str) -> list[tuple[str, str]]:
    """A service's refusal put on the row's columns (its field names are mostly the columns')."""
    if not error.fields:
        return [(default, error.message)]
    return [(mapping.get(name, name), f"{problem}") for name, problems in error.fields.items() for problem in problems]


# --- products and prices ----------------------------------------------------------------------


class ProductsImport(ImportKind):
    key = ImportRecord.Kind.PRODUCTS
    title = "Products and prices"
    key_column = "sku"
    key_label = "SKU"
    required_columns = ("sku",)
    optional_columns = (
        "name", "price", "currency", "cost", "gtin", "weight_grams", "length_mm", "width_mm", "height_mm",
        "is_active", "is_returnable", "low_stock_threshold", "category",
    )
    permission = "inventory.change_product"
    help = (
        "One row per SKU. A new SKU needs name and price (currency defaults to USD); for a SKU on file only the filled cells "
        "change. An empty cell leaves the value as it is; the currency of a product on file cannot change."
    )
    WHOLE = ("weight_grams", "length_mm", "width_mm", "height_mm", "low_stock_threshold")
    FLAGS = ("is_active", "is_returnable")

    def plan_rows(self, rows: list[Row]) -> None:
        skus = {row.key for row in rows if row.key}
        products = {product.sku: product for product in Product.objects.filter(sku__in=skus)} if skus else {}
        for row in rows:
            product = products.get(row.key)
            sku = _text(row, "sku", 64, required=True)
            if sku is None:
                continue
            data: dict = {}
            name = _text(row, "name", 255)
            if name:
                data["name"] = name
            if _present(row, "category"):
                category = _text(row, "category", 120)
                if category is not None:
                    data["category"] = category
            currency = row.values.get("currency", "").upper() or (product.currency if product else "USD")
            if not is_currency(currency):
                row.error("currency", f"{currency[:10]!r} is not an ISO 4217 currency code (e.g. USD, EUR).")
            elif product is not None and currency != product.currency:
                row.error("currency", f"{sku} is priced in {product.currency}; a product's currency cannot change.")
            for column in ("price", "cost"):
                if _present(row, column):
                    amount = _amount(row, column, currency)
                    if amount is not None:
                        data[column] = amount
            if _present(row, "gtin"):
                gtin = row.values["gtin"]
                if not gtin.isdigit() or len(gtin) > 14:
                    row.error("gtin", f"{gtin[:20]!r} is not a GTIN: up to 14 digits (format the column as text so leading zeros stay).")
                else:
                    data["gtin"] = gtin
            for column in self.WHOLE:
                if _present(row, column):
                    number = _whole(row, column)
                    if number is not None:
                        data[column] = number
            for column in self.FLAGS:
                if _present(row, column):
                    flag = _flag(row, column)
                    if flag is not None:
                        data[column] = flag
            if product is None:
                for column in ("name", "price"):
                    if column not in data and not any(c == column for c, _ in row.errors):
                        row.error(column, f"Required for a new product ({sku} is not on file).")
                row.action = CREATE
                row.changes = {name: [None, _shown(value, currency)] for name, value in data.items()}
                data["currency"] = currency
            else:
                changed = {name: value for name, value in data.items() if getattr(product, name) != value}
                row.action = UPDATE if changed else UNCHANGED
                row.changes = {name: [_shown(getattr(product, name), currency), _shown(value, currency)] for name, value in changed.items()}
                data = changed
            row.data = data

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        data = dict(row.data)
        try:
            if row.action == CREATE:
                product_create(sku=row.key, name=data.pop("name"), price=data.pop("price"), currency=data.pop("currency"), actor=actor, **data)
                return "created"
            product_update(sku=row.key, expected_version=None, changes=data, actor=actor)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {}, "sku")) from None
        return "updated"


# --- stock counts -----------------------------------------------------------------------------


class StockCountsImport(ImportKind):
    key = ImportRecord.Kind.STOCK_COUNTS
    title = "Stock counts"
    key_column = "sku"
    key_label = "SKU and location"
    required_columns = ("sku", "location", "counted")
    optional_columns = ()
    permission = "inventory.adjust_stock"
    help = (
        "One row per SKU and location: the units counted there. The difference to the stock on hand is booked on the ledger as a "
        "count correction with the count as its reason; a count equal to the stock books nothing. A count below what is reserved "
        "for orders or quarantined there is refused."
    )

    def row_key(self, values: dict[str, str]) -> str:
        sku, location = values.get("sku", ""), values.get("location", "")
        return f"{sku} @ {location}" if sku or location else ""

    def plan_rows(self, rows: list[Row]) -> None:
        skus = {row.values.get("sku", "") for row in rows} - {""}
        codes = {row.values.get("location", "") for row in rows} - {""}
        products = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
        locations = {loc.code: loc for loc in Location.objects.filter(code__in=codes)} if codes else {}
        levels = {
            (level.product_id, level.location_id): level
            for level in StockLevel.objects.filter(product__in=products.values(), location__in=locations.values())
        } if products and locations else {}
        for row in rows:
            sku, code = row.values.get("sku", ""), row.values.get("location", "")
            product, location = products.get(sku), locations.get(code)
            if not sku:
                row.error("sku", "Required: this cell may not be empty.")
            elif product is None:
                row.error("sku", f"No product with SKU {sku[:64]!r}; check the SKU or import the product first.")
            if not code:
                row.error("location", "Required: this cell may not be empty.")
            elif location is None:
                row.error("location", f"No location with code {code[:32]!r}; use a location code as the console lists it (e.g. chicago).")
            if not row.values.get("counted", ""):
                row.error("counted", "Required: the number of units counted (0 when there are none).")
                continue
            counted = _whole(row, "counted", maximum=MAX_MOVEMENT_QUANTITY)
            if counted is None or product is None or location is None:
                continue
            level = levels.get((product.pk, location.pk))
            on_hand = level.on_hand if level else 0
            committed = (level.reserved + level.damaged) if level else 0
            if counted < committed:
                row.error(
                    "counted",
                    f"{counted} is below the {committed} unit(s) reserved for orders or quarantined at {code}; ship or release them "
                    "first, or check the count.",
                )
                continue
            row.action = UPDATE if counted != on_hand else UNCHANGED
            row.changes = {"on_hand": [on_hand, counted]} if counted != on_hand else {}
            row.data = {"sku": sku, "location": code, "counted": counted}

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        try:
            result = stock_snapshot_apply(location=row.data["location"], items=[(row.data["sku"], row.data["counted"])], reference=reference, actor=actor)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {"items": "counted"}, "counted")) from None
        (item,) = result.items
        if item.status == "skipped":
            raise RowRefused([("sku" if item.error_code == "unknown_sku" else "counted", item.error_message)])
        return "updated" if item.status == "applied" else "unchanged"


# --- carrier charges ------------------------------------------------------------------------


class CarrierChargesImport(ImportKind):
    key = ImportRecord.Kind.CARRIER_CHARGES
    title = "Carrier charges (invoices)"
    key_column = "tracking_number"
    key_label = "tracking number and invoice"
    required_columns = ("tracking_number", "invoice", "amount")
    optional_columns = ("currency",)
    permission = "shipping.add_carriercharge"
    help = (
        "One row per parcel on the carrier's invoice: the tracking number, the invoice number and the amount billed (a credit is "
        "negative), in the shipment's currency (the currency column may be left out). The same row imported again changes nothing; "
        "a different amount for an invoice already recorded is refused: a correction comes on another invoice."
    )

    def row_key(self, values: dict[str, str]) -> str:
        number, invoice = values.get("tracking_number", ""), values.get("invoice", "")
        return f"{number} / {invoice}" if number or invoice else ""

    def plan_rows(self, rows: list[Row]) -> None:
        numbers = {row.values.get("tracking_number", "") for row in rows} - {""}
        shipments = {s.tracking_number: s for s in Shipment.objects.filter(tracking_number__in=numbers)} if numbers else {}
        recorded = {(c.shipment_id, c.invoice): c for c in CarrierCharge.objects.filter(shipment__in=shipments.values())}
        for row in rows:
            number = _text(row, "tracking_number", 40, required=True)
            invoice = _text(row, "invoice", 64, required=True)
            shipment = shipments.get(number or "")
            currency = (row.values.get("currency", "") or (shipment.currency if shipment else "")).upper()
            amount = _amount(row, "amount", currency, negative=True) if _present(row, "amount") else None
            if not _present(row, "amount"):
                row.error("amount", "Required: the amount billed for this parcel (negative for a credit).")
            if number is None or invoice is None or amount is None:
                continue
            line = ChargeLine(tracking_number=number, invoice=invoice, amount=amount, currency=currency)
            on_file = recorded.get((shipment.pk, invoice)) if shipment else None
            problem = charge_problem(line, shipment, on_file)
            if problem is not None:
                row.error(*problem)
                continue
            row.action = UNCHANGED if on_file is not None else CREATE
            row.changes = {} if on_file is not None else {"billed": [None, f"{amount} {currency}"], "quoted": [None, f"{shipment.price} {currency}"]}
            row.data = {"line": line}

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        try:
            (outcome,) = carrier_charges_record(lines=[row.data["line"]], actor=actor)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {"lines[0].amount": "amount", "lines[0].currency": "currency",
                                                    "lines[0].tracking_number": "tracking_number", "lines[0].invoice": "invoice"},
                                            "amount")) from None
        return "created" if outcome == "created" else "unchanged"


# --- invoice payments -------------------------------------------------------------------------


class InvoicePaymentsImport(ImportKind):
    key = ImportRecord.Kind.INVOICE_PAYMENTS
    title = "Invoice payments"
    key_column = "reference"
    key_label = "payment (invoice, reference and amount)"
    required_columns = ("invoice", "amount", "received_on", "reference")
    optional_columns = ("customer", "currency")
    permission = "orders.add_invoicepayment"
    all_or_nothing_only = True
    api_scope = "invoices:write"
    help = (
        "One row per payment received: the invoice number, the amount (in the invoice's currency; part of the balance is fine, "
        "several rows for one invoice add up), the day it was received (YYYY-MM-DD) and the bank's reference. customer (the "
        "customer's id, external id or e-mail) and currency are checked against the invoice when filled. The file is all or "
        "nothing: one bad row and no payment of it is recorded. A payment already recorded (same invoice, reference and "
        "amount) is an error: remove its row."
    )

    def row_key(self, values: dict[str, str]) -> str:
        parts = (values.get("invoice", ""), values.get("reference", ""), values.get("amount", ""))
        return " / ".join(parts) if any(parts) else ""

    def plan_rows(self, rows: list[Row]) -> None:
        numbers = {row.values.get("invoice", "") for row in rows} - {""}
        invoices = {i.number: i for i in Invoice.objects.filter(number__in=numbers).select_related("customer")} if numbers else {}
        recorded = {
            (payment.invoice_id, payment.reference, payment.amount): payment
            for payment in InvoicePayment.objects.filter(invoice__in=invoices.values(), reference__in={row.values.get("reference", "") for row in rows})
        } if invoices else {}
        # What each invoice has left to pay once the file's earlier rows are paid (rows add up).
        left = {invoice.pk: invoice.balance for invoice in invoices.values()}
        taken: dict[int, list[int]] = {}
        for row in rows:
            number = _text(row, "invoice", 20, required=True)
            reference = _text(row, "reference", 100, required=True)
            received_on = _day(row, "received_on")
            invoice = invoices.get(number) if number else None
            if number and invoice is None:
                row.error("invoice", f"No invoice {number}; check the number (INV-<year>-<six digits>).")
            if not _present(row, "amount"):
                row.error("amount", "Required: the amount received.")
            if invoice is None:
                continue
            currency = invoice.currency
            if _present(row, "currency") and row.values["currency"].upper() != currency:
                row.error("currency", f"Invoice {number} is in {currency}, not {row.values['currency'][:3].upper()}; pay it in {currency}.")
            if _present(row, "customer") and not _customer_matches(invoice, row.values["customer"]):
                row.error("customer", f"Invoice {number} is {invoice.customer}'s (customer {invoice.customer_id}), not {row.values['customer'][:60]}.")
            amount = _amount(row, "amount", currency) if _present(row, "amount") else None
            if amount is not None and amount <= 0:
                row.error("amount", "A payment is above zero.")
                amount = None
            if amount is None or reference is None or received_on is None or row.errors:
                continue
            on_file = recorded.get((invoice.pk, reference, amount))
            if on_file is not None:
                row.error("reference", f"{amount} {currency} with reference {reference} is already recorded on {number} (received "
                          f"{on_file.received_on.isoformat()}); remove this row.")
                continue
            if invoice.status == InvoiceStatus.PAID or left[invoice.pk] <= 0:
                row.error("amount", f"Invoice {number} is paid in full; remove this row or check the invoice number.")
                continue
            if amount > left[invoice.pk]:
                earlier = f" after row(s) {', '.join(map(str, taken[invoice.pk]))} of this file" if taken.get(invoice.pk) else ""
                row.error("amount", f"Invoice {number} has {quantize(left[invoice.pk], currency)} {currency} left to pay{earlier}; at most that.")
                continue
            before = left[invoice.pk]
            left[invoice.pk] -= amount
            taken.setdefault(invoice.pk, []).append(row.row)
            row.action = CREATE
            row.changes = {"balance": [_shown(before, currency), _shown(left[invoice.pk], currency)]}
            row.data = {"number": number, "amount": amount, "received_on": received_on, "reference": reference}

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        try:
            recorded = invoice_payment_record(actor=actor, **row.data)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {"received_on": "received_on"}, "amount")) from None
        if not recorded.created:
            raise RowRefused([("reference", "This payment was recorded meanwhile (same invoice, reference and amount); remove this row.")])
        return "created"


def _day(row: Row, column: str) -> date | None:
    """A date written YYYY-MM-DD (an XLSX date cell arrives so, perhaps with a midnight time); not in the future."""
    text = row.values.get(column, "")
    if not text:
        row.error(column, "Required: the day the money was received, YYYY-MM-DD.")
        return None
    try:
        day = date.fromisoformat(text[:-9] if text.endswith("T00:00:00") else text)
    except ValueError:
        row.error(column, f"{text[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31.")
        return None
    if day > timezone.localdate():
        row.error(column, f"{day.isoformat()} is in the future; a payment is recorded once received.")
        return None
    return day


def _customer_matches(invoice: Invoice, given: str) -> bool:
    customer = invoice.customer
    return given.strip().lower() in {str(customer.pk), (customer.external_id or "").lower(), customer.email} - {""}


# --- customers --------------------------------------------------------------------------------

ADDRESS_COLUMNS = {
    "address_label": ("label", 40), "address_name": ("name", 200), "address_company": ("company", 200), "address_line1": ("line1", 255),
    "address_line2": ("line2", 255), "address_city": ("city", 120), "address_region": ("region", 120),
    "address_postal_code": ("postal_code", 20), "address_country": ("country", 2), "address_phone": ("phone", 32),
}
# What makes two addresses the same one (so a file imported twice adds it once).
ADDRESS_IDENTITY = ("name", "line1", "line2", "city", "region", "postal_code", "country")


class CustomersImport(ImportKind):
    key = ImportRecord.Kind.CUSTOMERS
    title = "Customers"
    key_column = "email"
    key_label = "e-mail address"
    required_columns = ("email",)
    optional_columns = (
        "external_id", "kind", "first_name", "last_name", "company_name", "vat_number", "phone", "group", "email_opt_in", "sms_opt_in",
        *ADDRESS_COLUMNS,
    )
    permission = "customers.change_customer"
    help = (
        "One row per customer, matched by external_id (the customer's number in your accounting system) when filled and known, "
        "else by e-mail address (upper or lower case alike); an unknown customer is created. For one on file only the filled cells "
        "change (the e-mail never does). Phones in E.164 (+14155550123); group is a customer group's code; kind is person or "
        "business. The address columns add an address (line1, city and country needed) unless the customer has it already; the "
        "first address becomes the default for shipping and billing."
    )
    TEXTS = {"first_name": 100, "last_name": 100, "company_name": 200, "vat_number": 40}

    def row_key(self, values: dict[str, str]) -> str:
        return values.get("email", "").lower()

    def plan_rows(self, rows: list[Row]) -> None:
        emails = {row.key for row in rows if row.key}
        external_ids = {row.values.get("external_id", "") for row in rows} - {""}
        found = Customer.objects.filter(Q(email__in=emails) | Q(external_id__in=external_ids)) if emails or external_ids else Customer.objects.none()
        found = list(found.select_related("group").prefetch_related("addresses"))
        customers = {c.email: c for c in found}
        by_external_id = {c.external_id: c for c in found if c.external_id}
        codes = {row.values.get("group", "") for row in rows} - {""}
        groups = {g.code: g for g in CustomerGroup.objects.filter(code__in=codes)} if codes else {}
        seen_external_ids: dict[str, int] = {}
        for row in rows:
            email = row.key
            if not email:
                row.error("email", "Required: the customer's e-mail address.")
                continue
            try:
                validate_email(email)
                if len(email) > 254:
                    raise ValidationError("too long")
            except ValidationError:
                row.error("email", f"{email[:60]!r} is not an e-mail address.")
                continue
            external_id = _text(row, "external_id", 64) or ""
            customer = by_external_id.get(external_id) if external_id else None
            if external_id:
                earlier = seen_external_ids.setdefault(external_id, row.row)
                if earlier != row.row:
                    row.error("external_id", f"{external_id} is also on row {earlier}; give each customer one row.")
                    continue
            if customer is not None and customer.email != email:
                holder = customers.get(email)
                row.error("email", (
                    f"The customer with external id {external_id} has the e-mail {customer.email}" +
                    (f", and {email} belongs to another customer ({holder.pk})." if holder else "; an import does not change e-mail addresses.")
                ))
                continue
            customer = customer or customers.get(email)
            if customer is not None and external_id and customer.external_id and customer.external_id != external_id:
                row.error("external_id", f"{email} has the external id {customer.external_id} on file; an import does not change it.")
                continue
            data: dict = {}
            for column, length in self.TEXTS.items():
                value = _text(row, column, length)
                if value:
                    data[column] = value
            if _present(row, "kind"):
                kind = row.values["kind"].lower()
                if kind not in Customer.Kind.values:
                    row.error("kind", f"{kind[:20]!r} is not a kind of customer; write person or business.")
                else:
                    data["kind"] = kind
            if _present(row, "phone"):
                phone = _e164(row, "phone")
                if phone:
                    data["phone"] = phone
            if _present(row, "group"):
                group = groups.get(row.values["group"])
                if group is None:
                    row.error("group", f"No customer group with code {row.values['group'][:32]!r}; use a code from the customer groups list.")
                else:
                    data["group"] = group
            for column in ("email_opt_in", "sms_opt_in"):
                if _present(row, column):
                    flag = _flag(row, column)
                    if flag is not None:
                        data[column] = flag
            if external_id and (customer is None or not customer.external_id):
                data["external_id"] = external_id
            address = self._address(row, customer)
            if customer is None:
                row.action = CREATE
                row.changes = {name: [None, _shown(value)] for name, value in data.items()}
            else:
                data = {name: value for name, value in data.items() if _compared(getattr(customer, name)) != _compared(value)}
                row.changes = {name: [_shown(getattr(customer, name)), _shown(value)] for name, value in data.items()}
                row.action = UPDATE if data or address else UNCHANGED
            if address:
                row.changes["address"] = [None, ", ".join(str(address[name]) for name in ("name", "line1", "city", "country") if address.get(name))]
            row.data = {"fields": data, "address": address, "customer_id": customer.pk if customer else None}

    def _address(self, row: Row, customer: Customer | None) -> dict | None:
        """The row's address, or None when it has none or the customer has that address already."""
        if not any(_present(row, column) for column in ADDRESS_COLUMNS):
            return None
        address = {}
        for column, (name, length) in ADDRESS_COLUMNS.items():
            value = _text(row, column, length) if name not in ("country", "phone") else row.values.get(column, "")
            address[name] = value or ""
        for column in ("address_line1", "address_city", "address_country"):
            if not _present(row, column):
                row.error(column, "Required when the row gives an address.")
        country = address["country"].upper()
        if country and country not in countries:
            row.error("address_country", f"{country[:10]!r} is not an ISO 3166-1 alpha-2 country code, e.g. US.")
        address["country"] = country
        if _present(row, "address_phone"):
            address["phone"] = _e164(row, "address_phone") or ""
        if not address["name"]:
            address["name"] = " ".join(filter(None, (row.values.get("first_name", ""), row.values.get("last_name", "")))) or row.values.get("company_name", "") or row.key
            address["name"] = address["name"][:200]
        if customer is not None and any(_same_address(existing, address) for existing in customer.addresses.all()):
            return None
        if customer is None or not customer.addresses.all():
            address["is_default_shipping"] = address["is_default_billing"] = True
        return address

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        fields, address = dict(row.data["fields"]), row.data["address"]
        if "group" in fields:
            fields["group"] = fields["group"].code
        try:
            if row.action == CREATE:
                customer = customer_create(email=row.key, actor=actor, **fields)
                outcome = "created"
            else:
                customer = customer_update(customer_id=row.data["customer_id"], expected_version=None, changes=fields, actor=actor)
                outcome = "updated"
            if address and not any(_same_address(existing, address) for existing in CustomerAddress.objects.filter(customer=customer)):
                customer_address_create(customer_id=customer.pk, actor=actor, **address)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {}, "email")) from None
        return outcome


def _same_address(existing: CustomerAddress, address: dict) -> bool:
    def plain(value):
        return str(getattr(value, "code", value) or "").strip().lower()

    return all(plain(getattr(existing, name)) == plain(address.get(name, "")) for name in ADDRESS_IDENTITY)


def _compared(value):
    if isinstance(value, PhoneNumber):
        return value.as_e164 if value.is_valid() else str(value)
    return value


def _shown(value, currency: str | None = None):
    """A value as the report shows it (JSON-friendly; amounts in the currency's minor units)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, Decimal) and currency and is_currency(currency):
        return str(quantize(value, currency))
    if isinstance(value, PhoneNumber):
        return value.as_e164 if value.is_valid() else str(value)
    if isinstance(value, CustomerGroup):
        return value.code
    return str(value)


class RowRefused(Exception):
    """A service refused a row; ``errors`` are ``(column, message)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in errors))
        self.errors = errors


# --- contract prices ---------------------------------------------------------------------------


class PriceListsImport(ImportKind):
    key = ImportRecord.Kind.PRICE_LISTS
    title = "Contract prices (price lists)"
    key_column = "sku"
    key_label = "price list, SKU and quantity break"
    required_columns = ("price_list", "sku", "price")
    optional_columns = ("min_quantity",)
    permission = "customers.change_pricelist"
    help = (
        "One row per price list, SKU and quantity break: the price of that SKU on that list for lines of at least min_quantity "
        "units (empty: 1, every line), in the list's currency. price_list is a price list's code (make the list, its group or "
        "customer, currency and dates in the console first); the SKU must be a product on file. A break on file gets the new "
        "price; the same price again changes nothing."
    )

    def row_key(self, values: dict[str, str]) -> str:
        code, sku = values.get("price_list", ""), values.get("sku", "")
        if not (code or sku):
            return ""
        breaks = values.get("min_quantity", "") or "1"
        return f"{code} / {sku} / from {breaks}"

    def plan_rows(self, rows: list[Row]) -> None:
        codes = {row.values.get("price_list", "") for row in rows} - {""}
        skus = {row.values.get("sku", "") for row in rows} - {""}
        lists = {found.code: found for found in PriceList.objects.filter(code__in=codes)} if codes else {}
        known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True)) if skus else set()
        on_file = {
            (item.price_list_id, item.sku, item.min_quantity): item.price
            for item in PriceListItem.objects.filter(price_list__in=lists.values(), sku__in=skus)
        } if lists and skus else {}
        for row in rows:
            code = _text(row, "price_list", 32, required=True)
            sku = _text(row, "sku", 64, required=True)
            price_list = lists.get(code or "")
            if code and price_list is None:
                row.error("price_list", f"No price list with code {code!r}; create it in the console (Price lists) first, or check the code.")
            if sku and sku not in known:
                row.error("sku", f"No product with SKU {sku!r}; check the SKU or import the product first.")
            min_quantity = 1
            if _present(row, "min_quantity"):
                min_quantity = _whole(row, "min_quantity")
                if min_quantity == 0:
                    row.error("min_quantity", "A break starts at 1 unit or more (1: every line).")
            if not _present(row, "price"):
                row.error("price", "Required: the contract price per unit.")
                continue
            if price_list is None:
                continue
            price = _amount(row, "price", price_list.currency)
            if row.errors:
                continue
            now = on_file.get((price_list.pk, sku, min_quantity))
            shown = _shown(price, price_list.currency)
            row.action = CREATE if now is None else (UNCHANGED if now == price else UPDATE)
            row.changes = {} if row.action == UNCHANGED else {"price": [None if now is None else _shown(now, price_list.currency), shown]}
            row.data = {"price_list": code, "sku": sku, "min_quantity": min_quantity, "price": price}

    def apply(self, row: Row, *, actor: Actor, reference: str) -> str:
        try:
            return price_list_item_set(actor=actor, **row.data)
        except DomainError as error:
            raise RowRefused(_error_columns(error, {}, "price")) from None


KINDS: dict[str, ImportKind] = {
    kind.key: kind for kind in (
        ProductsImport(), StockCountsImport(), CustomersImport(), CarrierChargesImport(), PriceListsImport(), InvoicePaymentsImport(),
    )
}
