"""The buyer drafts and sends purchase orders in the console; the dock receives them by scan or count."""

import shutil
import subprocess

import pytest

from inventory.documents_purchasing import purchase_order_pdf
from inventory.models import Product, PurchaseOrder, StockLevel, Supplier
from inventory.models_purchasing import PurchaseOrderStatus as S
from inventory.purchasing import DraftLine, purchase_order_create, purchase_order_send, supplier_create, supplier_product_set

from ..factories import ProductFactory
from .conftest import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(warehouse):
    ProductFactory(sku="SKU-A", name="Kettle", gtin="04006381333931")
    ProductFactory(sku="SKU-B", name="Mug")
    supplier_create(code="acme", name="Acme Ltd", email="orders@acme.example", currency="EUR", lead_time_days=10, actor="test")
    supplier_product_set(supplier="acme", sku="SKU-A", unit_cost="4.00", supplier_sku="AC-1", is_preferred=True, actor="test")
    supplier_product_set(supplier="acme", sku="SKU-B", unit_cost="1.50", actor="test")


def sent_po(**kwargs):
    po = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=10), DraftLine(sku="SKU-B", quantity=4)], actor="t", **kwargs)
    purchase_order_send(purchase_order_id=po.pk, actor="t", email=False)
    return po


def receive_url(po):
    return f"/admin/inventory/purchaseorder/{po.pk}/receive/"


def test_the_buyer_drafts_a_purchase_order_and_sends_it(console, acme):
    client = console("Operations manager")
    form = {
        "supplier": Supplier.objects.get(code="acme").pk, "location": "chicago", "expected_date": "", "notes": "Dock 3",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0", "lines-0-sku": "SKU-A", "lines-0-quantity": "12", "lines-0-unit_cost": "",
        "lines-1-sku": "", "lines-1-quantity": "", "lines-1-unit_cost": "",
    }
    response = client.post("/admin/inventory/purchaseorder/add/", form)
    assert response.status_code == 302
    po = PurchaseOrder.objects.get()
    assert po.lines.get().quantity_ordered == 12

    page = client.get(f"/admin/inventory/purchaseorder/{po.pk}/change/").content.decode()
    assert "Send to the supplier" in page and "Download PDF" in page
    response = client.post(f"/admin/inventory/purchaseorder/{po.pk}/send/run/")
    assert response.status_code == 302
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.SENT
    assert StockLevel.objects.get(product__sku="SKU-A").incoming == 12


def test_a_draft_with_an_unknown_sku_shows_the_error_on_the_form(console, acme):
    client = console("Operations manager")
    form = {
        "supplier": Supplier.objects.get(code="acme").pk, "location": "chicago", "expected_date": "", "notes": "",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-sku": "NOPE", "lines-0-quantity": "1", "lines-0-unit_cost": "",
    }
    response = client.post("/admin/inventory/purchaseorder/add/", form)

    assert response.status_code == 200
    assert "Unknown SKU &#x27;NOPE&#x27;" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_the_dock_receives_by_scan_and_by_count(console, acme):
    po = sent_po()
    client = console("Warehouse")
    assert "Receive goods" in client.get(f"/admin/inventory/purchaseorder/{po.pk}/change/").content.decode()

    response = client.post(receive_url(po), {"scans": "04006381333931\n2*SKU-A\n", "line-2": "5", "note": "DN-77"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Over the order: 1 × SKU-B" in " ".join(messages_of(response))
    a, b = (StockLevel.objects.get(product__sku=sku) for sku in ("SKU-A", "SKU-B"))
    assert (a.on_hand, a.incoming, b.on_hand, b.incoming) == (3, 7, 5, 0)
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.PARTIALLY_RECEIVED


@pytest.mark.parametrize("post, error", [
    ({"scans": "999999"}, "Not on this purchase order: 999999"),
    ({"scans": "x*SKU-A"}, "write a count and a code"),
    ({"line-1": "-2"}, "A whole number of units"),
    ({"line-1": "", "scans": ""}, "Nothing to receive"),
])
def test_bad_receipts_show_what_to_fix_and_book_nothing(console, acme, post, error):
    po = sent_po()

    response = console("Warehouse").post(receive_url(po), post)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert StockLevel.objects.get(product__sku="SKU-A").on_hand == 0


def test_the_dock_may_not_send_and_the_accountant_may_not_receive(console, acme):
    po = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=1)], actor="t")

    warehouse = console("Warehouse")
    assert "Send to the supplier" not in warehouse.get(f"/admin/inventory/purchaseorder/{po.pk}/change/").content.decode()
    assert warehouse.post(f"/admin/inventory/purchaseorder/{po.pk}/send/run/").status_code == 403
    assert console("Accounting", username="acc").post(receive_url(po), {"line-1": "1"}).status_code == 403
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.DRAFT


