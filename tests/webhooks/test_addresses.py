"""Where a delivery connects: the receiver's name is looked up once, every address it answers is
checked, and the request goes to those addresses, so a DNS answer that changes after the check
(DNS rebinding) cannot point it inward. Over TLS the name still drives SNI and the certificate check."""

import socket
import ssl

import pytest
import trustme

from oms import events, webhooks
from oms.models import WebhookDelivery
from oms.webhooks import webhook_deliver_now

from .conftest import Receiver

pytestmark = pytest.mark.django_db

NAME = "hooks.test"
PUBLIC = "8.8.8.8"  # never reached: connections are intercepted wherever a test names a public address

_real_getaddrinfo = socket.getaddrinfo


class Resolver:
    """``socket.getaddrinfo`` that answers NAME from a script (the n-th lookup gets the n-th answer,
    the last one from then on) and counts its lookups; other names resolve as usual."""

    def __init__(self, answers: list[list[str]]):
        self.answers = answers
        self.lookups = 0

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        if host != NAME:
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        self.lookups += 1
        addresses = self.answers[min(self.lookups, len(self.answers)) - 1]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
            for address in addresses
        ]


@pytest.fixture
def resolve(monkeypatch):
    """``resolve(["127.0.0.1"], ["10.0.0.1"])``: NAME answers the first list, then the second."""

    def install(*answers: list[str]) -> Resolver:
        resolver = Resolver(list(answers))
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        return resolver

    return install


@pytest.fixture
def connections(monkeypatch):
    """Every outgoing TCP connection of the process is recorded and refused; nothing leaves the machine."""
    attempted = []

    def refuse(sock, address):
        attempted.append(address[:2])
        raise ConnectionRefusedError(111, "Connection refused (intercepted by the test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempted


def _deliver(url: str, subscribe) -> WebhookDelivery:
    """One delivery of one event to a new subscription of ``url``, attempted now in this process."""
    subscription = subscribe(url)
    event = events.event_record("test.ping", {"n": 1})
    delivery = WebhookDelivery.objects.create(event=event, subscription=subscription)
    webhook_deliver_now(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_given_a_name_that_rebinds_after_its_first_lookup_then_the_delivery_goes_to_the_first_answer(
    receiver, subscribe, settings, resolve
):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on 127.0.0.1
    resolver = resolve(["127.0.0.1"], ["127.0.0.2"])  # nothing listens on 127.0.0.2: a second lookup would miss

    delivery = _deliver(f"http://{NAME}:{receiver.port}/hooks?source=oms", subscribe)

    assert resolver.lookups == 1
    assert delivery.status == "succeeded", delivery.last_error
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"{NAME}:{receiver.port}"
    assert request["path"] == "/hooks?source=oms"


def test_given_a_public_answer_at_check_time_and_loopback_after_then_only_the_checked_address_is_connected(
    receiver, subscribe, settings, resolve, connections
):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    resolver = resolve([PUBLIC], ["127.0.0.1"])

    delivery = _deliver(f"http://{NAME}:{receiver.port}/hooks", subscribe)

    assert resolver.lookups == 1
    assert connections == [(PUBLIC, receiver.port)]
    assert receiver.requests == []
    assert delivery.status == "pending" and "refused" in delivery.last_error.lower()


@pytest.mark.parametrize(
    "answer",
    [
        ["127.0.0.1"],
        ["10.20.30.40"],
        [PUBLIC, "192.168.1.10"],  # one public and one private: refused, not reached sometimes
        ["::1"],
        ["fd00::1"],
        ["::ffff:127.0.0.1"],  # IPv4-mapped loopback
        ["64:ff9b::a14:1e28"],  # NAT64 of 10.20.30.40
    ],
    ids=["loopback", "private", "public-and-private", "ipv6-loopback", "ipv6-unique-local", "ipv4-mapped", "nat64"],
)
def test_given_private_addresses_are_not_allowed_when_the_name_answers_one_then_nothing_is_sent(
    receiver, subscribe, settings, resolve, connections, answer
):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    resolve(answer)

    delivery = _deliver(f"http://{NAME}:{receiver.port}/hooks", subscribe)

    assert connections == [] and receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert f"{NAME!r} resolves to" in delivery.last_error
    assert "OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in delivery.last_error


def test_given_a_name_that_does_not_resolve_then_the_attempt_fails_with_the_reason(subscribe, settings):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    delivery = _deliver("https://no-such-host.invalid/hooks", subscribe)

    assert delivery.status == "pending" and "Cannot resolve 'no-such-host.invalid'" in delivery.last_error


@pytest.fixture
def ipv6_receiver():
    try:
        server = Receiver(host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    yield server
    server.close()


@pytest.mark.parametrize("by", ["name", "literal"])
def test_given_an_ipv6_receiver_then_it_is_reached_by_name_or_literal_address(ipv6_receiver, subscribe, settings, resolve, by):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    resolver = resolve(["::1"], ["127.0.0.1"])
    host = NAME if by == "name" else "[::1]"

    delivery = _deliver(f"http://{host}:{ipv6_receiver.port}/hooks", subscribe)

    assert delivery.status == "succeeded", delivery.last_error
    assert ipv6_receiver.requests[0]["headers"]["host"] == f"{host}:{ipv6_receiver.port}"
    assert resolver.lookups == (1 if by == "name" else 0)


# --- HTTPS --------------------------------------------------------------------------------------


@pytest.fixture
def certificate_authority(tmp_path, monkeypatch):
    """A throw-away CA that the sending side trusts (through SSL_CERT_FILE, as an operator would)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    webhooks._tls_context.cache_clear()
    yield authority
    webhooks._tls_context.cache_clear()


@pytest.fixture
def tls_receiver(certificate_authority):
    """``tls_receiver("hooks.test")``: an HTTPS receiver on 127.0.0.1 whose certificate names the given host."""
    servers = []

    def start(certificate_for: str) -> Receiver:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate_authority.issue_cert(certificate_for).configure_cert(context)
        servers.append(Receiver(tls=context))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_given_an_https_receiver_pinned_to_its_checked_address_then_sni_certificate_and_host_use_its_name(
    tls_receiver, subscribe, settings, resolve
):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    receiver = tls_receiver(NAME)
    resolver = resolve(["127.0.0.1"], ["127.0.0.2"])

    delivery = _deliver(f"https://{NAME}:{receiver.port}/hooks", subscribe)

    assert delivery.status == "succeeded", delivery.last_error
    assert resolver.lookups == 1
    assert receiver.server_names == [NAME]
    assert receiver.requests[0]["headers"]["host"] == f"{NAME}:{receiver.port}"


@pytest.mark.parametrize("certificate_for", ["other.test", "127.0.0.1"])
def test_given_a_certificate_for_another_name_or_for_the_pinned_address_then_nothing_is_sent(
    tls_receiver, subscribe, settings, resolve, certificate_for
):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    receiver = tls_receiver(certificate_for)
    resolve(["127.0.0.1"])

    delivery = _deliver(f"https://{NAME}:{receiver.port}/hooks", subscribe)

    assert receiver.requests == []
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error and NAME in delivery.last_error


def test_given_a_certificate_from_an_authority_nobody_trusts_then_nothing_is_sent(subscribe, settings, resolve):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert(NAME).configure_cert(context)
    receiver = Receiver(tls=context)
    resolve(["127.0.0.1"])
    try:
        delivery = _deliver(f"https://{NAME}:{receiver.port}/hooks", subscribe)
    finally:
        receiver.close()

    assert receiver.requests == []
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
