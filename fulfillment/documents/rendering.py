"""Warehouse documents as PDF (WeasyPrint), many documents in one file.

The fast path is one HTML document holding every page and one layout: the stylesheet is parsed
once, the shipped fonts are loaded once per process (a shared font configuration) and embedded
once per PDF. Each document starts on a new page and flows onto more when it is long; the running
header repeats its number on every page it covers.

A batch larger than one chunk (:func:`documents_pdf`) is laid out in parallel: each chunk's HTML
goes to a worker process (forked, so it inherits the loaded fonts and the restricted fetcher),
which returns that chunk's PDF; the chunks' PDFs are then joined in order. One process lays out
about 20 pages a second, so this is what lets a wave use every core of the machine.
"""

import io
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from oms.pdf import code128_svg, html_layout, qr_svg

from .data import PackingSlipDocument, PickListDocument
from .fetcher import DocumentResourceRefused  # noqa: F401  (registers documents.css; the error documents raise)

logger = logging.getLogger(__name__)

TEMPLATES = {
    "pick_lists": "fulfillment/documents/pick_lists.html",
    "packing_slips": "fulfillment/documents/packing_slips.html",
}


def _pick_list_context(document: PickListDocument) -> dict:
    return {
        "document": document,
        "lines": [
            {"line": line, "bin_barcode": code128_svg(line.bin_code), "sku_barcode": code128_svg(line.sku)}
            for line in document.lines
        ],
        "number_barcode": code128_svg(document.number),
    }


def _packing_slip_context(document: PackingSlipDocument) -> dict:
    return {
        "document": document,
        "order_qr": qr_svg(document.order_number),
        "number_barcode": code128_svg(document.fulfillment_order_number),
        # Each country's name is printed only when the parcel crosses a border.
        "ship_to": document.ship_to.lines(origin_country=document.ship_from.country),
        "ship_from": document.ship_from.lines(origin_country=document.ship_to.country),
    }


_CONTEXTS: dict[str, Callable] = {"pick_lists": _pick_list_context, "packing_slips": _packing_slip_context}


def documents_html(kind: str, documents: Sequence) -> str:
    """The HTML of ``documents`` (all of one kind) as one document, one section per document."""
    if kind not in TEMPLATES:
        raise ValueError(f"No template for documents of kind {kind!r}.")
    context = _CONTEXTS[kind]
    return render_to_string(TEMPLATES[kind], {"documents": [context(document) for document in documents]})


def documents_layout(kind: str, documents: Sequence):
    """Lay out ``documents`` of one kind as one WeasyPrint ``Document``."""
    if not documents:
        raise ValueError("There are no documents to print.")
    return html_layout(documents_html(kind, documents))


def layouts_pdf(layouts: Iterable) -> bytes:
    """One PDF of the pages of several layouts, in order (a job renders in chunks, then joins)."""
    layouts = list(layouts)
    pages = [page for layout in layouts for page in layout.pages]
    return layouts[0].copy(pages).write_pdf()


def pick_lists_pdf(documents: Sequence[PickListDocument]) -> bytes:
    """One PDF of every pick list; each starts on a new page, lines printed in walking order."""
    return documents_layout("pick_lists", documents).write_pdf()


def packing_slips_pdf(documents: Sequence[PackingSlipDocument]) -> bytes:
    """One PDF of every packing slip; each starts on a new page."""
    return documents_layout("packing_slips", documents).write_pdf()



@dataclass(frozen=True)
class RenderedDocuments:
    content: bytes
    page_count: int


def documents_processes() -> int:
    """Worker processes a batch may use (``OMS_DOCUMENTS_PROCESSES``; 0 means one per CPU)."""
    configured = getattr(settings, "OMS_DOCUMENTS_PROCESSES", 0) or 0
    if configured > 0:
        return configured
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def documents_pdf(
    kind: str, documents: Sequence, *, chunk_size: int, processes: int | None = None, progress: Callable[[int, int], None] | None = None
) -> RenderedDocuments:
    """One PDF of ``documents`` (all of one kind) in the order given, each starting on a new page.

    They are laid out in chunks of ``chunk_size``; ``progress(done, total)`` is called after each
    chunk, in document order. With more than one chunk and more than one process, chunks are laid
    out in parallel worker processes and their PDFs joined; the pages and their order are the same
    as a serial render's. A worker that cannot be started falls back to rendering here.
    """
    documents = list(documents)
    if not documents:
        raise ValueError("There are no documents to print.")
    total = len(documents)
    report = progress or (lambda done, total: None)
    chunks = [documents[start:start + chunk_size] for start in range(0, total, chunk_size)]
    processes = min(processes if processes is not None else documents_processes(), len(chunks))
    if processes > 1:
        htmls = [documents_html(kind, chunk) for chunk in chunks]
        try:
            return _parallel_pdf(htmls, [len(chunk) for chunk in chunks], processes=processes, total=total, report=report)
        except (BrokenProcessPool, OSError, AssertionError) as error:
            # E.g. a daemonic worker that may not have children, or no memory to fork: slower, still right.
            logger.warning("Rendering %s %s in this process: the worker processes could not run (%s).", total, kind, error)
    layouts, done = [], 0
    for chunk in chunks:
        layouts.append(documents_layout(kind, chunk))
        done += len(chunk)
        report(done, total)
    return RenderedDocuments(content=layouts_pdf(layouts), page_count=sum(len(layout.pages) for layout in layouts))


def _process_context():
    # Fork where the platform has it: the worker starts at once, with fonts and templates loaded.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _parallel_pdf(htmls: list[str], sizes: list[int], *, processes: int, total: int, report) -> RenderedDocuments:
    parts: list[tuple[bytes, int]] = []
    done = 0
    with ProcessPoolExecutor(max_workers=processes, mp_context=_process_context()) as pool:
        # map() yields in submission order, so progress and pages both follow the documents' order.
        for part, size in zip(pool.map(_chunk_pdf, htmls), sizes):
            parts.append(part)
            done += size
            report(done, total)
    return RenderedDocuments(content=pdfs_join(content for content, _ in parts), page_count=sum(pages for _, pages in parts))


def _chunk_pdf(html: str) -> tuple[bytes, int]:
    """In a worker: one chunk's PDF and its page count (the restricted fetcher applies here too)."""
    layout = html_layout(html)
    return layout.write_pdf(), len(layout.pages)


def pdfs_join(contents: Iterable[bytes]) -> bytes:
    """The pages of several PDFs in one, in order. Each part keeps its own embedded font subsets,
    which its pages reference, so every page prints with the fonts it was laid out with."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for content in contents:
        writer.append(PdfReader(io.BytesIO(content)))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()

