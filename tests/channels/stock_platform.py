"""A stateful fake WooCommerce shop on 127.0.0.1, for the proof that a real worker keeps a
platform's stock figure right: it keeps each product's ``stock_quantity``, answers the calls the
OMS makes for stock (``GET products?sku=``, ``POST products/batch``, ``PUT products/<id>``) in the
shapes of the WooCommerce REST API reference, and counts the stock-setting calls."""

import http.server
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

API = "/wp-json/wc/v3/"


class StockShop:
    def __init__(self, products: dict[str, int]):
        """``products``: ``{sku: product id}``; every stock starts at 0."""
        self.lock = threading.Lock()
        self.ids = dict(products)
        self.stock = {product_id: 0 for product_id in products.values()}
        self.stock_calls = 0  # calls that set stock (a batch counts once)
        self.seen: list[tuple[float, int, int]] = []  # (monotonic time, product id, quantity) of every figure set
        shop = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, status: int, body) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _body(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                return json.loads(raw) if raw else {}

            def do_GET(self):
                parts = urlsplit(self.path)
                sku = (parse_qs(parts.query).get("sku") or [""])[0]
                if parts.path != API + "products":
                    return self._send(404, {"code": "rest_no_route", "message": "No route was found."})
                with shop.lock:
                    found = [shop.product(sku)] if sku in shop.ids else []
                self._send(200, found)

            def do_POST(self):
                if urlsplit(self.path).path != API + "products/batch":
                    return self._send(404, {"code": "rest_no_route", "message": "No route was found."})
                answers = []
                with shop.lock:
                    shop.stock_calls += 1
                    for item in self._body().get("update") or []:
                        answers.append(shop.set(item["id"], item["stock_quantity"]))
                self._send(200, {"update": answers})

            def do_PUT(self):
                product_id = int(urlsplit(self.path).path.rsplit("/", 1)[-1])
                with shop.lock:
                    shop.stock_calls += 1
                    answer = shop.set(product_id, self._body()["stock_quantity"])
                self._send(200, answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def product(self, sku: str) -> dict:
        product_id = self.ids[sku]
        return {"id": product_id, "parent_id": 0, "sku": sku, "type": "simple", "manage_stock": True, "stock_quantity": self.stock[product_id]}

    def set(self, product_id: int, quantity: int) -> dict:
        if product_id not in self.stock:
            return {"id": product_id, "error": {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}}
        self.stock[product_id] = quantity
        self.seen.append((time.monotonic(), product_id, quantity))
        sku = next(s for s, i in self.ids.items() if i == product_id)
        return {"id": product_id, "sku": sku, "manage_stock": True, "stock_quantity": quantity}

    def quantity(self, sku: str) -> int:
        with self.lock:
            return self.stock[self.ids[sku]]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
