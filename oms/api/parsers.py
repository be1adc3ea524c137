"""The API's parsers: DRF's JSON one with the kernel's bound on nesting (:mod:`oms.json_input`),
and the raw body of a signed webhook or an uploaded file, read no further than its limit.

A body or file over an endpoint's own limit is a 413 (``request_too_large``) naming the limit and
what to do, raised while the body is read: before a webhook's signature is checked (a signature
over a body cut at the limit would only ever say "wrong signature") and before anything is parsed.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from oms import json_input
from oms.errors import DomainError


class BodyTooLarge(DomainError):
    code = "request_too_large"
    status_code = 413


def body_read_limited(stream, *, limit: int, what: str, advice: str, field: str = "body") -> bytes:
    """At most ``limit`` bytes of ``stream`` (a request body or an uploaded file), or
    :class:`BodyTooLarge` when it holds more. One byte past the limit is read to tell."""
    content = stream.read(limit + 1) if stream is not None else b""
    if len(content) > limit:
        raise BodyTooLarge(
            f"{what} is larger than {limit / 1024 / 1024:g} MB ({limit:,} bytes), the most this endpoint takes; {advice} Nothing was recorded.",
            fields={field: [f"At most {limit:,} bytes."]},
        )
    return content


class RawBodyParser(parsers.BaseParser):
    """The body as bytes (a signature is over exactly what was sent), at most ``limit`` of them;
    subclasses set ``limit`` and the ``advice`` a too-large body's 413 gives."""

    media_type = "*/*"
    limit = 2 * 1024 * 1024
    advice = "send less at once."

    def parse(self, stream, media_type=None, parser_context=None):
        return body_read_limited(stream, limit=self.limit, what="The request body", advice=self.advice)


class JSONParser(parsers.JSONParser):
    """A body nested deeper than ``json_input.MAX_DEPTH`` levels is a 400, like any malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        options = {"parse_constant": drf_json.strict_constant} if self.strict else {}
        try:
            return json_input.loads(stream.read().decode(encoding), **options)
        except ValueError as error:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {error}") from None
