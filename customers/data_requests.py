"""A customer's data rights (GDPR / CCPA): export and erasure requests, and the retention job.

Every request is recorded as a :class:`DataRequest`, whoever made it (customer service in the
console, the customer in the portal, Shopify's compliance webhooks, the retention job) and
whatever became of it (done with counts, refused with the reason). The work itself walks the
kernel's personal-data registry (``oms.personal_data``), where each app registered its part.
"""

import csv
import io
import json
import secrets
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from oms.actors import Actor
from oms.errors import NotFound
from oms.events import event_record
from oms.personal_data import (
    personal_data_active_customers, personal_data_erase, personal_data_erasure_blockers, personal_data_export, personal_data_values,
)

from .models import Customer, DataRequest

DATA_EXPORTED_EVENT = "customer.data_exported"
ERASED_EVENT = "customer.erased"


def _requester(actor: Actor) -> dict:
    if actor is None or isinstance(actor, str):
        return {"requested_by": None, "requested_by_label": (actor or "system")[:120]}
    return {"requested_by": actor, "requested_by_label": actor.get_username()[:120]}


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    return customer


def data_request_refuse_unknown(*, kind: str, source: str, actor: Actor, reference: str = "", reason: str) -> DataRequest:
    """Record a request about a customer the OMS does not know (a platform's), refused with ``reason``."""
    now = timezone.now()
    return DataRequest.objects.create(
        kind=kind, customer=None, source=source, reference=reference[:120], status=DataRequest.Status.REFUSED,
        refusal_reason=reason[:500], finished_at=now, **_requester(actor),
    )


# --- export -----------------------------------------------------------------------------------


def customer_data_export_request(*, customer_id: int, source: str, actor: Actor, reference: str = "") -> DataRequest:
    """Record an export request and queue the background job that builds the ZIP (after commit)."""
    from .tasks import customer_data_export_build

    _customer(customer_id)
    with transaction.atomic():
        request = DataRequest.objects.create(
            kind=DataRequest.Kind.EXPORT, customer_id=customer_id, source=source, reference=reference[:120], **_requester(actor)
        )
        transaction.on_commit(lambda: customer_data_export_build.delay(request.pk), robust=True)
    return request


def _csv_bytes(rows: list[dict]) -> bytes:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: json.dumps(value) if isinstance(value, dict | list) else value for key, value in row.items()})
    return out.getvalue().encode("utf-8")


