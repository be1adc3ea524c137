"""Optimistic concurrency for the API: ``ETag`` on single-resource reads, ``If-Match`` on changes.

Each resource a client may change carries a ``version`` column that its services raise by one on
every change. The ETag is that number, quoted. A PATCH/PUT must send it back in ``If-Match``:
without it the answer is 428, with an old one 412 (re-read, re-apply, send again), so two
integrations editing the same order never overwrite each other unknowingly.

As RFC 9110 says: ``If-Match: *`` matches whatever version exists (a missing resource is still
404); a list of ETags matches when any of them is current; and If-Match compares strongly, so a
weak ETag (``W/"3"``) never matches. ``If-None-Match`` compares weakly (a 304 needs no more).
"""

import re

from django.http import HttpResponseNotModified

from oms.errors import PreconditionFailed, PreconditionRequired
from oms.versions import IF_MATCH, etag_for

__all__ = ["IF_MATCH", "etag_for", "expected_version", "with_etag"]

# Our ETags are versions: a quoted number (at most 18 digits: it is a bigint column).
_STRONG_TAG = re.compile(r'"([0-9]{1,18})"')


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def expected_version(request) -> frozenset[int] | None:
    """The versions ``If-Match`` names, any of which may be current (None for ``*``: any version).

    Raises 428 when the header is missing, and 412 when it names no version this API could have
    given out (a weak ETag among them: RFC 9110 says If-Match never matches a weak one)."""
    header = request.headers.get(IF_MATCH, "").strip()
    if not header:
        raise PreconditionRequired(
            f"Send the {IF_MATCH} header with the ETag you last read (GET the resource first), so a change "
            "made meanwhile by someone else is not overwritten.",
            fields={IF_MATCH: ["This header is required on PATCH and PUT."]},
        )
    if header == "*":
        return None
    tags = _tags(header)
    versions = frozenset(int(match[1]) for match in map(_STRONG_TAG.fullmatch, tags) if match)
    if versions:
        return versions
    if any(tag.startswith("W/") for tag in tags):
        raise PreconditionFailed(
            f'{IF_MATCH} needs a strong ETag, exactly as the API sent it (e.g. "3"); a weak one (W/"3", as some proxies '
            "rewrite it) never matches. Send the ETag without W/.",
            fields={IF_MATCH: ["Weak ETags never match If-Match; send a strong one."]},
        )
    raise PreconditionFailed(f"{IF_MATCH} must be an ETag from this API, e.g. \"3\".", fields={IF_MATCH: ["Not an ETag of this API."]})


def with_etag(request, response, version: int):
    """Set the ETag on a single-resource answer; ``If-None-Match`` with the same tag, weak or not, gets 304."""
    tag = etag_for(version)
    if tag in [candidate.removeprefix("W/") for candidate in _tags(request.headers.get("If-None-Match", ""))]:
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = tag
        return not_modified
    response["ETag"] = tag
    return response