def test_a_second_preferred_supplier_is_a_form_error_not_a_crash(console, acme):
    supplier_create(code="globex", name="Globex", actor="t")
    globex = Supplier.objects.get(code="globex")
    product = Product.objects.get(sku="SKU-A")
    form = {
        "code": "globex", "name": "Globex", "is_active": "on", "currency": "USD", "lead_time_days": "7", "lead_time_spread_days": "0",
        "pack_size": "1", "contact_name": "", "email": "", "phone": "", "line1": "", "line2": "", "postal_code": "", "city": "",
        "region": "", "country": "", "minimum_order_value": "", "minimum_order_units": "",
        "products-TOTAL_FORMS": "1", "products-INITIAL_FORMS": "0", "products-0-product": product.pk, "products-0-unit_cost": "3.00",
        "products-0-minimum_quantity": "1", "products-0-is_preferred": "on", "products-0-supplier_sku": "",
    }
    response = console("Operations manager").post(f"/admin/inventory/supplier/{globex.pk}/change/", form)

    assert response.status_code == 200
    assert "already has a preferred supplier" in response.content.decode()


def test_the_purchase_order_pdf_names_the_order_lines_and_total(acme, tmp_path):
    po = sent_po(notes="Deliver before noon")

    pdf = purchase_order_pdf(po.pk)

    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    (tmp_path / "po.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "po.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (f"Purchase order {po.number}", "Acme Ltd", "Chicago DC", "SKU-A", "AC-1", "Kettle", "46.00", "EUR", "Deliver before noon"):
        assert expected in text, expected


def test_the_console_downloads_the_pdf(console, acme):
    po = sent_po()

    response = console("Warehouse").get(f"/admin/inventory/purchaseorder/{po.pk}/pdf/")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def lines_form(po, rows, extra=1):
    """The edit-lines form as posted: ``rows`` of (line number or "", sku, quantity, cost, date, remove)."""
    data = {"lines-TOTAL_FORMS": str(len(rows) + extra), "lines-INITIAL_FORMS": str(sum(1 for row in rows if row[0]))}
    for index, (number, sku, quantity, cost, date, remove) in enumerate(rows):
        data.update({f"lines-{index}-line_number": number, f"lines-{index}-sku": sku, f"lines-{index}-quantity": quantity,
                     f"lines-{index}-unit_cost": cost, f"lines-{index}-expected_date": date})
        if remove:
            data[f"lines-{index}-DELETE"] = "on"
    for index in range(len(rows), len(rows) + extra):
        data.update({f"lines-{index}-sku": "", f"lines-{index}-quantity": ""})
    return data


def test_the_buyer_edits_a_drafts_lines_and_a_sent_ones_are_read_only(console, acme):
    # Given a draft of 10 kettles and 4 mugs
    po = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=10), DraftLine(sku="SKU-B", quantity=4)], actor="t")
    client = console("Operations manager")
    url = f"/admin/inventory/purchaseorder/{po.pk}/lines/"
    assert url in client.get(f"/admin/inventory/purchaseorder/{po.pk}/change/").content.decode()  # "Edit lines"
    page = client.get(url).content.decode()
    assert 'value="SKU-A"' in page and "Unit cost (EUR)" in page
    # When a quantity of zero is typed, then the row says what to fix and nothing changes
    refused = client.post(url, lines_form(po, [("1", "SKU-A", "0", "", "", False), ("2", "SKU-B", "4", "", "", False)]))
    assert refused.status_code == 200 and "above zero" in refused.content.decode()
    # When the buyer raises the kettles, removes the mugs and adds a line for more mugs at a new cost
    done = client.post(url, lines_form(po, [("1", "SKU-A", "12", "3.90", "", False), ("2", "SKU-B", "4", "", "", True),
                                            ("", "SKU-B", "24", "1.25", "", False)]), follow=True)
    assert "lines saved" in " ".join(messages_of(done))
    assert [(line.line_number, line.product.sku, line.quantity_ordered, str(line.unit_cost)) for line in po.lines.order_by("line_number")] == [
        (1, "SKU-A", 12, "3.900"), (3, "SKU-B", 24, "1.250")]
    assert "Line 2 (SKU-B) removed." in done.content.decode()  # the timeline on the PO's page
    # Once sent, the page says the lines are read-only and a stale form is refused, not a crash
    purchase_order_send(purchase_order_id=po.pk, actor="t", email=False)
    assert "cannot change" in client.get(url).content.decode()
    stale = client.post(url, lines_form(po, [("1", "SKU-A", "99", "", "", False)]))
    assert stale.status_code == 200 and "cannot change" in stale.content.decode()
    assert po.lines.get(line_number=1).quantity_ordered == 12
    assert console("Warehouse", "dock").get(url).status_code == 403


