"""The only files WeasyPrint may read while rendering a warehouse document.

Templates name their stylesheet and fonts as ``oms-document:<name>``; the fetcher serves exactly
the names in :data:`DOCUMENT_ASSETS` from the project's own files and refuses everything else
(http, https, file, data, any other name or scheme) before anything is opened. A document built
from customer-supplied text (notes, addresses) therefore cannot make the renderer touch the
network or the disk.
"""

from functools import lru_cache
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "oms-document"
_APP = Path(__file__).resolve().parent.parent
_FONTS = _APP / "static" / "fulfillment" / "fonts"

# name after ``oms-document:`` -> (file, media type). Exact names only: no directories, no globs.
DOCUMENT_ASSETS: dict[str, tuple[Path, str]] = {
    "documents.css": (_APP / "templates" / "fulfillment" / "documents" / "documents.css", "text/css"),
    "fonts/DejaVuSans.ttf": (_FONTS / "DejaVuSans.ttf", "font/ttf"),
    "fonts/DejaVuSans-Bold.ttf": (_FONTS / "DejaVuSans-Bold.ttf", "font/ttf"),
    "fonts/DejaVuSansMono.ttf": (_FONTS / "DejaVuSansMono.ttf", "font/ttf"),
}


class DocumentResourceRefused(ValueError):
    """A template named something outside the allow-list; nothing was fetched."""


@lru_cache(maxsize=None)
def _asset_bytes(name: str) -> bytes:
    # Read once per process: every render of every document reuses the same font bytes.
    return DOCUMENT_ASSETS[name][0].read_bytes()


class DocumentAssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the allow-listed assets and nothing else.

    ``fail_on_errors`` makes a refusal stop the rendering (rather than print a document with a
    missing resource); :mod:`.rendering` turns that into a :class:`DocumentResourceRefused`.
    """

    def __init__(self):
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False, fail_on_errors=True)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        prefix = f"{SCHEME}:"
        name = url[len(prefix):] if url.startswith(prefix) else None
        if name not in DOCUMENT_ASSETS:
            self.refused.append(url)
            raise DocumentResourceRefused(f"Documents may only use the project's own fonts and stylesheet; {url[:200]!r} was refused.")
        media_type = DOCUMENT_ASSETS[name][1]
        return URLFetcherResponse(url, _asset_bytes(name), headers={"Content-Type": media_type})

    def open(self, url, data=None, timeout=None):
        # urllib's opener (and with it every http/file handler) is never used: all goes through fetch.
        return self.fetch(url if isinstance(url, str) else url.full_url)
