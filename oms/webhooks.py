"""Outbound webhooks: subscriptions, fan-out of domain events, signed delivery with retries.

An event some active subscription wants gets one :class:`~oms.models.WebhookDelivery` per such
subscription when it is dispatched (after the business transaction committed), and each delivery
is sent by the Celery task ``oms.tasks.webhook_deliver``. Requests follow the Standard Webhooks
scheme: ``webhook-id`` (the event's uuid, the same on every attempt and re-delivery),
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``"{id}.{timestamp}.{body}"``. Anything but a 2xx answer is retried on :data:`RETRY_DELAYS`;
after the last one the delivery is ``failed`` and only a manual re-delivery sends it again.
"""

import base64
import functools
import hashlib
import hmac
import json
import logging
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .actors import Actor
from .versions import ExpectedVersion, version_check
from .wake import wake_ask
from .errors import DomainError, InvalidInput, NotFound
from .models import (
    EVENT_PATTERN,
    DomainEvent,
    Integration,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    event_name_matches,
    webhook_secret_new,
)

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd... failed attempt: eleven attempts spread over about 32 hours, so a
# receiver that is down for a day still gets everything once it is back.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800)
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A lease outlives the request's timeout by this much, so a slow but live worker keeps it.
LEASE_MARGIN_SECONDS = 30
RESPONSE_EXCERPT_CHARS = 500
USER_AGENT = "OMS-Webhooks/1"


# --- Which events anyone wants (the hot path of every recorded event) -------------------------

# (when fetched, the event names and patterns of active subscriptions of active integrations).
# Every event recorded asks whether anyone wants it; with nobody subscribed that must cost no query.
_wanted: tuple[float, frozenset[str]] | None = None


def _wanted_patterns() -> frozenset[str]:
    global _wanted
    now = time.monotonic()
    if _wanted is not None and now - _wanted[0] < settings.OMS_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS:
        return _wanted[1]
    patterns = frozenset(
        pattern
        for events in WebhookSubscription.objects.filter(is_active=True, integration__is_active=True).values_list("events", flat=True)
        for pattern in events
    )
    _wanted = (now, patterns)
    return patterns


def webhook_wants(name: str) -> bool:
    """Whether some active subscription wants events called ``name`` (as this process last saw it)."""
    patterns = _wanted_patterns()
    return bool(patterns) and event_name_matches(patterns, name)


def webhooks_forget() -> None:
    """Drop this process's list of wanted events: a subscription or integration changed. Other
    processes see the change within OMS_WEBHOOK_SUBSCRIPTION_CACHE_SECONDS."""
    global _wanted
    _wanted = None


def _forget_now_and_after_commit() -> None:
    # Now, so the rest of this transaction sees the change; after commit, so a read that raced
    # the commit and cached the old list does not keep it.
    webhooks_forget()
    transaction.on_commit(webhooks_forget)


# --- Fan-out --------------------------------------------------------------------------------


_FAN_OUT_SQL = (
    "INSERT INTO oms_webhookdelivery (event_id, subscription_id, status, attempts, next_attempt_at, last_error, created_at) "
    "VALUES {rows} ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING id"
)


def webhook_fan_out(event: DomainEvent) -> list[int]:
    """Owe ``event`` to every active subscription that wants it; returns the new deliveries' ids.

    Safe to run twice (the outbox may dispatch an event again): a delivery that exists already is
    left alone, so no subscription is sent the same event twice by fan-out. Deliveries are
    enqueued once this commits.
    """
    subscriptions = WebhookSubscription.objects.filter(is_active=True, integration__is_active=True).values_list("id", "events")
    wanted_by = [pk for pk, events in subscriptions if event_name_matches(events, event.name)]
    if not wanted_by:
        return []
    now = timezone.now()
    params = []
    for subscription_id in wanted_by:
        params += [event.pk, subscription_id, WebhookDelivery.Status.PENDING, 0, now, "", now]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(wanted_by))
    with connection.cursor() as cursor:
        cursor.execute(_FAN_OUT_SQL.format(rows=rows), params)
        created = [row[0] for row in cursor.fetchall()]
    for delivery_id in created:
        transaction.on_commit(functools.partial(_enqueue, delivery_id), robust=True)
    return created


def _enqueue(delivery_id: int) -> None:
    from .tasks import webhook_deliver

    webhook_deliver.delay(delivery_id)


# --- Sending --------------------------------------------------------------------------------


