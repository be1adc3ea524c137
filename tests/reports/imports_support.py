"""Helpers of the import tests: files written as a spreadsheet would, and the counts a write would move."""

import io

from customers.models import Customer, CustomerAddress
from inventory.models import Product, StockLevel, StockMovement
from oms.models import ConfigChange, DomainEvent
from reports.imports.models import ImportRecord


def csv_file(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_file(rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def written() -> dict[str, int]:
    """How many rows each table an import could write holds (the stock counters summed too)."""
    return {
        "products": Product.objects.count(),
        "product_versions": sum(Product.objects.values_list("version", flat=True)),
        "movements": StockMovement.objects.count(),
        "on_hand": sum(StockLevel.objects.values_list("on_hand", flat=True)),
        "customers": Customer.objects.count(),
        "addresses": CustomerAddress.objects.count(),
        "audit": ConfigChange.objects.count(),
        "events": DomainEvent.objects.count(),
        "imports": ImportRecord.objects.count(),
    }


def errors_of(report) -> list[tuple[int, str]]:
    """(row, column) of every error in a report (a dict as the API answers, or the report)."""
    data = report if isinstance(report, dict) else report.as_dict()
    return [(row["row"], error["column"]) for row in data["rows"] for error in row["errors"]]
