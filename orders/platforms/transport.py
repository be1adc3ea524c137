"""One HTTP policy for every platform the OMS calls back (Shopify, WooCommerce).

- 429: wait what ``Retry-After`` says (seconds), or back off when it says nothing; a wait longer
  than ``RetryPolicy.longest_wait`` is not slept through but raised, so a job can reschedule.
- 5xx and network failures: exponential backoff with jitter, at most ``RetryPolicy.attempts`` tries.
- 401/403: raised at once as ``PlatformAuthError`` naming the channel (trying again cannot help).
- other 4xx: ``PlatformRefused`` with the platform's own words.

Nothing here sleeps by itself: ``sleep`` and ``jitter`` are injected, so tests never wait. Secrets
travel only in headers or the session's auth; they never enter an error message.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from oms.errors import DomainError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
BODY_EXCERPT = 300


class PlatformError(DomainError):
    """A call to a channel's platform failed; nothing on the OMS side was changed by it."""

    code = "platform_error"
    status_code = 502


class PlatformNotConfigured(PlatformError):
    code = "platform_not_configured"
    status_code = 409


class PlatformAuthError(PlatformError):
    code = "platform_auth_failed"


class PlatformRateLimited(PlatformError):
    code = "platform_rate_limited"
    status_code = 503

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PlatformUnavailable(PlatformError):
    code = "platform_unavailable"
    status_code = 503


class PlatformRefused(PlatformError):
    """The platform understood the call and said no (a 4xx other than auth and rate limits, or a
    GraphQL error)."""

    code = "platform_refused"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    first_delay: float = 1.0  # seconds before the first retry; doubles each time
    longest_delay: float = 30.0  # cap of one backoff
    longest_wait: float = 120.0  # a platform asking for more than this is raised, not waited for

    def delay(self, retry: int) -> float:
        """Seconds before retry number ``retry`` (1, 2, …): ``first_delay`` doubling each time, at
        most ``longest_delay``. Jobs that reschedule their own work use it as it is."""
        return min(self.longest_delay, self.first_delay * 2 ** (max(retry, 1) - 1))

    def backoff(self, retry: int, jitter: Callable[[], float]) -> float:
        """The :meth:`delay`, half of it fixed and half random, so many workers that failed
        together do not come back together."""
        ceiling = self.delay(retry)
        return ceiling / 2 + ceiling / 2 * jitter()


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Shopify and WordPress send seconds, possibly fractional)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def base_url_check(url: str, *, channel: str) -> str:
    """Credentials go out over https only; plain http is accepted for a server on this machine (tests)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise PlatformNotConfigured(f"Channel {channel}: the platform address {url!r} is not a URL.")
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise PlatformNotConfigured(f"Channel {channel}: the platform address must use https:// (credentials travel with every call).")
    return url.rstrip("/")


class Transport:
    """A ``requests.Session`` with the retry policy; one per client, reused across calls."""

    def __init__(
        self, *, channel: str, platform: str, timeout: tuple[float, float], policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
        session: requests.Session | None = None, requests_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.channel = channel
        self.platform = platform
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.jitter = jitter
        self.session = session or requests.Session()
        # A platform without a published limit (a self-hosted WordPress) gets the pace its connection sets.
        self.spacing = 1.0 / requests_per_second if requests_per_second else 0.0
        self.clock = clock
        self._last_sent: float | None = None

    def _space(self) -> None:
        if self.spacing and self._last_sent is not None:
            gap = self._last_sent + self.spacing - self.clock()
            if gap > 0:
                self.sleep(gap)
        self._last_sent = self.clock()

    def wait(self, seconds: float, *, reason: str) -> None:
        if seconds > self.policy.longest_wait:
            raise PlatformRateLimited(
                f"Channel {self.channel}: {self.platform} asks to wait {seconds:.0f} s ({reason}); try again later.", retry_after=seconds,
            )
        self.sleep(seconds)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send until an answer that is not a 429 or 5xx, within the policy; raise domain errors."""
        failure = ""
        for attempt in range(1, self.policy.attempts + 1):
            self._space()
            try:
                response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = f"no answer ({type(error).__name__})"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise PlatformAuthError(
                        f"Channel {self.channel}: {self.platform} refused the credentials (HTTP {status}). "
                        "Check the access token or keys and their permissions on the channel page.",
                    )
                if status == 429:
                    if attempt == self.policy.attempts:
                        raise PlatformRateLimited(
                            f"Channel {self.channel}: {self.platform} kept answering 429 Too Many Requests after {attempt} tries.",
                            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                        )
                    seconds = retry_after_seconds(response.headers.get("Retry-After"))
                    self.wait(seconds if seconds is not None else self.policy.backoff(attempt, self.jitter), reason="429 Too Many Requests")
                    continue
                if status >= 500:
                    failure = f"HTTP {status}"
                elif status >= 400:
                    raise PlatformRefused(
                        f"Channel {self.channel}: {self.platform} refused {method} {urlsplit(url).path} (HTTP {status}): "
                        f"{response.text[:BODY_EXCERPT]}",
                        code=f"platform_http_{status}",
                    )
                else:
                    return response
            if attempt < self.policy.attempts:
                self.sleep(self.policy.backoff(attempt, self.jitter))
        raise PlatformUnavailable(
            f"Channel {self.channel}: {self.platform} did not answer {method} {urlsplit(url).path} after {self.policy.attempts} tries "
            f"(last: {failure}). It will be tried again later.",
        )