def webhook_body(event: DomainEvent) -> bytes:
    """The JSON a receiver gets for ``event``; the same bytes on every attempt."""
    document = {
        "id": str(event.uuid),
        "type": event.name,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
        "stream": event.stream or None,
        "sequence": event.sequence,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()


def webhook_signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"`` keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass
class _Answer:
    status_code: int | None
    duration_ms: int
    error: str
    excerpt: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# --- Reaching the receiver -------------------------------------------------------------------
#
# The receiver's name is resolved once per attempt, every address it answers is checked, and the
# connection goes to those addresses and no others: nothing below looks the name up a second time,
# so a DNS answer that turns inward between the check and the connection (DNS rebinding) reaches
# nobody. TLS still sends the receiver's name (SNI) and verifies the certificate against it, and the
# Host header names it. Redirects are not followed (a 3xx is a failed attempt: following it would
# turn the POST into a GET, or send signed data to an address nobody subscribed) and proxies from
# the environment are not used (a proxy would resolve the name again, out of our sight).

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class _Refused(Exception):
    """The receiver may not be called; the message says why."""


def _address_is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is loopback, private, link-local, reserved or multicast; an IPv6 address
    that carries an IPv4 one (mapped, 6to4, NAT64) is judged by that one too."""
    if not address.is_global or address.is_multicast:
        return True
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        return embedded is not None and _address_is_internal(embedded)
    return False


def _addresses_resolve(host: str, port: int) -> list[tuple]:
    """The receiver's addresses (``getaddrinfo`` entries), looked up once for this attempt.

    Unless OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on, every address must be public, not just one: a
    subscription naming an internal address would let whoever manages webhooks make this server send
    requests into its own network, and a name that answers one public and one internal address is
    either pointed inward on purpose or broken; it is refused with a reason rather than reached
    sometimes.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _Refused(f"Cannot resolve {host!r}: {exc}") from None
    if not settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if _address_is_internal(address):
                raise _Refused(
                    f"Refused: {host!r} resolves to {address}, a private, loopback or reserved address. Webhooks go to public "
                    "addresses only (OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true allows internal receivers)."
                )
    return infos


def _socket_connect(addresses: list[tuple], timeout: float) -> socket.socket:
    """A TCP socket connected to the first of ``addresses`` that answers within ``timeout`` seconds
    (for all of them together), by number: no name is looked up here."""
    deadline = time.monotonic() + timeout
    failure: OSError = TimeoutError("timed out")
    for family, kind, proto, _, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # The system's certificate authorities (SSL_CERT_FILE names another bundle); certificate and
    # host name are verified. One per process: a context is safe to share between threads.
    return ssl.create_default_context()


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP to addresses resolved and checked beforehand, with the receiver's host in the Host header."""

    def __init__(self, host: str, port: int, *, addresses: list[tuple], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self):
        self.sock = _socket_connect(self._addresses, self.timeout)


class _PinnedTLSConnection(_PinnedConnection):
    """HTTPS to addresses resolved and checked beforehand; SNI and the certificate check use the host name."""

    default_port = 443  # left out of the Host header, as browsers do

    def connect(self):
        super().connect()
        self.sock = _tls_context().wrap_socket(self.sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> _Answer:
    started = time.monotonic()
    status_code, error, excerpt = None, "", ""
    receiver = None
    try:
        parts = urllib.parse.urlsplit(url)
        tls = parts.scheme.lower() == "https"
        host, port = parts.hostname or "", parts.port or (443 if tls else 80)
        addresses = _addresses_resolve(host, port)
        receiver = (_PinnedTLSConnection if tls else _PinnedConnection)(host, port, addresses=addresses, timeout=timeout)
        receiver.request("POST", urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, "")), body=body, headers=headers)
        response = receiver.getresponse()
        status_code = response.status
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
        try:
            excerpt = response.read(RESPONSE_EXCERPT_CHARS).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            pass  # the answer counts; its text was only for the record
    except _Refused as refusal:
        return _Answer(None, 0, str(refusal), "")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    finally:
        if receiver is not None:
            receiver.close()
    return _Answer(status_code, int((time.monotonic() - started) * 1000), error, excerpt)