def personal_data_zip(data: dict[str, dict[str, list[dict]]]) -> bytes:
    """``data.json`` with everything, and one CSV per table (``<part>/<table>.csv``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for part, tables in data.items():
            for table, rows in tables.items():
                if rows:
                    archive.writestr(f"{part}/{table}.csv", _csv_bytes(rows))
    return buffer.getvalue()


def customer_data_export_run(*, request_id: int) -> str:
    """Build the export of a requested export: claimed by one conditional update (a duplicate
    message finds it taken and does nothing), the ZIP saved through the default storage."""
    claimed = DataRequest.objects.filter(
        pk=request_id, kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.REQUESTED
    ).update(status=DataRequest.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return "not waiting"
    request = DataRequest.objects.get(pk=request_id)
    try:
        data = personal_data_export(request.customer_id)
        content = personal_data_zip(data)
    except Exception as error:  # recorded, so the request never stays "running" for ever
        DataRequest.objects.filter(pk=request_id).update(
            status=DataRequest.Status.FAILED, refusal_reason=f"The export failed: {error}"[:500], finished_at=timezone.now()
        )
        raise
    # An unguessable name: the file is reached only through views that check who asks.
    name = f"customer-{request.customer_id}-export-{request.pk}-{secrets.token_hex(8)}.zip"
    with transaction.atomic():
        request.file.save(name, ContentFile(content), save=False)
        request.status = DataRequest.Status.DONE
        request.outcome = {part: {table: len(rows) for table, rows in tables.items()} for part, tables in data.items()}
        request.finished_at = timezone.now()
        request.save(update_fields=["file", "status", "outcome", "finished_at"])
        event_record(DATA_EXPORTED_EVENT, {"customer_id": request.customer_id, "request_id": request.pk}, stream=f"customer:{request.customer_id}")
    return "done"


def personal_data_file_response(data_request: DataRequest) -> FileResponse:
    """The export's ZIP as a download (the caller has checked who asks)."""
    response = FileResponse(data_request.file.open("rb"), as_attachment=True,
                            filename=f"customer-{data_request.customer_id}-data-{data_request.pk}.zip", content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


# --- erasure ----------------------------------------------------------------------------------


def customer_data_erasure_request(*, customer_id: int, source: str, actor: Actor, reference: str = "") -> DataRequest:
    """Record an erasure request and carry it out at once, in one transaction with the customer
    locked: refused (and recorded with the reason) while the customer has open orders, open
    returns (or, once they exist, unpaid invoices), or was erased already; otherwise every part
    anonymises the customer's data in place, keeping amounts, quantities, SKUs and dates, and the
    customer's export files are deleted after commit."""
    _customer(customer_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update(no_key=True).get(pk=customer_id)
        request = DataRequest.objects.create(
            kind=DataRequest.Kind.ERASURE, customer=customer, source=source, reference=reference[:120],
            status=DataRequest.Status.RUNNING, started_at=timezone.now(), **_requester(actor),
        )
        reasons = personal_data_erasure_blockers(customer_id)
        if customer.erased_at is not None:
            reasons = [f"The customer's personal data was already erased on {customer.erased_at:%Y-%m-%d}."]
        if reasons:
            request.status = DataRequest.Status.REFUSED
            request.refusal_reason = " ".join(reasons)[:500]
            request.finished_at = timezone.now()
            request.save(update_fields=["status", "refusal_reason", "finished_at"])
            return request
        strings = personal_data_values(customer_id)
        request.outcome = personal_data_erase(customer_id=customer_id, actor=actor, strings=strings)
        files = [name for name in DataRequest.objects.filter(customer_id=customer_id).exclude(file="").values_list("file", flat=True)]
        DataRequest.objects.filter(customer_id=customer_id).exclude(file="").update(file="")
        request.status = DataRequest.Status.DONE
        request.finished_at = timezone.now()
        request.save(update_fields=["status", "outcome", "finished_at"])
        event_record(ERASED_EVENT, {"customer_id": customer_id, "request_id": request.pk}, stream=f"customer:{customer_id}")
        transaction.on_commit(lambda: [default_storage.delete(name) for name in files], robust=True)
    return request


# --- retention --------------------------------------------------------------------------------


def retention_candidates(*, now=None) -> list[int]:
    """Customers not erased, with no order, change or preference since the retention cut-off
    (``OMS_PERSONAL_DATA_RETENTION_YEARS``), oldest first."""
    cutoff = (now or timezone.now()) - timedelta(days=round(365.25 * settings.OMS_PERSONAL_DATA_RETENTION_YEARS))
    ids = list(Customer.objects.filter(erased_at=None, updated_at__lt=cutoff).order_by("pk").values_list("pk", flat=True))
    active = personal_data_active_customers(ids, cutoff) if ids else set()
    return [pk for pk in ids if pk not in active]


def personal_data_retention_run(*, dry_run: bool = False, actor: Actor = "job:retention") -> dict:
    """Erase the personal data of customers inactive past the retention period; those with open
    orders or returns wait for a later run. ``dry_run`` only
    lists who would be erased. Safe to run twice: erased customers are no longer candidates."""
    candidates, waiting = [], []
    for customer_id in retention_candidates():
        # Open orders or returns: left alone (not a refused request every night) until they close.
        (waiting if personal_data_erasure_blockers(customer_id) else candidates).append(customer_id)
    erased = []
    if not dry_run:
        for customer_id in candidates:
            request = customer_data_erasure_request(customer_id=customer_id, source=DataRequest.Source.RETENTION, actor=actor)
            if request.status == DataRequest.Status.DONE:
                erased.append(customer_id)
    return {"candidates": candidates, "waiting": waiting, "erased": erased}
