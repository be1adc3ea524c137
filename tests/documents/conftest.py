"""Warehouse documents: plain-data builders and the text of rendered PDFs."""

import io
import itertools
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from fulfillment.documents import DocumentAddress, PackingSlipDocument, PackingSlipLine, PickListDocument, PickListLine

_numbers = itertools.count(1)

WAREHOUSE = DocumentAddress(name="Chicago DC", company="Acme Goods", line1="1200 W Dock Rd", city="Chicago", region="IL", postal_code="60607", country="US")


def pick_list_make(*, lines=None, number=None, kind="single", **fields) -> PickListDocument:
    """A pick list; ``lines`` as tuples (bin, zone, sku, name, quantity[, tote, slot])."""
    lines = lines or [("A-01-01", "A", "SKU-RED", "Red mug", 2), ("B-04-02", "B", "SKU-BLUE", "Blue plate", 1)]
    return PickListDocument(
        location=fields.pop("location", "Chicago DC"), number=number or f"PL-{next(_numbers):05d}", kind=kind,
        created=fields.pop("created", datetime(2025, 3, 14, 9, 30, tzinfo=timezone.utc)),
        lines=tuple(PickListLine(*line) for line in lines), **fields,
    )


def packing_slip_make(*, lines=None, number=None, order_number=None, **fields) -> PackingSlipDocument:
    """A packing slip; ``lines`` as tuples (sku, name, ordered, shipped)."""
    n = next(_numbers)
    lines = lines or [("SKU-RED", "Red mug", 2, 2), ("SKU-BLUE", "Blue plate", 3, 1)]
    return PackingSlipDocument(
        fulfillment_order_number=number or f"FO-{n:05d}", order_number=order_number or f"10{n:05d}",
        ship_to=fields.pop("ship_to", DocumentAddress(name="Ada Lovelace", line1="12 Analytical Street", line2="Flat 3",
                                                      city="London", postal_code="N1 9GU", country="GB")),
        ship_from=fields.pop("ship_from", WAREHOUSE),
        lines=tuple(PackingSlipLine(*line) for line in lines),
        returns_instructions=fields.pop("returns_instructions", "Send it back within 30 days with this slip; we refund on arrival."),
        **fields,
    )


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, as a reader of the PDF would extract it."""
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.fixture
def plain_renderers():
    """The pick list and packing slip job renderers that take document data in the payload."""
    from fulfillment.documents.jobs import plain_renderers_register
    from oms import documents

    saved = dict(documents._renderers)
    plain_renderers_register()
    yield
    documents._renderers.clear()
    documents._renderers.update(saved)
