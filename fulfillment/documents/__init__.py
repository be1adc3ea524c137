"""Warehouse documents: pick lists and packing slips as PDF, from plain data."""

import logging

# WeasyPrint reports every step of every render (and of its own start-up) at INFO; a batch of 500
# slips would flood the log. Set before WeasyPrint is first imported.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
# fontTools (which WeasyPrint subsets fonts with when HarfBuzz's subsetter is not installed) logs
# about a hundred INFO lines per font per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

from oms.pdf.barcodes import BarcodeError, code128_svg, code128_values, code128_widths, qr_svg
from .data import DocumentAddress, PackingSlipDocument, PackingSlipLine, PickListDocument, PickListLine
from .fetcher import DocumentResourceRefused
from .rendering import documents_layout, layouts_pdf, packing_slips_pdf, pick_lists_pdf

__all__ = [
    "BarcodeError",
    "DocumentAddress",
    "DocumentResourceRefused",
    "PackingSlipDocument",
    "PackingSlipLine",
    "PickListDocument",
    "PickListLine",
    "code128_svg",
    "code128_values",
    "code128_widths",
    "documents_layout",
    "layouts_pdf",
    "packing_slips_pdf",
    "pick_lists_pdf",
    "qr_svg",
]
