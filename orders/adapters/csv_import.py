"""Marketplace orders from a CSV file (the admin's import page and ``POST /api/v1/channels/{code}/orders/import/``).

The file is UTF-8 text (a byte-order mark is fine) with a header row naming these columns, in
any order (extra columns are ignored):

    order_id, placed_at, currency, email, first_name, last_name, phone, ship_name, ship_line1,
    ship_line2, ship_city, ship_region, ship_postal_code, ship_country, sku, quantity,
    unit_price, line_discount, line_tax, shipping_price, payment_status

Optional column: ``promised_delivery_date`` (``YYYY-MM-DD``, the delivery date promised to the
customer; without it the channel's delivery days apply).

One row is one order line; rows with the same ``order_id`` are one order's lines. Order
columns (everything but ``sku``, ``quantity``, ``unit_price``, ``line_discount`` and
``line_tax``) may be left blank on an order's later rows; if filled they must repeat the first
row's value. Required: ``order_id``, ``currency``, ``email``, ``ship_country``, ``sku``,
``quantity``, ``unit_price``. ``placed_at`` is ISO 8601 (``2025-03-01T14:05:00Z``; no offset
means UTC), ``payment_status`` is ``pending`` (the default), ``authorized`` or ``paid``;
``line_discount`` and ``line_tax`` are for the whole line, ``shipping_price`` for the order.

Every row is checked before anything is recorded. An order with any bad row is rejected as a
whole, never half-recorded; the others are recorded, each in its own transaction through
order intake (so an order already imported is found, not duplicated, and doubtful orders are
recorded on hold). Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import timezone as dt_timezone

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from oms import geo
from oms.actors import Actor
from oms.errors import DomainError, InvalidInput, NotFound
from oms.money import is_currency, parse_amount

from ..models import Channel
from ..services import AddressData, LineData, OrderIntakeData, intake_validate, order_intake
from ..services.intake import INTAKE_PAYMENT_STATUSES

COLUMNS = (
    "order_id", "placed_at", "currency", "email", "first_name", "last_name", "phone", "ship_name", "ship_line1",
    "ship_line2", "ship_city", "ship_region", "ship_postal_code", "ship_country", "sku", "quantity",
    "unit_price", "line_discount", "line_tax", "shipping_price", "payment_status",
)
OPTIONAL_COLUMNS = ("promised_delivery_date",)
LINE_COLUMNS = ("sku", "quantity", "unit_price", "line_discount", "line_tax")
ORDER_COLUMNS = tuple(c for c in COLUMNS + OPTIONAL_COLUMNS if c not in LINE_COLUMNS and c != "order_id")
REQUIRED = ("order_id", "currency", "email", "ship_country", "sku", "quantity", "unit_price")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

# Intake's field paths -> the column that holds the value.
_PATHS = {
    "external_id": "order_id", "currency": "currency", "customer.email": "email", "customer.phone": "phone",
    "payment_status": "payment_status", "shipping_price": "shipping_price", "shipping_address": "ship_country",
    "promised_delivery_date": "promised_delivery_date",
    **{f"shipping_address.{name}": f"ship_{name}" for name in ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")},
}
_LINE_PATHS = {"sku": "sku", "quantity": "quantity", "unit_price": "unit_price", "discount": "line_discount", "tax": "line_tax"}

CREATED, ALREADY_IMPORTED, REJECTED = "created", "already_imported", "rejected"


@dataclass
class OrderReport:
    order_id: str
    rows: list[int]
    result: str = ""
    number: str | None = None
    status: str = ""
    holds: list[str] = field(default_factory=list)
    # row -> column -> problems
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.setdefault(row, {}).setdefault(column, []).append(message)


@dataclass
class ImportReport:
    orders: list[OrderReport]

    def count(self, result: str) -> int:
        return sum(1 for order in self.orders if order.result == result)

    def as_dict(self) -> dict:
        """The report as the API answers it and the admin page shows it."""
        rows = []
        for order in self.orders:
            bad_rows = sorted(order.errors)
            for row in order.rows:
                errors = order.errors.get(row, {})
                if order.result == REJECTED and not errors:
                    errors = {"order_id": [f"Not imported: row {', '.join(map(str, bad_rows))} of this order has errors." if bad_rows else "Not imported."]}
                rows.append({"row": row, "order_id": order.order_id, "result": order.result, "errors": errors})
        return {
            "summary": {
                "orders": len(self.orders), "rows": len(rows), CREATED: self.count(CREATED),
                ALREADY_IMPORTED: self.count(ALREADY_IMPORTED), REJECTED: self.count(REJECTED),
            },
            "orders": [
                {"order_id": o.order_id, "result": o.result, "number": o.number, "status": o.status, "holds": o.holds, "rows": o.rows,
                 "errors": [{"row": row, "column": column, "message": message} for row, columns in sorted(o.errors.items()) for column, messages in columns.items() for message in messages]}
                for o in self.orders
            ],
            "rows": sorted(rows, key=lambda r: r["row"]),
        }


def _text(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; split it into smaller files.", fields={"file": ["Too large."]})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"The file is not UTF-8 text (byte {error.start} cannot be read); save it as \"CSV UTF-8\" and try again.",
            fields={"file": ["Not UTF-8."]},
        ) from None


def _records(text: str) -> list[dict[str, str]]:
    """The data rows as ``{column: value}``, after checking the header and the row count."""
    if "\x00" in text:
        raise InvalidInput("The file contains NUL bytes; it is not a CSV text file.", fields={"file": ["Not a CSV text file."]})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("The file is empty; it needs a header row and at least one order line.", fields={"file": ["Empty."]})
        names = [name.strip().lower() for name in header]
        missing = [column for column in COLUMNS if column not in names]
        if missing:
            raise InvalidInput(
                f"The header row lacks the column(s) {', '.join(missing)}. Expected: {', '.join(COLUMNS)}.", fields={"file": [f"Missing columns: {', '.join(missing)}."]}
            )
        records = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(records) >= MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS} order lines; split it into smaller files.", fields={"file": ["Too many rows."]})
            records.append((reader.line_num, {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names)}))
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV near line {reader.line_num}: {error}.", fields={"file": [str(error)]}) from None
    if not records:
        raise InvalidInput("The file has a header but no order lines.", fields={"file": ["No rows."]})
    return records


def _row_check(row: int, values: dict[str, str], report: OrderReport) -> None:
    first = row == report.rows[0]  # later rows may leave the order columns blank
    for column in REQUIRED:
        if not values.get(column) and (first or column in LINE_COLUMNS or column == "order_id"):
            report.error(row, column, "Required.")
    if values.get("quantity"):
        if not values["quantity"].isdigit() or int(values["quantity"]) < 1:
            report.error(row, "quantity", f"{values['quantity']!r} is not a whole number of at least 1.")
    for column in ("unit_price", "line_discount", "line_tax", "shipping_price"):
        if values.get(column):
            try:
                if parse_amount(values[column]) < 0:
                    report.error(row, column, "Must be zero or more.")
            except ValueError:
                report.error(row, column, f"{values[column]!r} is not an amount; use a dot for decimals, e.g. 19.90.")
    if values.get("currency") and not is_currency(values["currency"].upper()):
        report.error(row, "currency", f"{values['currency']!r} is not an ISO 4217 currency code.")
    if values.get("ship_country") and not geo.is_country(values["ship_country"].upper()):
        report.error(row, "ship_country", f"{values['ship_country']!r} is not an ISO 3166-1 alpha-2 country code.")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            report.error(row, "email", f"{values['email']!r} is not an e-mail address.")
    if values.get("placed_at") and _moment(values["placed_at"]) is None:
        report.error(row, "placed_at", f"{values['placed_at']!r} is not an ISO 8601 date and time, e.g. 2025-03-01T14:05:00Z.")
    if values.get("payment_status") and values["payment_status"].lower() not in INTAKE_PAYMENT_STATUSES:
        report.error(row, "payment_status", f"Must be one of: {', '.join(INTAKE_PAYMENT_STATUSES)}.")


def _moment(value: str):
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt_timezone.utc)


def _intake_data(channel: str, first: dict[str, str], line_rows: list[dict[str, str]]) -> OrderIntakeData:
    return OrderIntakeData(
        channel=channel,
        external_id=first["order_id"],
        currency=first["currency"],
        email=first["email"],
        first_name=first.get("first_name", "")[:100],
        last_name=first.get("last_name", "")[:100],
        phone=first.get("phone", ""),
        shipping_address=AddressData(**{name: first.get(f"ship_{name}", "") for name in ("name", "line1", "line2", "city", "region", "postal_code", "country")}),
        lines=[
            LineData(sku=r["sku"], quantity=int(r["quantity"]), unit_price=parse_amount(r["unit_price"]),
                     discount=parse_amount(r.get("line_discount") or 0), tax=parse_amount(r.get("line_tax") or 0))
            for r in line_rows
        ],
        shipping_price=parse_amount(first.get("shipping_price") or 0),
        payment_status=(first.get("payment_status") or "pending").lower(),
        placed_at=_moment(first["placed_at"]) if first.get("placed_at") else None,
        promised_delivery_date=first.get("promised_delivery_date") or None,
        note="Imported from a marketplace CSV file",
    )


def _errors_from_intake(error: DomainError, report: OrderReport) -> None:
    """Put intake's refusal on the row and column that hold the value."""
    first = report.rows[0]
    if not error.fields:
        report.error(first, "order_id", error.message)
    for path, problems in error.fields.items():
        row, column = first, _PATHS.get(path, "order_id")
        if path.startswith("lines[") and "]." in path:
            index, name = path[len("lines["):].split("].", 1)
            row, column = report.rows[int(index)], _LINE_PATHS.get(name, "sku")
        elif path == "lines":
            problems = [f"{error.message} {p}" for p in problems]
        for problem in problems:
            report.error(row, column, problem)