def _claim(delivery_id: int) -> datetime | None:
    """Lease a due delivery for one attempt with one conditional UPDATE; returns the lease's end,
    or None when it is not due, not pending, or leased by a worker that is still on it."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OMS_WEBHOOK_TIMEOUT_SECONDS + LEASE_MARGIN_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=lease)
    )
    return lease if claimed else None


def webhook_deliver_now(delivery_id: int) -> str | None:
    """Make one attempt at a delivery, if it is due and no other worker holds it; returns the
    delivery's status afterwards (None when this call did not attempt it).

    Never raises for the receiver's sake: an error answer, a timeout or a refused connection is
    recorded as a failed attempt and the next one is scheduled (or the delivery given up).
    """
    lease = _claim(delivery_id)
    if lease is None:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "subscription__integration").get(pk=delivery_id)
    subscription = delivery.subscription
    if not (subscription.is_active and subscription.integration.is_active):
        WebhookDelivery.objects.filter(pk=delivery_id, leased_until=lease).update(
            status=WebhookDelivery.Status.FAILED, leased_until=None, next_attempt_at=None,
            last_error="Not sent: the subscription or its integration is switched off. Re-deliver once it is on again.",
        )
        return WebhookDelivery.Status.FAILED
    event = delivery.event
    body = webhook_body(event)
    timestamp = int(time.time())
    message_id = str(event.uuid)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(secret=subscription.secret, message_id=message_id, timestamp=timestamp, body=body),
    }
    started_at = timezone.now()
    answer = _post(subscription.url, body, headers, settings.OMS_WEBHOOK_TIMEOUT_SECONDS)
    return _attempt_record(delivery, lease=lease, started_at=started_at, answer=answer)


def _attempt_record(delivery: WebhookDelivery, *, lease, started_at, answer: _Answer) -> str:
    attempts = delivery.attempts + 1
    now = timezone.now()
    outcome = dict(
        attempts=attempts, leased_until=None, last_status_code=answer.status_code,
        last_duration_ms=answer.duration_ms, last_error=answer.error[:2000],
    )
    retry_in = None
    if answer.succeeded:
        status = WebhookDelivery.Status.SUCCEEDED
        outcome.update(delivered_at=now, next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        status = WebhookDelivery.Status.FAILED
        outcome.update(next_attempt_at=None)
    else:
        status = WebhookDelivery.Status.PENDING
        retry_in = RETRY_DELAYS[attempts - 1]
        outcome.update(next_attempt_at=now + retry_in)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery_id=delivery.pk, started_at=started_at, status_code=answer.status_code, duration_ms=answer.duration_ms,
            succeeded=answer.succeeded, error=answer.error[:2000], response_excerpt=answer.excerpt[:RESPONSE_EXCERPT_CHARS],
        )
        # Only while the lease is still ours: had it run out, another worker owns the delivery now.
        kept = WebhookDelivery.objects.filter(pk=delivery.pk, leased_until=lease).update(status=status, **outcome)
    if not kept:
        logger.warning("webhook delivery %s: lease ran out during the attempt; left to its new owner", delivery.pk)
        return status
    if retry_in is not None and not _tasks_run_in_process():
        # With a broker a sweep wakes for the retry at its time (module constants below); in-process
        # (the demo) the minute sweep sends it, since a countdown there would run at once.
        transaction.on_commit(retries_wake, robust=True)
    return status


# A retry due within this many seconds gets a sweep at its time: one task, at the soonest retry,
# for every failed delivery (a receiver down at the peak costs one task, not one per delivery).
# Later retries are left to the minute sweep, so the broker never holds a message for hours (Redis
# hands a message held past its visibility timeout, an hour, to a second worker).
RETRY_WAKE_HORIZON_SECONDS = 600
RETRY_WAKE_KEY = "oms:webhooks:retry-wake"  # when the sweep asked for is due (epoch seconds)


def retries_wake() -> None:
    """Ask for a sweep at the soonest retry due within the horizon, unless one is asked for by then
    (in-process, as in the demo, the minute sweep is enough: a countdown there would run at once)."""
    from .tasks import webhooks_sweep as sweep_task

    if _tasks_run_in_process():
        return
    now = timezone.now()
    soonest = (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__gt=now, next_attempt_at__lte=now + timedelta(seconds=RETRY_WAKE_HORIZON_SECONDS),
        ).order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    )
    if soonest is not None:
        wake_ask(RETRY_WAKE_KEY, soonest, sweep_task)


def _tasks_run_in_process() -> bool:
    from celery import current_app

    return bool(current_app.conf.task_always_eager)


def webhooks_sweep(*, limit: int = 500) -> int:
    """Enqueue pending deliveries that are due and not held by a live worker: retries whose time
    has come, messages lost on the way and deliveries whose worker died (lease expired). Returns
    how many. Enqueuing one twice is harmless: only one worker can claim it."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in due:
        _enqueue(delivery_id)
    return len(due)


