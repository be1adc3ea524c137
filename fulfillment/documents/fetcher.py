"""Warehouse documents print through the kernel's restricted fetcher (:mod:`oms.pdf.fetcher`):
the shipped fonts plus this app's stylesheet, registered here, and nothing else."""

from pathlib import Path

from oms.pdf.fetcher import PDF_ASSETS as DOCUMENT_ASSETS
from oms.pdf.fetcher import SCHEME, pdf_asset_register
from oms.pdf.fetcher import PdfAssetFetcher as DocumentAssetFetcher
from oms.pdf.fetcher import PdfResourceRefused as DocumentResourceRefused

_APP = Path(__file__).resolve().parent.parent

pdf_asset_register("documents.css", _APP / "templates" / "fulfillment" / "documents" / "documents.css", "text/css")

__all__ = ["DOCUMENT_ASSETS", "SCHEME", "DocumentAssetFetcher", "DocumentResourceRefused"]