def orders_import(*, channel: str, content: bytes, actor: Actor) -> ImportReport:
    """Record the orders a marketplace CSV file lists on ``channel``.

    Guarantees: a file that cannot be read as a whole (too large, not UTF-8, not CSV, missing
    columns, too many rows) raises :class:`InvalidInput` and records nothing; every row is
    checked before any order is recorded; an order with a bad row is rejected whole; every
    other order is recorded in its own transaction, exactly once per ``(channel, order_id)``.
    """
    if not Channel.objects.filter(code=channel, is_active=True).exists():
        raise NotFound(f"No active channel {channel!r}.")
    records = _records(_text(content))
    by_order: dict[str, OrderReport] = {}
    values_by_row: dict[int, dict[str, str]] = {}
    for row, values in records:
        values_by_row[row] = values
        order_id = values.get("order_id", "")
        if not order_id:  # cannot belong to any order: a report entry of its own
            order_id = f"(row {row})"
        report = by_order.setdefault(order_id, OrderReport(order_id=values.get("order_id", ""), rows=[]))
        report.rows.append(row)
        _row_check(row, values, report)

    planned: list[tuple[OrderReport, OrderIntakeData]] = []
    for report in by_order.values():
        first = values_by_row[report.rows[0]]
        for row in report.rows[1:]:
            for column in ORDER_COLUMNS:
                value = values_by_row[row].get(column, "")
                if value and value != first.get(column, ""):
                    report.error(row, column, f"{value!r} differs from row {report.rows[0]} ({first.get(column, '')!r}); an order's rows must agree.")
        if report.errors:
            report.result = REJECTED
            continue
        data = _intake_data(channel, first, [values_by_row[row] for row in report.rows])
        try:
            intake_validate(data)
        except InvalidInput as error:
            _errors_from_intake(error, report)
            report.result = REJECTED
            continue
        planned.append((report, data))

    for report, data in planned:
        try:
            result = order_intake(data=data, actor=actor)
        except DomainError as error:  # a rule only intake's transaction can see (discounts above the value)
            _errors_from_intake(error, report)
            report.result = REJECTED
            continue
        order = result.order
        report.result = CREATED if result.created else ALREADY_IMPORTED
        report.number, report.status = order.number, order.status
        report.holds = [hold.reason for hold in result.holds] if result.created else list(
            order.holds.filter(released_at__isnull=True).values_list("reason", flat=True)
        )
    return ImportReport(orders=list(by_order.values()))
