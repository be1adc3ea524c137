"""CSV and XLSX files of an export resource's rows, written in constant memory.

Rows are read as value lists through a server-side cursor (``.iterator(chunk_size=...)``: a
batch at a time, never the whole result), turned into cells by the resource's widgets and
written as they come: CSV by ``csv.writer`` in batches of rows, XLSX by openpyxl's write-only
workbook (rows go to a temporary file as they are appended; strings are inline, so nothing
grows with the row count). Whatever receives the bytes (an HTTP response, the chunks of a job)
sees pieces of bounded size.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from django.db import connections
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .export_resources import DayCell, ExportResource, MoneyCell, MomentCell

FETCH_ROWS = 2000  # rows per fetch from the server-side cursor
CSV_BATCH_ROWS = 2000  # rows per piece of CSV handed on
BOM = "\ufeff"  # so Excel reads the CSV as UTF-8 (names with accents stay right)

OnRows = Callable[[int], None]


def _row_maker(converters: list[Callable | None]) -> Callable[[tuple], tuple]:
    """One function that turns a fetched row into cells: the converters are bound as names and
    the row is taken apart by index, which is several times faster per row than a loop over
    columns (the writers' rate is mostly this)."""
    if not any(converters):
        return lambda row: row
    namespace = {f"c{index}": convert for index, convert in enumerate(converters) if convert is not None}
    cells = ", ".join(f"c{index}(row[{index}])" if convert is not None else f"row[{index}]" for index, convert in enumerate(converters))
    return eval(f"lambda row: ({cells},)", namespace)  # noqa: S307 (built from indexes above, no outside text)


def export_values(resource: ExportResource, queryset: QuerySet) -> Iterator[tuple]:
    """The stored values of each row, in the resource's column order, a batch at a time."""
    paths = [field.attribute for field in resource.export_fields()]
    return queryset.values_list(*paths).iterator(chunk_size=FETCH_ROWS)


def _csv_columns(resource: ExportResource, queryset: QuerySet) -> tuple[Iterator[tuple], list[Callable | None]]:
    """The rows to write as CSV and what turns each value into its cell. On PostgreSQL, columns
    whose widget can (times, amounts, days) arrive as the text of their cell, formatted by the
    database: it does in C, in its own process, what would otherwise cost a Python object and a
    conversion per cell (half of the CSV writer's time). The cells are the same either way."""
    export_fields = resource.export_fields()
    if connections[queryset.db].vendor != "postgresql":
        return export_values(resource, queryset), [field.widget.converters()[0] for field in export_fields]
    names, annotations, converters = [], {}, []
    for index, field in enumerate(export_fields):
        in_database = getattr(field.widget, "in_database", None)
        if in_database is None:
            names.append(field.attribute)
            converters.append(field.widget.converters()[0])
            continue
        expression, convert = in_database(field.attribute)
        annotations[f"export_cell_{index}"] = expression
        names.append(f"export_cell_{index}")
        converters.append(convert)
    return queryset.annotate(**annotations).values_list(*names).iterator(chunk_size=FETCH_ROWS), converters


def csv_pieces(resource: ExportResource, queryset: QuerySet, *, on_rows: OnRows | None = None) -> Iterator[bytes]:
    """The CSV as UTF-8 pieces: a BOM and the header, then a piece per batch of rows.
    ``on_rows(done)`` is called after each batch with the rows written so far."""
    rows, converters = _csv_columns(resource, queryset)
    make = _row_maker(converters)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(resource.get_export_headers())
    yield buffer.getvalue().encode()
    done = 0
    for batch in _batches(rows, CSV_BATCH_ROWS):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(make, batch))
        done += len(batch)
        yield buffer.getvalue().encode()
        if on_rows is not None:
            on_rows(done)


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# Number formats of typed XLSX cells: amounts show at least 2 decimals (3 when stored so).
_FORMATS = {MoneyCell: "#,##0.00#", MomentCell: "yyyy-mm-dd hh:mm:ss", DayCell: "yyyy-mm-dd"}


def xlsx_write(resource: ExportResource, queryset: QuerySet, output, *, on_rows: OnRows | None = None, every: int = CSV_BATCH_ROWS) -> int:
    """Write the XLSX to ``output`` (anything with ``write``); returns the rows written.
    ``on_rows(done)`` is called every ``every`` rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(resource.title[:31])
    export_fields = resource.export_fields()
    bold = Font(bold=True)
    header = []
    for name in resource.get_export_headers():
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    make = _row_maker([field.widget.converters()[1] for field in export_fields])
    formats = {index: _FORMATS[type(field.widget)] for index, field in enumerate(export_fields) if type(field.widget) in _FORMATS}
    done = 0
    for values in export_values(resource, queryset):
        row = list(make(values))
        for index, number_format in formats.items():
            if row[index] is not None:
                cell = WriteOnlyCell(sheet, value=row[index])
                cell.number_format = number_format
                row[index] = cell
        sheet.append(row)
        done += 1
        if on_rows is not None and done % every == 0:
            on_rows(done)
    book.save(output)
    return done

