"""The PDF toolkit every app prints with: barcodes drawn as SVG, a URL fetcher that serves only
allow-listed project files (the shipped fonts and each app's stylesheets), and the WeasyPrint
layout that uses both. Apps register their own stylesheets with :func:`pdf_asset_register`."""

import logging

# WeasyPrint reports every step of every render (and of its own start-up) at INFO; a batch of 500
# pages would flood the log. Set before WeasyPrint is first imported.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
# fontTools (which WeasyPrint subsets fonts with) logs about a hundred INFO lines per font per PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)

from .barcodes import BarcodeError, code128_svg, code128_values, code128_widths, qr_svg  # noqa: E402
from .fetcher import PDF_ASSETS, SCHEME, PdfAssetFetcher, PdfResourceRefused, pdf_asset_register  # noqa: E402
from .rendering import html_layout, pdf_font_configuration  # noqa: E402

__all__ = [
    "PDF_ASSETS",
    "SCHEME",
    "BarcodeError",
    "PdfAssetFetcher",
    "PdfResourceRefused",
    "code128_svg",
    "code128_values",
    "code128_widths",
    "html_layout",
    "pdf_asset_register",
    "pdf_font_configuration",
    "qr_svg",
]
