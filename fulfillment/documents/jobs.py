"""Pick lists and packing slips as background document jobs (``oms.documents``).

:func:`chunked_renderer` makes a job renderer from a loader that turns a job payload into
documents: it lays them out in chunks (reporting progress after each) and joins the pages into
one PDF (in parallel worker processes, see :func:`.rendering.documents_pdf`). :func:`plain_renderers_register` registers renderers whose payload carries the document
data itself (``{"documents": [...]}``, as ``as_dict`` makes it); :func:`by_id_renderers_register`
(called in ``FulfillmentConfig.ready()``) registers the production renderers, which read
fulfillment orders or pick lists by id (:mod:`.sources`) under the same kinds.
"""

from collections.abc import Callable, Sequence

from oms.documents import DocumentRenderer, Progress, RenderedPdf, document_payload_ids, document_renderer_register
from oms.errors import InvalidInput

from .data import PackingSlipDocument, PickListDocument
from .rendering import documents_pdf

# Documents laid out between two progress reports. Large enough that the per-render overhead
# stays small (bench/documents.py), small enough that the admin sees the bar move.
CHUNK_SIZE = 50

TITLES = {"pick_lists": "Pick lists", "packing_slips": "Packing slips"}


def chunked_renderer(*, kind: str, count: Callable[[dict], int], load: Callable[[dict], Sequence], chunk_size: int | None = None) -> DocumentRenderer:
    """A job renderer for ``kind`` (``pick_lists`` or ``packing_slips``) over ``load(payload)``."""

    def render(payload: dict, progress: Progress) -> RenderedPdf:
        documents = list(load(payload))
        progress(0, len(documents))
        if not documents:
            raise InvalidInput("There is nothing left to print: the documents were removed after the job was started.")
        # Chunks are laid out in parallel worker processes; progress is reported as each finishes.
        rendered = documents_pdf(kind, documents, chunk_size=chunk_size or CHUNK_SIZE, progress=progress)
        return RenderedPdf(content=rendered.content, page_count=rendered.page_count)

    return DocumentRenderer(title=TITLES[kind], count=count, render=render)


def _plain(document_class) -> tuple[Callable[[dict], int], Callable[[dict], list]]:
    def load(payload: dict) -> list:
        items = payload.get("documents") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise InvalidInput('The payload needs a "documents" list.', fields={"documents": ["A list is required."]})
        try:
            return [document_class.from_dict(item) for item in items]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidInput(f"A document in the payload is incomplete or malformed ({error}).", fields={"documents": [str(error)]}) from error

    return (lambda payload: len(load(payload))), load


def plain_renderers_register() -> None:
    """Register ``pick_lists`` and ``packing_slips`` renderers that take the document data itself."""
    for kind, document_class in (("pick_lists", PickListDocument), ("packing_slips", PackingSlipDocument)):
        count, load = _plain(document_class)
        document_renderer_register(kind, chunked_renderer(kind=kind, count=count, load=load))


def by_id_renderers_register() -> None:
    """Register the production renderers: ``packing_slips`` over ``{"fulfillment_order_ids": [...]}``
    and ``pick_lists`` over ``{"pick_list_ids": [...]}``, read from the database when the job runs.
    A payload naming an id that does not exist is refused before anything is queued."""
    from .sources import BY_ID_SOURCES, ids_require

    for kind, (key, model, noun, build) in BY_ID_SOURCES.items():

        def count(payload: dict, key=key, model=model, noun=noun) -> int:
            ids = document_payload_ids(payload, key)
            ids_require(model, ids, noun=noun, key=key)
            return len(ids)

        def load(payload: dict, key=key, build=build) -> list:
            return build(document_payload_ids(payload, key))

        document_renderer_register(kind, chunked_renderer(kind=kind, count=count, load=load))
