"""WooCommerce REST API v3 client (``/wp-json/wc/v3/``), HTTP Basic with the consumer key and
secret, over https only.

Contract notes, from the WooCommerce REST API reference: lists page with ``page``/``per_page``
(at most 100) and say how many pages there are in ``X-WP-TotalPages``; ``products/batch`` takes up
to 100 changes and answers each item on its own, a refused one as ``{"id", "error": {code, message}}``.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from .results import BatchResult, ItemError
from .transport import PlatformRefused, Transport, base_url_check

PLATFORM = "WooCommerce"
PAGE_SIZE = 100
BATCH_SIZE = 100


@dataclass(frozen=True)
class StockUpdate:
    product_id: int
    quantity: int
    variation_id: int | None = None

    @property
    def key(self) -> str:
        return f"{self.product_id}/{self.variation_id}" if self.variation_id else str(self.product_id)


class WooCommerceClient:
    def __init__(
        self, *, channel: str, site_url: str, consumer_key: str, consumer_secret: str, timeout: tuple[float, float] = (5, 30),
        **transport_options,
    ):
        self.channel = channel
        self.api_url = base_url_check(site_url, channel=channel) + "/wp-json/wc/v3/"
        self.transport = Transport(channel=channel, platform=PLATFORM, timeout=timeout, **transport_options)
        self.transport.session.auth = (consumer_key, consumer_secret)
        self.transport.session.headers["Accept"] = "application/json"

    def _call(self, method: str, resource: str, **kwargs):
        return self.transport.request(method, self.api_url + resource, **kwargs)

    def store_check(self) -> str:
        """The cheapest authenticated call (one product): proves address and keys."""
        response = self._call("GET", "products", params={"per_page": 1})
        return f"{response.headers.get('X-WP-Total', '?')} products"

    def products_by_sku(self, skus: Iterable[str]) -> dict[str, dict]:
        """``{sku: {"product_id", "variation_id", "stock_quantity"}}`` for the SKUs the shop knows (a variation's SKU
        names its parent product too); unknown SKUs are absent. One call per SKU: the API matches
        one SKU at a time."""
        found: dict[str, dict] = {}
        for sku in dict.fromkeys(skus):
            for product in self._call("GET", "products", params={"sku": sku}).json():
                if product.get("sku") != sku:
                    continue
                is_variation = product.get("type") == "variation"
                found[sku] = {
                    "product_id": product["parent_id"] if is_variation else product["id"],
                    "variation_id": product["id"] if is_variation else None,
                    # None when the shop does not manage this product's stock
                    "stock_quantity": product.get("stock_quantity") if product.get("manage_stock") else None,
                }
        return found

    def stock_set(self, update: StockUpdate) -> None:
        """Set one product's or variation's stock, turning stock management on."""
        resource = f"products/{update.product_id}" + (f"/variations/{update.variation_id}" if update.variation_id else "")
        self._call("PUT", resource, json={"manage_stock": True, "stock_quantity": update.quantity})

    def stock_set_many(self, updates: list[StockUpdate]) -> BatchResult:
        """Simple products through ``products/batch``, variations through their product's
        ``variations/batch``; each item's refusal is reported, the others are applied."""
        result = BatchResult()
        groups: dict[str, list[StockUpdate]] = {}
        for update in updates:
            resource = f"products/{update.product_id}/variations/batch" if update.variation_id else "products/batch"
            groups.setdefault(resource, []).append(update)
        for resource, group in groups.items():
            for start in range(0, len(group), BATCH_SIZE):
                chunk = group[start:start + BATCH_SIZE]
                body = {"update": [{"id": u.variation_id or u.product_id, "manage_stock": True, "stock_quantity": u.quantity} for u in chunk]}
                answers = self._call("POST", resource, json=body).json().get("update") or []
                by_id = {answer.get("id"): answer for answer in answers}
                for update in chunk:
                    answer = by_id.get(update.variation_id or update.product_id)
                    error = answer.get("error") if answer else {"code": "missing", "message": "WooCommerce did not answer for this item."}
                    if error:
                        result.failed.append(ItemError(key=update.key, code=str(error.get("code", "refused")), message=str(error.get("message", ""))))
                    else:
                        result.succeeded.append(update.key)
        return result

    def orders_modified_since(self, since: datetime) -> Iterator[dict]:
        """Every order modified after ``since``, page by page to ``X-WP-TotalPages``."""
        page, pages = 1, 1
        while page <= pages:
            response = self._call(
                "GET", "orders", params={"modified_after": since.isoformat(), "per_page": PAGE_SIZE, "page": page},
            )
            yield from response.json()
            try:
                pages = int(response.headers.get("X-WP-TotalPages", page))
            except ValueError:
                raise PlatformRefused(f"Channel {self.channel}: WooCommerce sent no usable page count.") from None
            page += 1

    def order_note_add(self, *, order_id: int, note: str, customer_note: bool = False) -> int:
        """Add a note to the shop's order (``customer_note`` e-mails it to the buyer); returns its id."""
        return self._call("POST", f"orders/{order_id}/notes", json={"note": note, "customer_note": customer_note}).json()["id"]

    # --- fulfillments passed back (orders.services.channel_fulfillment) ---------------------------

    def order_get(self, order_id: int) -> dict:
        return self._call("GET", f"orders/{order_id}").json()

    def order_update(self, *, order_id: int, changes: dict) -> dict:
        """Change the shop's order (``status``, ``meta_data`` entries by key…); returns it as it is now."""
        return self._call("PUT", f"orders/{order_id}", json=changes).json()


# The order meta the Shipment Tracking extension keeps its tracking items in (a list of objects).
SHIPMENT_TRACKING_META = "_wc_shipment_tracking_items"


def shipment_tracking_items(order: dict) -> list[dict]:
    """The order's Shipment Tracking items (empty when it has none, or the extension's meta is odd)."""
    for meta in order.get("meta_data") or []:
        if isinstance(meta, dict) and meta.get("key") == SHIPMENT_TRACKING_META:
            value = meta.get("value")
            return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
    return []
