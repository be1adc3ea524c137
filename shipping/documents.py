"""Shipping labels in batches: which shipments may print, and one PDF of their labels rendered in
chunks with progress, inline (the API, the console) or as a background document job
(:mod:`oms.documents`, kind ``shipping_labels``, payload ``{"shipment_ids": [...]}``).

A batch prints the labels the OMS renders (4x6, a page per parcel). It refuses, before anything
is rendered or queued, an id that is no shipment, a voided shipment (its label must not be used)
and a shipment whose label the carrier supplied (served as it came, one by one).
"""

from collections.abc import Callable, Sequence

from oms.documents import DocumentRenderer, RenderedPdf, document_payload_ids, document_renderer_register
from oms.errors import InvalidInput, InvalidTransition
from oms.pdf import html_layout

from .labels import labels_html, shipment_parcel_labels
from .models import Shipment, ShipmentStatus
from .services import CARRIER_LABEL_FORMAT, MANUAL_LABEL_FORMAT

KIND = "shipping_labels"
TITLE = "Shipping labels"
# Shipments laid out between two progress reports: the per-layout overhead stays small and the
# job page sees the bar move.
CHUNK_SIZE = 50
MAX_BATCH = 10_000


def label_batch_check(shipment_ids: Sequence[int]) -> list[int]:
    """The ids, each once and in order, once every one is a shipment whose label the OMS prints.

    Refuses with ``InvalidInput`` (ids that are no shipment, too many) or ``InvalidTransition``
    (voided shipments, labels the carrier supplied), naming each one; one query.
    """
    ids = list(dict.fromkeys(shipment_ids))
    if not ids:
        raise InvalidInput("Name at least one shipment.", fields={"shipment_ids": ["Empty."]})
    if len(ids) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} shipments per batch ({len(ids)} given).", fields={"shipment_ids": ["Too many."]})
    found = {pk: (number, status, label_format) for pk, number, status, label_format in
             Shipment.objects.filter(pk__in=ids).values_list("pk", "tracking_number", "status", "label_format")}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise InvalidInput(
            f"No shipment with id {', '.join(map(str, missing))}; nothing was printed.",
            fields={f"shipment_ids[{ids.index(pk)}]": [f"No shipment {pk}."] for pk in missing},
        )
    voided = [pk for pk in ids if found[pk][1] == ShipmentStatus.VOIDED]
    carriers_own = [pk for pk in ids if found[pk][2] in (CARRIER_LABEL_FORMAT, MANUAL_LABEL_FORMAT) and pk not in voided]
    if voided or carriers_own:
        problems = {f"shipment_ids[{ids.index(pk)}]": [f"{found[pk][0]} is voided: its label must not be used."] for pk in voided}
        problems.update(
            {f"shipment_ids[{ids.index(pk)}]": [f"{found[pk][0]} has the carrier's own label: " + (
            "it was booked outside the OMS." if found[pk][2] == MANUAL_LABEL_FORMAT else "download it from its label.pdf.")] for pk in carriers_own}
        )
        refused = ", ".join(found[pk][0] for pk in voided + carriers_own)
        raise InvalidTransition(
            f"These shipments' labels are not printed in a batch (voided, or supplied by the carrier): {refused}. "
            "Leave them out and send the batch again.",
            fields=problems,
        )
    return ids


def _load(ids: Sequence[int]) -> list[Shipment]:
    shipments = Shipment.objects.select_related("carrier", "service").prefetch_related("parcels").defer("label_pdf").in_bulk(ids)
    return [shipments[pk] for pk in ids if pk in shipments]


def shipments_labels_batch_pdf(
    shipment_ids: Sequence[int], *, chunk_size: int = CHUNK_SIZE, progress: Callable[[int, int], None] | None = None
) -> RenderedPdf:
    """One PDF of the labels of ``shipment_ids`` (checked with :func:`label_batch_check`), in that
    order, laid out ``chunk_size`` shipments at a time; ``progress(done, total)`` after each chunk."""
    ids = list(shipment_ids)
    report = progress or (lambda done, total: None)
    report(0, len(ids))
    layouts, done = [], 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start:start + chunk_size]
        shipments = [shipment for shipment in _load(chunk) if shipment.status != ShipmentStatus.VOIDED]
        if len(shipments) != len(chunk):
            # Voided (or gone) since the batch was checked: printing the rest would hand out a bad label set.
            raise InvalidTransition("A shipment of the batch was voided or removed while its labels were printing; start the batch again.")
        layouts.append(html_layout(labels_html(shipment_parcel_labels(shipments))))
        done += len(chunk)
        report(done, len(ids))
    pages = [page for layout in layouts for page in layout.pages]
    return RenderedPdf(content=layouts[0].copy(pages).write_pdf(), page_count=len(pages))


def _count(payload: dict) -> int:
    return len(label_batch_check(document_payload_ids(payload, "shipment_ids")))


def _render(payload: dict, progress) -> RenderedPdf:
    return shipments_labels_batch_pdf(label_batch_check(document_payload_ids(payload, "shipment_ids")), progress=progress)


def label_renderer_register() -> None:
    """Register the ``shipping_labels`` document job renderer (``ShippingConfig.ready()``)."""
    document_renderer_register(KIND, DocumentRenderer(title=TITLE, count=_count, render=_render))
