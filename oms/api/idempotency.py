"""``Idempotency-Key`` on POST: a retry gets the first answer, never a second effect.

- same key, same body: the stored answer is replayed (header ``Idempotent-Replayed: true``);
- same key, another body: 422, the key is bound to its first request;
- same key while the first request is still running: 409, retry shortly;
- an answer of 5xx is not stored, so the retry runs again.

The key is claimed with one ``INSERT ... ON CONFLICT`` committed before the work starts, so a
concurrent duplicate sees the claim at once instead of waiting on a lock.
"""

import functools
import hashlib
import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from oms.db import insert_or_get, row_update
from oms.models import IdempotencyRecord

from .errors import error_body

HEADER = "Idempotency-Key"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _owner(request) -> str:
    user = request.user
    return str(user.get_username() if user is not None else "anonymous")[:120]


def _claim(request, key: str):
    """Claim the key; returns ``(record, claimed_by_us)``."""
    token = secrets.token_hex(16)
    candidate = IdempotencyRecord(owner=_owner(request), key=key, fingerprint=_fingerprint(request), token=token)
    record = insert_or_get(candidate, unique_fields=["owner", "key"])
    return record, candidate, record.token == token


def _take_over_stale(record: IdempotencyRecord, token: str) -> bool:
    """A claim left in flight past the timeout belongs to a request that died: take it over."""
    cutoff = timezone.now() - timedelta(seconds=settings.OMS_IDEMPOTENCY_INFLIGHT_TIMEOUT_SECONDS)
    if record.created_at > cutoff:
        return False
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_FLIGHT, token=record.token).update(
            token=token, created_at=timezone.now()
        )
    )


def idempotent(view_method):
    """Decorate an APIView's ``post``."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 255:
            return Response(error_body("invalid", f"{HEADER} is at most 255 characters.", {HEADER: ["Too long."]}), status=400)
        record, candidate, claimed = _claim(request, key)
        if not claimed:
            if record.fingerprint != candidate.fingerprint:
                return Response(
                    error_body("idempotency_key_reused", f"This {HEADER} was used for a different request; use a new key for a new request."),
                    status=422,
                )
            if record.state == IdempotencyRecord.State.DONE:
                return Response(record.response_body, status=record.response_status, headers={"Idempotent-Replayed": "true"})
            if not _take_over_stale(record, candidate.token):
                return Response(
                    error_body("idempotency_in_flight", f"A request with this {HEADER} is still being processed; retry in a moment."),
                    status=409,
                    headers={"Retry-After": "1"},
                )
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception as exc:
            # Turned into its answer here (not later by DRF) so a refusal is replayed like a success.
            response = self.handle_exception(exc)
        # A file answer (a PDF) has no JSON body to keep: like a 5xx it is not stored, and a retry
        # renders it again (only reads answer with files, so that acts nowhere twice).
        if response.status_code >= 500 or not hasattr(response, "data"):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
        else:
            row_update(
                IdempotencyRecord, record.pk,
                state=IdempotencyRecord.State.DONE, response_status=response.status_code, response_body=response.data,
            )
        return response

    wrapper.honours_idempotency_key = True
    return wrapper


def idempotency_records_purge() -> int:
    """Forget answers older than the replay window (run by beat)."""
    cutoff = timezone.now() - timedelta(hours=settings.OMS_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
