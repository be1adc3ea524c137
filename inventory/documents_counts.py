"""The count sheet: a cycle count's lines in walking order (bin, SKU, product, GTIN) with an empty
box for the units counted, for counting on paper. Blind: no expected quantity is printed. The
count's number is a Code 128 barcode. Rendered with WeasyPrint through the kernel's restricted
fetcher, with this app's own stylesheet (``count_sheet.css``)."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.template.loader import render_to_string

from oms.pdf import code128_svg, html_layout
from oms.pdf.fetcher import pdf_asset_register

from .models_counts import CycleCountLineStatus
from .selectors_counts import cycle_count_with_lines

pdf_asset_register(
    "count_sheet.css", Path(__file__).resolve().parent / "templates" / "inventory" / "documents" / "count_sheet.css", "text/css",
)


@dataclass(frozen=True)
class SheetLine:
    sequence: int
    bin: str
    sku: str
    name: str
    gtin: str
    recount: bool


@dataclass(frozen=True)
class CountSheet:
    """What the sheet prints (plain data: the template never touches the database)."""

    number: str
    location: str
    day: date
    lines: tuple[SheetLine, ...]


def count_sheet(count_id: int) -> CountSheet:
    """The lines still to count, in pick-path order; two queries."""
    count = cycle_count_with_lines(count_id)
    open_lines = [line for line in count.ordered_lines if line.status in (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT)]
    return CountSheet(
        number=count.number, location=f"{count.location.code} · {count.location.name}", day=count.scheduled_for,
        lines=tuple(SheetLine(sequence=line.sequence, bin=line.bin.code if line.bin else "", sku=line.product.sku, name=line.product.name,
                              gtin=line.product.gtin, recount=line.status == CycleCountLineStatus.RECOUNT) for line in open_lines),
    )


def count_sheet_html(sheet: CountSheet) -> str:
    return render_to_string("inventory/documents/count_sheet.html", {"sheet": sheet, "number_barcode": code128_svg(sheet.number)})


def count_sheet_pdf(count_id: int) -> bytes:
    """The count sheet of one count as a PDF (A4, as many pages as its lines need)."""
    return html_layout(count_sheet_html(count_sheet(count_id))).write_pdf()
