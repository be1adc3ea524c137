"""A fake platform on 127.0.0.1: it answers with recorded answers (tests/channels/recorded/), in
the order a test queues them, and records every request it received."""

import http.server
import json
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "recorded"


def recorded(name: str, folder: Path = RECORDED) -> dict:
    """A recorded answer (``shopify/shop_name``); each file says in ``source`` where its shape comes from."""
    return json.loads((folder / f"{name}.json").read_text())


def _body(raw: bytes, content_type: str):
    """A request's body: JSON, or a form (``{name: [values]}``) as Twilio's API takes."""
    if not raw:
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return parse_qs(raw.decode(), keep_blank_values=True)
    return json.loads(raw)


class PlatformServer:
    def __init__(self, recorded_in: Path = RECORDED):
        self.recorded_in = recorded_in
        self.requests: list[dict] = []
        self.answers: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                server.requests.append({
                    "method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                    "headers": {k.lower(): v for k, v in self.headers.items()}, "body": _body(raw, self.headers.get("Content-Type", "")),
                })
                answer = server.answers.pop(0) if server.answers else {"status": 418, "headers": {}, "body": "nothing queued for this request"}
                body = answer["body"] if isinstance(answer["body"], str) else json.dumps(answer["body"])
                payload = body.replace("{base}", server.url).encode()
                self.send_response(answer["status"])
                for name, value in answer["headers"].items():
                    self.send_header(name, value.replace("{base}", server.url))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def play(self, *names: str) -> "PlatformServer":
        """Queue recorded answers, one per coming request."""
        self.answers.extend(recorded(name, self.recorded_in) for name in names)
        return self

    def close(self):
        self.server.shutdown()
        self.server.server_close()
