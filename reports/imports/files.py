"""An uploaded CSV or XLSX file as a header and numbered rows of text, or a clear refusal.

Whatever arrives (another encoding, a PDF renamed .csv, an XLSX that is a zip bomb, an empty
file) ends as :class:`FileRefused` with a message that says what to do, never as a crash.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from oms.errors import InvalidInput

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 64
# An XLSX is a zip of XML; unpacked it may be far larger than the upload, but not without bound.
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_XLSX_RATIO = 200
FORMULA = "formula"


class FileRefused(InvalidInput):
    """The file cannot be read as a whole; nothing was checked or written."""

    code = "file_refused"


def _refuse(message: str, short: str) -> FileRefused:
    return FileRefused(message, fields={"file": [short]})


@dataclass
class Table:
    columns: list[str]
    # (row number as the spreadsheet shows it, {column: text}); cells that hold a formula are FORMULA_CELL.
    rows: list[tuple[int, dict[str, str]]]
    # row number -> problems of the row's shape (more cells than the header names)
    shape_errors: dict[int, list[str]] = field(default_factory=dict)
    formulas: set[tuple[int, str]] = field(default_factory=set)


def table_read(content: bytes, file_name: str) -> Table:
    """The file's header and rows; :class:`FileRefused` when it cannot be read."""
    if len(content) > MAX_FILE_BYTES:
        raise _refuse(f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; split it into smaller files.", "Too large.")
    if not content.strip():
        raise _refuse("The file is empty; it needs a header row and at least one row.", "Empty.")
    name = (file_name or "").lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if name.endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            raise _refuse("The file is named .xlsx but is not an Excel workbook; save it again as .xlsx or as CSV UTF-8.", "Not an XLSX workbook.")
        return _table(*xlsx_rows(content))
    extension = name.rsplit(".", 1)[1] if "." in name else ""
    if extension not in ("", "csv", "txt") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _refuse("Only CSV (UTF-8) and XLSX files can be imported; save the sheet as .xlsx or as CSV UTF-8.", "Not CSV or XLSX.")
    return _csv_read(content)


# --- CSV -------------------------------------------------------------------------------------


def _csv_read(content: bytes) -> Table:
    if b"\x00" in content:
        raise _refuse("The file contains NUL bytes: it is not a CSV text file. Import CSV (UTF-8) or XLSX.", "Not a CSV text file.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(
            f"The file is not UTF-8 text (byte {error.start} cannot be read; Excel's plain \"CSV\" is often Windows-1252). "
            "Save it as \"CSV UTF-8\" or as .xlsx and import it again.",
            "Not UTF-8.",
        ) from None
    first_line = text.split("\n", 1)[0]
    # Excel in many European locales separates with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    raw: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        for values in reader:
            if not any(value.strip() for value in values):
                continue  # blank lines are not rows (and do not count towards the limit)
            if len(raw) > MAX_ROWS:
                break
            # Text a spreadsheet would run as a formula is refused like an XLSX formula cell.
            raw.append((reader.line_num, [_Formula(value) if value.lstrip().startswith("=") else value for value in values]))
    except csv.Error as error:
        raise _refuse(f"The file is not valid CSV near line {reader.line_num}: {error}.", str(error)) from None
    return _table(header, raw)


# --- XLSX ------------------------------------------------------------------------------------


def xlsx_rows(content: bytes, *, max_rows: int = MAX_ROWS) -> tuple[list, list[tuple[int, list]]]:
    """The first sheet's first row and its non-blank rows below (numbered as the sheet shows
    them, formula cells as :class:`_Formula`), at most ``max_rows`` + 1 of them so a caller can
    tell there were too many; :class:`FileRefused` for what is not a readable, sane workbook."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refuse("The file is not a readable XLSX workbook (the archive is damaged); save it again as .xlsx.", "Damaged XLSX.") from None
    unpacked = sum(member.file_size for member in members)
    packed = max(sum(member.compress_size for member in members), 1)
    if len(members) > 10_000 or unpacked > MAX_XLSX_UNPACKED_BYTES or unpacked / packed > MAX_XLSX_RATIO:
        raise _refuse(
            "The workbook unpacks to far more data than its size suggests, so it is not read. Save the sheet as CSV UTF-8 or "
            "as a plain .xlsx and import it again.",
            "Refused: unpacks too large.",
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise _refuse("The file is a zip archive but not an XLSX workbook; save the sheet as .xlsx or as CSV UTF-8.", "Not an XLSX workbook.")
    import openpyxl  # only XLSX imports pay for loading it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _refuse("The workbook has no sheet.", "No sheet.")
        raw: list[tuple[int, list]] = []
        header = None
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1), start=1):
            cells = [_xlsx_cell(cell) for cell in values]
            if header is None:
                header = cells
                continue
            if not any(str(cell).strip() for cell in cells):
                continue
            if len(raw) > max_rows:
                break
            raw.append((number, cells))
        workbook.close()
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for a bad workbook
        raise _refuse(
            f"The workbook cannot be read ({type(error).__name__}); open it in a spreadsheet, save it again as .xlsx or as "
            "CSV UTF-8, and import it again.",
            "Unreadable XLSX.",
        ) from None
    return header, raw


class _Formula(str):
    """A cell's text that was a formula in the workbook."""


def _xlsx_cell(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
        return _Formula(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # 12.0 from a number cell is the whole number 12; other floats keep their shortest text (0.1 stays 0.1).
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- both ------------------------------------------------------------------------------------


def column_name(name) -> str:
    return str(name or "").strip().lower().replace(" ", "_").replace("-", "_")


def _table(header, raw) -> Table:
    if not header or not any(str(value).strip() for value in header):
        raise _refuse("The first row must name the columns (e.g. sku, name, price); it is empty.", "No header row.")
    columns = [column_name(value) for value in header]
    while columns and not columns[-1]:
        columns.pop()
    if len(columns) > MAX_COLUMNS:
        raise _refuse(f"The header names more than {MAX_COLUMNS} columns; remove the ones the import does not use.", "Too many columns.")
    seen: dict[str, int] = {}
    for index, name in enumerate(columns):
        if not name:
            raise _refuse(f"Column {_letter(index)} has no name in the header row; name it or delete the column.", "Unnamed column.")
        if name in seen:
            raise _refuse(
                f"The column {name!r} appears twice (columns {_letter(seen[name])} and {_letter(index)}); keep one of them.",
                f"Duplicate column {name!r}.",
            )
        seen[name] = index
    table = Table(columns=columns, rows=[])
    for number, values in raw:
        if not any(str(value).strip() for value in values):
            continue  # blank lines between rows are not rows
        if len(table.rows) >= MAX_ROWS:
            raise _refuse(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.", "Too many rows.")
        extra = [value for value in values[len(columns):] if str(value).strip()]
        if extra:
            table.shape_errors[number] = [f"The row has {len(columns) + len(extra)} or more values but the header names {len(columns)} columns."]
        row = {}
        for index, name in enumerate(columns):
            value = values[index] if index < len(values) else ""
            if isinstance(value, _Formula):
                table.formulas.add((number, name))
            row[name] = str(value).strip()
        table.rows.append((number, row))
    if not table.rows:
        raise _refuse("The file has a header row but no rows below it.", "No rows.")
    return table


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
