"""Rows of "SKU, quantity" as a business buyer brings them: pasted from a spreadsheet (tab,
semicolon or comma between the two), or in an uploaded CSV or XLSX file.

Reading never fails on what a person typed: each row becomes a :class:`BulkRow` (its text as
given, numbered as the person sees it) and what is wrong with it is said on the row; only a file
that cannot be read at all, or too many rows, refuses the whole input (:class:`RowsRefused`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from reports.imports.files import FileRefused, xlsx_rows

# One order takes at most this many lines (intake's limit): more rows are refused as a whole.
MAX_ROWS = 500
MAX_TEXT_CHARS = 100_000
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_QUANTITY_DIGITS = 9
# First-row words that make it a header rather than an order line (English and German).
SKU_HEADERS = {"sku", "item", "item number", "article", "article number", "product", "product code", "code", "artikel", "artikelnummer"}
QUANTITY_HEADERS = {"quantity", "qty", "qty.", "units", "amount", "menge", "anzahl", "stück"}


class RowsRefused(Exception):
    """The input as a whole cannot be read: the message says what to do."""


@dataclass
class BulkRow:
    """One row as given: where it was (line or row number), its SKU and quantity, and the
    problem with its shape, if any (a quantity that is not a whole number, a missing SKU)."""

    number: int
    sku: str
    quantity: int | None
    problem: str = ""
    quantity_text: str = ""  # as given, to show it back


def _quantity(text: str) -> tuple[int | None, str]:
    cleaned = text.strip()
    if cleaned.endswith(".0"):  # what a spreadsheet cell shows for a whole number
        cleaned = cleaned[:-2]
    if not cleaned:
        return None, _("No quantity: put the number of units after the SKU.")
    if not cleaned.isdigit() or not cleaned.isascii() or len(cleaned) > MAX_QUANTITY_DIGITS:
        return None, _("“%(text)s” is not a quantity: write a whole number of units, e.g. 12.") % {"text": text.strip()[:40]}
    if int(cleaned) < 1:
        return None, _("The quantity must be at least 1; remove the row to order none.")
    return int(cleaned), ""


def _is_header(cells: list[str]) -> bool:
    words = [cell.strip().lower() for cell in cells[:2]]
    return bool(words) and (words[0] in SKU_HEADERS or (len(words) > 1 and words[1] in QUANTITY_HEADERS))


def _row(number: int, cells: list[str]) -> BulkRow:
    cells = [str(cell) for cell in cells]
    if len(cells) == 1 and len(cells[0].split()) == 2:
        cells = cells[0].split()  # "SKU 12", separated by spaces
    sku = cells[0].strip() if cells else ""
    extra = [cell for cell in cells[2:] if cell.strip()]
    if not sku:
        return BulkRow(number, "", None, _("No SKU: the row must start with the SKU, then the quantity."), quantity_text=",".join(cells[1:]).strip())
    if len(sku) > 64:
        return BulkRow(number, sku[:64], None, _("A SKU has at most 64 characters: check the row."))
    if extra:
        return BulkRow(number, sku, None, _("Only two columns are read, SKU and quantity; this row has more. Remove the others."),
                       quantity_text=cells[1].strip() if len(cells) > 1 else "")
    text = cells[1].strip() if len(cells) > 1 else ""
    quantity, problem = _quantity(text)
    return BulkRow(number, sku, quantity, problem, quantity_text=text)


def _rows(numbered: list[tuple[int, list[str]]]) -> list[BulkRow]:
    numbered = [(number, cells) for number, cells in numbered if any(str(cell).strip() for cell in cells)]
    if numbered and _is_header([str(cell) for cell in numbered[0][1]]):
        numbered = numbered[1:]
    if len(numbered) > MAX_ROWS:
        raise RowsRefused(_("At most %(max)d rows can be ordered at once; split them into several orders.") % {"max": MAX_ROWS})
    return [_row(number, cells) for number, cells in numbered]


def _delimiter(text: str) -> str:
    if "\t" in text:
        return "\t"  # pasted from a spreadsheet
    if ";" in text:
        return ";"  # CSV from a European Excel
    return ","


def rows_from_text(text: str) -> list[BulkRow]:
    """The rows of pasted text (or a CSV file's text): blank lines skipped, a header row skipped,
    numbered by line."""
    if len(text) > MAX_TEXT_CHARS:
        raise RowsRefused(_("The text is too long (more than %(max)d characters); split it into several orders.") % {"max": MAX_TEXT_CHARS})
    text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    numbered, line = [], 0
    try:
        for cells in reader:
            line += 1
            numbered.append((reader.line_num, cells))
    except csv.Error:
        raise RowsRefused(_("Line %(line)d cannot be read (a quotation mark is not closed); correct it and check again.") % {"line": line + 1}) from None
    return _rows(numbered)


def rows_from_upload(content: bytes, file_name: str) -> list[BulkRow]:
    """The rows of an uploaded CSV (UTF-8) or XLSX file, numbered as the file shows them."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise RowsRefused(_("The file is larger than 1 MB; an order has at most %(max)d rows, so split it.") % {"max": MAX_ROWS})
    if not content.strip():
        raise RowsRefused(_("The file is empty: it needs one row per SKU, with the SKU and the quantity."))
    name = (file_name or "").lower()
    if content[:4] == b"PK\x03\x04":
        try:
            header, rows = xlsx_rows(content, max_rows=MAX_ROWS)
        except FileRefused as refused:
            raise RowsRefused(refused.message) from None
        return _rows(([(1, header)] if header else []) + rows)
    if name.endswith((".xlsx", ".xlsm", ".xls")) or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise RowsRefused(_("The file is not an Excel workbook we can read: save it as .xlsx or as CSV UTF-8 and upload it again."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RowsRefused(_("The file is not UTF-8 text: save it as “CSV UTF-8” or as .xlsx and upload it again.")) from None
    return rows_from_text(text)


def rows_as_text(rows: list[tuple[str, int | str]]) -> str:
    """Rows of (SKU, quantity) as the text the paste box takes back (one "SKU, quantity" a line)."""
    return "\n".join(f"{sku}, {quantity}" for sku, quantity in rows)
