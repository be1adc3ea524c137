"""The renderer reads the project's own fonts and stylesheet and nothing else."""

import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from fulfillment.documents import DocumentResourceRefused, packing_slips_pdf
from fulfillment.documents.fetcher import DOCUMENT_ASSETS, DocumentAssetFetcher
from fulfillment.documents.rendering import html_layout

from .conftest import packing_slip_make, pdf_pages


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="stylesheet" href="{url}/style.css"><p>x</p>',
        '<p>x</p><img src="{url}/pixel.png">',
        '<style>@font-face {{ font-family: X; src: url("{url}/font.ttf") }} p {{ font-family: X }}</style><p>x</p>',
        '<style>@import url("{url}/more.css");</style><p>x</p>',
        '<p style="background: url(\'{url}/bg.png\')">x</p>',
    ],
)
def test_a_template_naming_a_web_address_cannot_make_it_fetch_anything(listener, markup):
    url, requests = listener

    with pytest.raises(DocumentResourceRefused) as refused:
        html_layout(markup.format(url=url)).write_pdf()

    assert url in str(refused.value)
    assert requests == []


@pytest.mark.parametrize(
    "address",
    [
        "file:///etc/passwd",
        "file:///etc/hostname",
        f"file://{DOCUMENT_ASSETS['fonts/DejaVuSans.ttf'][0]}",  # a shipped file, but not through the allow-list
        "oms-document:../settings.py",
        "oms-document:fonts/../../../../config/settings.py",
        "data:text/css,p{color:red}",
    ],
)
def test_a_template_naming_a_local_file_or_any_other_name_is_refused(address):
    with pytest.raises(DocumentResourceRefused):
        html_layout(f'<link rel="stylesheet" href="{address}"><p>secret</p>').write_pdf()


@pytest.mark.parametrize("address", ["/etc/passwd", "../../../../etc/passwd", "fonts/DejaVuSans.ttf"])
def test_relative_and_bare_paths_resolve_to_nothing_and_the_document_prints_without_them(address):
    # Documents are rendered with no base URL: a path that is not a full allow-listed name is never opened.
    content = html_layout(f'<link rel="stylesheet" href="{address}"><img src="{address}"><p>Only this</p>').write_pdf()

    [page] = pdf_pages(content)
    assert page.strip() == "Only this"
    assert b"root:" not in content


def test_a_refused_image_does_not_leak_the_file_into_the_pdf():
    fetcher = DocumentAssetFetcher()

    with pytest.raises(DocumentResourceRefused):
        fetcher.fetch("file:///etc/passwd")

    assert fetcher.refused == ["file:///etc/passwd"]


def test_the_allow_listed_fonts_and_stylesheet_are_served_and_used():
    fetcher = DocumentAssetFetcher()

    for name, (path, media_type) in DOCUMENT_ASSETS.items():
        response = fetcher.fetch(f"oms-document:{name}")
        assert response.read() == path.read_bytes()
        assert response.content_type == media_type
    [page] = pdf_pages(packing_slips_pdf([packing_slip_make(number="FO-FONTS")]))
    assert "FO-FONTS" in page


def test_the_shipped_fonts_are_embedded_in_the_pdf():
    content = packing_slips_pdf([packing_slip_make()])

    fonts = {str(font["/BaseFont"]).split("+")[-1] for font in PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"].values()}
    assert fonts == {"Document-Sans", "Document-Sans-Bold", "Document-Mono"}  # the @font-face families, nothing from the system
