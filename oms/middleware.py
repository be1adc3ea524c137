"""Requests no view should see, refused before any view (or other middleware) reads them.

- A URL path with a control character (a NUL above all: PostgreSQL refuses it in any query) or
  bytes that are not UTF-8 names no resource: 404.
- A query string with such characters, not UTF-8, or with more parameters than
  ``DATA_UPLOAD_MAX_NUMBER_FIELDS``: 400, naming the parameter.
- A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (multipart uploads aside: Django counts only
  their form fields): 413, with the limit.

Under ``/api/`` the answer has the API's error shape; elsewhere it is a short plain-text page.
"""

import re
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from oms.api.errors import body_too_large_message, error_body, too_many_fields_message

# C0 controls and DEL; a query value may hold tab and line breaks (a pasted search), a path not.
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Django decodes the path and escapes again (as "%FF") the bytes that are not UTF-8, so an escape
# left in the decoded path is such a byte (or a "%" the client escaped, which no identifier holds).
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class RequestRefusalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _path_refusal(request) or _query_refusal(request) or _body_refusal(request) or self.get_response(request)


def _refuse(request, status: int, code: str, message: str, fields: dict | None = None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message, fields), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _path_refusal(request):
    if _PATH_CONTROL.search(request.path):
        return _refuse(request, 404, "not_found", "No resource at this URL: its path contains a control character (such as NUL).")
    if _PERCENT_ESCAPE.search(request.path):
        return _refuse(request, 404, "not_found", "No resource at this URL: its path is not UTF-8 text.")
    return None


def _query_refusal(request):
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return None
    try:
        pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    except UnicodeError:
        return _refuse(request, 400, "invalid", "The query string is not UTF-8 text; percent-encode UTF-8 bytes.")
    except ValueError:  # parse_qsl's "Max number of fields exceeded"
        return _refuse(request, 400, "invalid", too_many_fields_message())
    fields = {
        name: ["Contains a control character (such as NUL); remove it."]
        for name, value in pairs
        if _QUERY_CONTROL.search(name) or _QUERY_CONTROL.search(value)
    }
    if fields:
        return _refuse(request, 400, "invalid", "A query parameter contains a control character (such as NUL).", fields)
    return None


def _body_refusal(request):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None or request.content_type == "multipart/form-data":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None  # Django reads such a body as empty
    if length > limit:
        return _refuse(request, 413, "request_too_large", body_too_large_message())
    return None
