"""JSON from outside the OMS, parsed with a bound on how deeply it nests.

Python's json module recurses once per level, so a body of a few thousand ``[`` ends in a
RecursionError (a 500), and a document nested just under that limit breaks the next code that
recurses over it (a serializer, the Idempotency-Key fingerprint). Nothing the OMS takes in nests
more than a handful of levels, so anything deeper than :data:`MAX_DEPTH` is refused as malformed
before the parser starts.
"""

import json
import re
from itertools import accumulate

MAX_DEPTH = 64

# A complete string literal: brackets inside one are text, not nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class NestedTooDeep(ValueError):
    """A ``ValueError`` like any malformed JSON, so callers that refuse bad JSON refuse this too."""


def nesting_depth(text: str) -> int:
    """How many arrays and objects deep ``text`` nests at its deepest point."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    # The running sum of +1/-1 steps, kept in C: a body of millions of brackets costs well under a second.
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class DepthLimitedDecoder(json.JSONDecoder):
    """``json.JSONDecoder`` that refuses documents nested deeper than :data:`MAX_DEPTH`."""

    def decode(self, s, *args, **kwargs):
        if nesting_depth(s) > MAX_DEPTH:
            raise NestedTooDeep(f"the JSON is nested more than {MAX_DEPTH} levels deep; no document this API takes nests that deep")
        return super().decode(s, *args, **kwargs)


def loads(data: str | bytes, **kwargs):
    """``json.loads`` for input from outside: malformed or too deeply nested JSON raises ``ValueError``."""
    return json.loads(data, cls=DepthLimitedDecoder, **kwargs)
