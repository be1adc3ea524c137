"""HTML to laid-out pages with WeasyPrint, through the restricted fetcher and the shipped fonts."""

from functools import lru_cache

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from .fetcher import PdfAssetFetcher, PdfResourceRefused


@lru_cache(maxsize=1)
def pdf_font_configuration() -> FontConfiguration:
    # One per process: @font-face files are fetched and registered with Fontconfig the first time
    # and found again on every later render.
    return FontConfiguration()


def html_layout(html: str):
    """Lay out ``html`` with the restricted fetcher; a WeasyPrint ``Document`` (pages, not yet PDF).

    Raises :class:`PdfResourceRefused` when the HTML names anything outside the allow-list.
    """
    fetcher = PdfAssetFetcher()
    try:
        return HTML(string=html, base_url=None, url_fetcher=fetcher).render(font_config=pdf_font_configuration())
    except FatalURLFetchingError as error:
        refused = fetcher.refused[0] if fetcher.refused else "a resource"
        raise PdfResourceRefused(
            f"The template names {refused!r}; PDFs may only use the project's own fonts and stylesheets."
        ) from error
