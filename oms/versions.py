"""Versions of changeable resources (orders, customers, products, subscriptions).

Each carries a ``version`` column its services raise by one on every change. A caller that read
version N and wants to change the resource says so; the service compares under the row's lock,
so a change made meanwhile by someone else is never overwritten unknowingly. The API shows the
version as the ``ETag`` and takes it back in ``If-Match`` (``oms.api.versioning``).
"""

from collections.abc import Collection

from oms.errors import PreconditionFailed

IF_MATCH = "If-Match"

# What a caller says it read: one version, several (If-Match may list ETags; any one current will
# do), or None for any version (``If-Match: *``).
ExpectedVersion = int | Collection[int] | None


def etag_for(version: int) -> str:
    return f'"{version}"'


def version_check(expected: ExpectedVersion, current: int, *, what: str) -> None:
    """Raise :class:`PreconditionFailed` (412) unless ``expected`` is or holds the current version (None: any)."""
    if expected is None:
        return
    versions = {expected} if isinstance(expected, int) else set(expected)
    if current not in versions:
        yours = ", ".join(str(version) for version in sorted(versions))
        raise PreconditionFailed(
            f"{what} has changed since you read it (your version {yours}, now {current}). Read it again, re-apply "
            "your change and send it with the new ETag.",
            fields={IF_MATCH: [f"Current ETag is {etag_for(current)}."]},
        )
