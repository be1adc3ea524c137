"""Webhook tests: real HTTP receivers on 127.0.0.1 and integrations subscribed through the services."""

import base64
import hashlib
import hmac
import http.server
import itertools
import json
import socket
import ssl
import threading
import time

import pytest

from oms import webhooks
from oms.models import Integration
from oms.webhooks import webhook_subscription_create

_codes = itertools.count(1)


class Receiver:
    """An HTTP server in a thread that records every request and answers with the next scripted
    status (200 once the script runs out); ``delay`` seconds of silence before each answer. With
    ``tls`` (a server-side SSL context) it speaks HTTPS and records the name each client asked for
    in ``server_names`` (SNI); ``host`` is the address it listens on."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.delay = 0.0
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    receiver.arrived.notify_all()
                    code = receiver.script.pop(0) if receiver.script else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                payload = b'{"ok": true}' if code < 300 else b"receiver says no"
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the sender gave up waiting (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def handle_error(self, request, client_address):
                pass  # a client that refused our certificate, or gave up waiting (tests that want this)

        self.server = Server((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.server_names: list[str | None] = []
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            # The handshake runs in the request's thread, so a failed one does not stop the server.
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        netloc = f"[{host}]" if ":" in host else host
        self.url = f"{'https' if tls else 'http'}://{netloc}:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)

    def documents(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def integration_make(**fields) -> Integration:
    code = fields.pop("code", f"partner-{next(_codes)}")
    return Integration.objects.create(code=code, name=fields.pop("name", code.title()), **fields)


@pytest.fixture
def subscribe(db):
    """``subscribe(url, events=["*"], integration=None)``: an active subscription made through the service."""

    def make(url: str, events=("*",), integration: Integration | None = None, **fields):
        return webhook_subscription_create(
            integration=integration or integration_make(), url=url, events=list(events), actor="test", **fields
        )

    return make


@pytest.fixture(autouse=True)
def _forget_wanted_events():
    """Each test starts with no list of wanted events remembered by the process."""
    webhooks.webhooks_forget()
    yield
    webhooks.webhooks_forget()


def signature_valid(request: dict, secret: str) -> bool:
    """Verify a Standard Webhooks signature the way a receiver would, from the secret alone."""
    headers = request["headers"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request["body"]
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split() if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
