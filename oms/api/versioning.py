"""Optimistic concurrency for the API: ``ETag`` on single-resource reads, ``If-Match`` on changes.

Each resource a client may change carries a ``version`` column that its services raise by one on
every change. The ETag is that number, quoted. A PATCH/PUT must send it back in ``If-Match``:
without it the answer is 428, with an old one 412 (re-read, re-apply, send again), so two
integrations editing the same order never overwrite each other unknowingly.
"""

from django.http import HttpResponseNotModified

from oms.errors import PreconditionFailed, PreconditionRequired
from oms.versions import IF_MATCH, etag_for

__all__ = ["IF_MATCH", "etag_for", "expected_version", "with_etag"]



def _tags(header: str) -> list[str]:
    # Weak validators compare equal here: a version number is the same whether or not a proxy
    # marked it weak on the way.
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def expected_version(request) -> int | None:
    """The version ``If-Match`` names (None for ``*``: any version); raises 428 when missing and
    412 when it names no version at all."""
    header = request.headers.get(IF_MATCH, "").strip()
    if not header:
        raise PreconditionRequired(
            f"Send the {IF_MATCH} header with the ETag you last read (GET the resource first), so a change "
            "made meanwhile by someone else is not overwritten.",
            fields={IF_MATCH: ["This header is required on PATCH and PUT."]},
        )
    tags = _tags(header)
    if "*" in tags:
        return None
    for tag in tags:
        number = tag.strip('"')
        if number.isdigit():
            return int(number)
    raise PreconditionFailed(f"{IF_MATCH} must be an ETag from this API, e.g. \"3\".", fields={IF_MATCH: ["Not an ETag of this API."]})


def with_etag(request, response, version: int):
    """Set the ETag on a single-resource answer; ``If-None-Match`` with the same tag gets 304."""
    tag = etag_for(version)
    if tag in _tags(request.headers.get("If-None-Match", "")):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = tag
        return not_modified
    response["ETag"] = tag
    return response
