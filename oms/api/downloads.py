"""Endpoints that answer with a file (a PDF, a CSV) rather than JSON.

Their refusals still come in the API's one error shape, so content negotiation must not refuse a
client that sends ``Accept: application/pdf`` (DRF would answer 406): errors are always JSON.
"""

from django.http import HttpResponse
from rest_framework.negotiation import BaseContentNegotiation


class FileAnswerNegotiation(BaseContentNegotiation):
    """Errors in JSON whatever ``Accept`` says; the file itself is an ``HttpResponse`` of its own type."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def file_response(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """``content`` as a download named ``filename``, never cached by a shared cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