def test_a_draft_below_the_minimum_shows_it_and_its_send_button_confirms(console, acme):
    Supplier.objects.filter(code="acme").update(minimum_order_units=50)
    po = purchase_order_create(supplier="acme", location="chicago", lines=[DraftLine(sku="SKU-A", quantity=10)], actor="t")
    client = console("Operations manager")
    page = client.get(f"/admin/inventory/purchaseorder/{po.pk}/change/").content.decode()
    assert "Below the supplier&#x27;s minimum of 50 units" in page and "add 40 more units" in page
    assert "add 40 more units" in client.get(f"/admin/inventory/purchaseorder/{po.pk}/lines/").content.decode()  # where it is fixed
    assert "Send below the supplier&#x27;s minimum" in page and "?below_minimum_confirmed=1" in page
    # A plain send (the list action, or the URL without the confirmation) is refused with the reason
    refused = client.post(f"/admin/inventory/purchaseorder/{po.pk}/send/run/", follow=True)
    assert any("was not sent" in message and "add 40 more units" in message for message in messages_of(refused))
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.DRAFT
    client.post(f"/admin/inventory/purchaseorder/{po.pk}/send/run/?below_minimum_confirmed=1")
    assert PurchaseOrder.objects.get(pk=po.pk).status == S.SENT


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    (tmp_path / "document.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "document.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_a_long_purchase_order_names_itself_and_numbers_every_page_and_totals_once(acme, tmp_path):
    # Given a PO of 60 lines of 1,250 units at 12.34 EUR (15,425.00 EUR a line)
    for index in range(60):
        ProductFactory(sku=f"LONG-{index:02d}", name=f"Long item {index}")
        supplier_product_set(supplier="acme", sku=f"LONG-{index:02d}", unit_cost="12.34", actor="test")
    po = purchase_order_create(supplier="acme", location="chicago", actor="t",
                               lines=[DraftLine(sku=f"LONG-{index:02d}", quantity=1250) for index in range(60)])
    # When it is printed
    pages = pdf_pages(purchase_order_pdf(po.pk), tmp_path)
    # Then every page is numbered, every page after the first names the order above its lines,
    # and the total (grouped thousands, its currency) is printed once, at the end
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page and f"Purchase order {po.number}" in page
        assert "Unit cost" in page and "(EUR)" in page  # the header row repeats above the lines
    assert "15,425.00" in pages[0]
    totals = [number for number, page in enumerate(pages, start=1) if "Total, 60 lines" in page]
    assert totals == [len(pages)] and "925,500.00" in pages[-1] and "75000" in pages[-1] and "LONG-59" in pages[-1]