def webhook_delivery_redeliver(*, delivery_id: int, actor: Actor) -> WebhookDelivery:
    """Send a delivery again, whatever became of it, with the same ``webhook-id``: it goes back to
    pending with a fresh retry schedule and is enqueued after commit. Refused (409) while an
    attempt is under way or when its subscription or integration is switched off."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",)).select_related("subscription__integration").filter(pk=delivery_id).first()
        )
        if delivery is None:
            raise NotFound(f"No webhook delivery with id {delivery_id}.")
        now = timezone.now()
        if delivery.status == WebhookDelivery.Status.PENDING and delivery.leased_until and delivery.leased_until > now:
            raise DomainError("This delivery is being sent right now; look again in a moment.", code="delivery_in_flight")
        subscription = delivery.subscription
        if not (subscription.is_active and subscription.integration.is_active):
            raise DomainError(
                "The subscription or its integration is switched off; switch it on before re-delivering.", code="subscription_inactive"
            )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now, leased_until=None
        )
        transaction.on_commit(functools.partial(_enqueue, delivery.pk), robust=True)
    logger.info("webhook delivery %s re-delivered by %s", delivery.pk, actor)
    delivery.refresh_from_db()
    return delivery


# --- Subscriptions ----------------------------------------------------------------------------


def _events_clean(events) -> list[str]:
    if not isinstance(events, (list, tuple)) or not events:
        raise InvalidInput("Name at least one event.", fields={"events": ['A list such as ["order.created", "order.*"] or ["*"].']})
    bad = [name for name in events if not isinstance(name, str) or not EVENT_PATTERN.match(name)]
    if bad:
        raise InvalidInput(
            "Event names are lower-case words joined by dots; a trailing .* takes a prefix; * takes every event.",
            fields={"events": [f"Not an event name or pattern: {name!r}." for name in bad]},
        )
    return sorted(set(events))


def _url_clean(url: str) -> str:
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("Webhooks are POSTed over http or https.", fields={"url": ["Must start with http:// or https://."]})
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise InvalidInput("The webhook URL names no host.", fields={"url": ["Must be a full URL, e.g. https://example.com/hooks/oms."]})
    if not settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES and _is_internal_literal(host):
        raise InvalidInput(
            "Webhooks go to public addresses only.",
            fields={"url": [f"{host} is a private, loopback or reserved address (OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off)."]},
        )
    return url


def _is_internal_literal(host: str) -> bool:
    """Whether ``host`` is written as an internal address (names are resolved, and refused, at delivery)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return _address_is_internal(address)


def webhook_subscription_create(
    *, integration: Integration, url: str, events: list[str], actor: Actor, description: str = "", is_active: bool = True
) -> WebhookSubscription:
    """Subscribe an integration to events; the new secret is on the returned object (show it once).
    Every process of this one sees the subscription at once, others within the cache time."""
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            integration=integration, url=_url_clean(url), events=_events_clean(events), description=description,
            is_active=is_active, secret=webhook_secret_new(),
        )
        _forget_now_and_after_commit()
    logger.info("webhook subscription %s created by %s", subscription.pk, actor)
    return subscription


def webhook_subscription_update(
    *, subscription_id: int, actor: Actor, expected_version: ExpectedVersion = None, **changes
) -> WebhookSubscription:
    """Change ``url``, ``events``, ``description`` or ``is_active``; with ``expected_version``,
    only if nobody changed the subscription since (412 otherwise). Raises its version by one."""
    allowed = {"url", "events", "description", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput("Only url, events, description and is_active can be changed.", fields={k: ["Cannot be changed."] for k in unknown})
    if "url" in changes:
        changes["url"] = _url_clean(changes["url"])
    if "events" in changes:
        changes["events"] = _events_clean(changes["events"])
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(f"No webhook subscription with id {subscription_id}.")
        version_check(expected_version, subscription.version, what="This subscription")
        changes = {name: value for name, value in changes.items() if getattr(subscription, name) != value}
        if not changes:
            return subscription
        WebhookSubscription.objects.filter(pk=subscription.pk).update(version=F("version") + 1, updated_at=timezone.now(), **changes)
        _forget_now_and_after_commit()
    logger.info("webhook subscription %s changed by %s: %s", subscription_id, actor, sorted(changes))
    subscription.refresh_from_db()
    return subscription


def webhook_subscription_rotate_secret(*, subscription_id: int, actor: Actor) -> WebhookSubscription:
    """Give the subscription a new secret (returned once on the object); the old one stops
    signing at once, so the receiver must switch to the new one."""
    with transaction.atomic():
        updated = WebhookSubscription.objects.filter(pk=subscription_id).update(
            secret=webhook_secret_new(), version=F("version") + 1, updated_at=timezone.now()
        )
        if not updated:
            raise NotFound(f"No webhook subscription with id {subscription_id}.")
    logger.info("webhook subscription %s secret rotated by %s", subscription_id, actor)
    return WebhookSubscription.objects.get(pk=subscription_id)


def webhook_subscription_delete(*, subscription_id: int, actor: Actor, expected_version: ExpectedVersion = None) -> None:
    """Delete a subscription and its deliveries' history; nothing more is sent to it."""
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        if subscription is None:
            raise NotFound(f"No webhook subscription with id {subscription_id}.")
        version_check(expected_version, subscription.version, what="This subscription")
        subscription.delete()
        _forget_now_and_after_commit()
    logger.info("webhook subscription %s deleted by %s", subscription_id, actor)


def webhook_subscription_validate(*, url: str, events: list[str]) -> None:
    """Raise ``InvalidInput`` where creating a subscription with ``url`` and ``events`` would, so a
    form can refuse them on the page instead of after saving."""
    _url_clean(url)
    _events_clean(events)
