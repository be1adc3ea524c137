"""One error shape for the whole API::

    {"error": {"code": "invalid", "message": "...", "fields": {"lines[0].quantity": ["..."]}}}

Domain errors, DRF's own errors and anything unexpected all come out in it; nothing is a bare 500 page.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from oms.errors import DomainError

logger = logging.getLogger(__name__)


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"a.b[0].c": ["message"]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # list items: DRF reports them as {index: errors}
                path = f"{prefix}[{key}]"
            else:
                path = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                path = prefix or "non_field_errors"
            for k, v in flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def body_too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return (
        f"The request body is larger than {limit / 1024 / 1024:g} MB ({limit:,} bytes), the most this server takes; "
        "send less at once (e.g. fewer orders per bulk call)."
    )


def too_many_fields_message() -> str:
    return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} form fields or query parameters; send fewer."


def _suspicious_answer(exc: SuspiciousOperation) -> Response:
    """Django's refusals of an oversized or odd request (it raises them while the body is read)."""
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("request_too_large", body_too_large_message()), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    message = too_many_fields_message() if isinstance(exc, TooManyFieldsSent) else f"The request was refused as malformed: {exc}"
    return Response(error_body("invalid", message), status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, SuspiciousOperation):
        return _suspicious_answer(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten(exc.detail)
        return Response(error_body("invalid", "The request is malformed; see fields.", fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        return Response(error_body(code, detail), status=exc.status_code, headers=headers)
    logger.exception("unhandled API error", exc_info=exc)
    return Response(error_body("server_error", "Something went wrong on our side; nothing was changed. Try again."), status=500)


@csrf_exempt  # API clients send no CSRF token; without this a POST to a wrong URL got an HTML 403
def api_not_found(request, *args, **kwargs):
    """The answer for a URL under /api/ that matches no endpoint."""
    from django.http import JsonResponse

    hint = "" if request.path.endswith("/") else " API URLs end with a slash."
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}.{hint}"), status=404)
