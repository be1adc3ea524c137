"""Hostile files never crash an import: each is refused as a whole with a message that says what
to do, or its bad cells are row errors. Nothing is written either way."""

import io
import zipfile

import pytest

from inventory.models import Product
from oms.errors import InvalidInput
from reports.imports.files import MAX_FILE_BYTES, table_read
from reports.imports.services import import_check, import_run

from ..factories import ProductFactory
from .imports_support import csv_file, errors_of, written, xlsx_file

pytestmark = pytest.mark.django_db


def check(content: bytes, name: str = "file.csv", kind: str = "products"):
    return import_check(kind=kind, mode="valid_rows", content=content, file_name=name)


def refusal(content: bytes, name: str = "file.csv", kind: str = "products") -> str:
    before = written()
    with pytest.raises(InvalidInput) as caught:
        import_run(kind=kind, mode="valid_rows", content=content, file_name=name, dry_run=False, actor="accountant")
    assert written() == before
    assert caught.value.fields.get("file")
    return caught.value.message


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        pytest.param("sku,name,price\r\nCAFÉ-1,Café crème,3.50\r\n".encode("latin-1"), "prices.csv", "not UTF-8", id="latin-1"),
        pytest.param(b"", "prices.csv", "empty", id="empty"),
        pytest.param(b"\r\n\r\n", "prices.csv", "empty", id="blank-lines"),
        pytest.param(b"sku,name,price\r\n", "prices.csv", "no rows", id="header-only"),
        pytest.param(b"sku,name,sku\r\nA,B,C\r\n", "prices.csv", "appears twice", id="duplicate-column"),
        pytest.param(b"name,price\r\nA,1\r\n", "prices.csv", "lacks the column(s) sku", id="missing-column"),
        pytest.param(b"sku,,price\r\nA,B,1\r\n", "prices.csv", "Column B has no name", id="unnamed-column"),
        pytest.param(b"%PDF-1.7\n...", "prices.pdf", "Only CSV", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "prices.csv", "NUL bytes", id="binary-named-csv"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "prices.xls", "Only CSV", id="old-excel"),
        pytest.param(b"sku,name,price\r\nA,B,1\r\n", "prices.xlsx", "not an Excel workbook", id="csv-named-xlsx"),
        pytest.param(b"PK\x03\x04garbage" * 10, "prices.xlsx", "damaged", id="broken-zip"),
        pytest.param(b"sku,name\r\n\"A,unterminated\r\n" + b"x" * 10, "prices.csv", "not valid CSV", id="unterminated-quote"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_message(db, content, name, says):
    message = refusal(content, name)

    assert says.lower() in message.lower()


def test_a_file_over_the_limit_is_refused(db):
    content = b"sku,name,price\r\n" + b"A,B,1\r\n" * (MAX_FILE_BYTES // 7 + 2)

    assert "larger than 5 MB" in refusal(content)


def test_a_zip_that_is_not_a_workbook_is_refused(db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert "not an XLSX workbook" in refusal(buffer.getvalue(), "prices.xlsx")


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(db):
    # Given a small archive whose sheet unpacks to hundreds of megabytes
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"0" * (1024 * 1024)
            for _ in range(200):
                sheet.write(chunk)
    content = buffer.getvalue()
    assert len(content) < MAX_FILE_BYTES

    assert "unpacks to far more data" in refusal(content, "bomb.xlsx")


def test_a_workbook_with_a_broken_inside_is_refused_not_crashed(db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-closed")
        archive.writestr("[Content_Types].xml", "<Types/>")

    assert "cannot be read" in refusal(buffer.getvalue(), "broken.xlsx")


def test_a_utf8_file_with_a_byte_order_mark_and_semicolons_reads_as_excel_writes_it(db):
    content = "\ufeffSKU;Name;Price\r\nCAFÉ-1;Café crème;3,50\r\nCAFÉ-2;Thé;4.00\r\n".encode()

    report = check(content)

    assert [row.key for row in report.rows] == ["CAFÉ-1", "CAFÉ-2"]
    assert errors_of(report) == [(2, "price")]  # a decimal comma is named, not guessed
    assert report.rows[1].action == "create"


def test_extra_columns_are_ignored_and_named_and_extra_cells_are_a_row_error(db):
    content = csv_file("sku,name,price,colour", "A-1,Mug,1.00,blue", "A-2,Cup,2.00,red,surplus")

    report = check(content)

    assert report.ignored_columns == ["colour"]
    assert errors_of(report) == [(3, "sku")] and "header names 4 columns" in report.rows[1].errors[0][1]


def test_formula_cells_are_row_errors_in_csv_and_xlsx(db):
    csv_content = csv_file("sku,name,price", "A-1,=HYPERLINK(\"http://x\"),1.00", "A-2,Cup,=1+1")
    xlsx_content = xlsx_file([["sku", "name", "price"], ["A-1", "Mug", "=2*3"], ["A-2", "Cup", 2]])

    csv_report, xlsx_report = check(csv_content), check(xlsx_content, "prices.xlsx")

    assert errors_of(csv_report) == [(2, "name"), (3, "price")]
    assert "formula" in csv_report.rows[0].errors[0][1] and "paste the cell as a value" in csv_report.rows[0].errors[0][1]
    assert errors_of(xlsx_report) == [(2, "price")]
    assert xlsx_report.rows[1].action == "create"


def test_an_xlsx_file_is_read_like_a_csv_one_numbers_dates_and_all(db):
    ProductFactory(sku="SKU-OLD", name="Old")
    content = xlsx_file([["SKU", "Name", "Price", "Weight grams", "is_active"], ["SKU-OLD", "New name", 12.5, 300.0, True], [None, None, None, None, None], ["N-1", "New", 3, 0, False]])

    report = import_run(kind="products", mode="all_or_nothing", content=content, file_name="prices.xlsx", dry_run=False, actor="accountant")

    assert errors_of(report) == [] and [row.row for row in report.rows] == [2, 4]
    old, new = Product.objects.get(sku="SKU-OLD"), Product.objects.get(sku="N-1")
    assert (old.name, str(old.price), old.weight_grams) == ("New name", "12.500", 300)
    assert (str(new.price), new.is_active) == ("3.000", False)


def test_huge_and_odd_numbers_are_row_errors_not_crashes(db):
    content = csv_file(
        "sku,name,price,weight_grams,low_stock_threshold",
        "A-1,Mug,1e400,1,1", "A-2,Mug,NaN,1,1", "A-3,Mug,-Infinity,1,1", "A-4,Mug,1,3000000000,1", "A-5,Mug,1," + "9" * 40 + ",1",
        "A-6,Mug,1,1,-1",
    )

    report = check(content)

    assert errors_of(report) == [(2, "price"), (3, "price"), (4, "price"), (5, "weight_grams"), (6, "weight_grams"), (7, "low_stock_threshold")]


def test_the_rows_are_numbered_as_the_spreadsheet_shows_them_blank_lines_included(db):
    table = table_read(b"sku,name,price\r\nA,B,1\r\n\r\nC,D,x\r\n", "f.csv")

    assert [number for number, _ in table.rows] == [2, 4]


def test_a_file_with_more_rows_than_the_limit_is_refused_even_with_blank_lines_between(db, monkeypatch):
    from reports.imports import files

    monkeypatch.setattr(files, "MAX_ROWS", 5)
    lines = ["sku,name,price"] + [line for n in range(6) for line in (f"A-{n},Mug,1", "")]

    assert "more than 5 rows" in refusal(csv_file(*lines))
    assert "more than 5 rows" in refusal(xlsx_file([["sku", "name", "price"]] + [[f"A-{n}", "Mug", 1] if n % 2 else [None] * 3 for n in range(13)]), "f.xlsx")
