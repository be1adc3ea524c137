"""The only files WeasyPrint may read while rendering a PDF.

Templates name their stylesheet and fonts as ``oms-document:<name>``; the fetcher serves exactly
the names in :data:`PDF_ASSETS` from the project's own files and refuses everything else (http,
https, file, data, any other name or scheme) before anything is opened. A PDF built from
customer-supplied text (notes, addresses) therefore cannot make the renderer touch the network or
the disk. The kernel lists the shipped fonts; each app adds its stylesheets with
:func:`pdf_asset_register` when its printing module is imported.
"""

from functools import lru_cache
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "oms-document"
_FONTS = Path(__file__).resolve().parent.parent / "static" / "oms" / "fonts"

# name after ``oms-document:`` -> (file, media type). Exact names only: no directories, no globs.
PDF_ASSETS: dict[str, tuple[Path, str]] = {
    "fonts/DejaVuSans.ttf": (_FONTS / "DejaVuSans.ttf", "font/ttf"),
    "fonts/DejaVuSans-Bold.ttf": (_FONTS / "DejaVuSans-Bold.ttf", "font/ttf"),
    "fonts/DejaVuSansMono.ttf": (_FONTS / "DejaVuSansMono.ttf", "font/ttf"),
}


class PdfResourceRefused(ValueError):
    """A template named something outside the allow-list; nothing was fetched."""


def pdf_asset_register(name: str, path: Path, media_type: str) -> None:
    """Allow templates to use ``oms-document:<name>``, served from ``path`` (a file of the project).

    Registering the same name for the same file again is harmless; for another file it is a
    programming error (two apps would silently print with each other's stylesheet)."""
    path = Path(path).resolve()
    if not name or ".." in name.split("/") or ":" in name:
        raise ValueError(f"{name!r} is not a plain asset name (e.g. labels.css).")
    if not path.is_file():
        raise ValueError(f"The PDF asset {name!r} points at {path}, which is not a file.")
    known = PDF_ASSETS.get(name)
    if known is not None and known != (path, media_type):
        raise ValueError(f"The PDF asset {name!r} is already registered for {known[0]}.")
    PDF_ASSETS[name] = (path, media_type)


@lru_cache(maxsize=None)
def _asset_bytes(name: str) -> bytes:
    # Read once per process: every render of every PDF reuses the same font bytes.
    return PDF_ASSETS[name][0].read_bytes()


class PdfAssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the allow-listed assets and nothing else.

    ``fail_on_errors`` makes a refusal stop the rendering (rather than print a PDF with a missing
    resource); :func:`oms.pdf.html_layout` turns that into a :class:`PdfResourceRefused`.
    """

    def __init__(self):
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False, fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        prefix = f"{SCHEME}:"
        name = url[len(prefix):] if url.startswith(prefix) else None
        if name not in PDF_ASSETS:
            self.refused.append(url)
            raise PdfResourceRefused(f"PDFs may only use the project's own fonts and stylesheets; {url[:200]!r} was refused.")
        media_type = PDF_ASSETS[name][1]
        return URLFetcherResponse(url, _asset_bytes(name), headers={"Content-Type": media_type})

    def open(self, url, data=None, timeout=None):
        # urllib's opener (and with it every http/file handler) is never used: all goes through fetch.
        return self.fetch(url if isinstance(url, str) else url.full_url)
