"""The API's JSON parser: DRF's, with the kernel's bound on nesting (:mod:`oms.json_input`)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from oms import json_input


class JSONParser(parsers.JSONParser):
    """A body nested deeper than ``json_input.MAX_DEPTH`` levels is a 400, like any malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        options = {"parse_constant": drf_json.strict_constant} if self.strict else {}
        try:
            return json_input.loads(stream.read().decode(encoding), **options)
        except ValueError as error:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {error}") from None
