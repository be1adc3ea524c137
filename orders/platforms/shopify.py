"""Shopify Admin API client: GraphQL for inventory and fulfillments, REST ``orders.json`` for the
orders a webhook may have missed (its JSON is the webhooks' shape, which the intake adapter reads).

Contract notes, from Shopify's reference for the versions named:
- Every call: ``POST https://{shop}/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``.
- ``inventorySetQuantities`` sets absolute quantities (``name: "available"``). From 2026-04 each
  quantity carries ``changeFromQuantity`` (compare-and-swap; an explicit null opts out) and the
  mutation needs an ``@idempotent(key:)`` directive; before, ``ignoreCompareQuantity`` opted out.
  The mutation is all-or-nothing: with any ``userErrors`` nothing is applied, so the items nobody
  objected to are sent once more on their own.
- Throttling is by query cost: a throttled answer has an error with code ``THROTTLED`` and
  ``extensions.cost.throttleStatus`` (``currentlyAvailable``, ``restoreRate`` points per second).
"""

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ..models import SHOPIFY_API_VERSION
from .results import BatchResult, ItemError
from .transport import PlatformAuthError, PlatformRateLimited, PlatformRefused, Transport, base_url_check

PLATFORM = "Shopify"
COMPARE_AND_SWAP_SINCE = "2026-04"  # changeFromQuantity and @idempotent required from this version
ORDERS_PAGE = 250
SKUS_PER_QUERY = 50  # keeps the search string and the query cost small

SHOP_QUERY = "query ShopName { shop { name } }"

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!%s) {
  inventorySetQuantities(input: $input)%s {
    inventoryAdjustmentGroup { changes { name delta item { id } location { id } } }
    userErrors { code field message }
  }
}
"""

ITEMS_BY_SKU = """
query InventoryItemsBySku($query: String!, $first: Int!) {
  inventoryItems(first: $first, query: $query) { nodes { id sku } }
}
"""

LEVELS_BY_SKU = """
query InventoryLevelsBySku($query: String!, $first: Int!, $locationId: ID!) {
  inventoryItems(first: $first, query: $query) {
    nodes { id sku inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } } }
  }
}
"""


@dataclass(frozen=True)
class ItemLevel:
    inventory_item_id: str
    available: int | None  # None: the item is not stocked at the location


FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""


@dataclass(frozen=True)
class InventoryQuantity:
    inventory_item_id: str  # gid://shopify/InventoryItem/…
    location_id: str  # gid://shopify/Location/…
    quantity: int
    change_from: int | None = None  # what the OMS believes Shopify holds now; None: set regardless

    @property
    def key(self) -> str:
        return f"{self.inventory_item_id}@{self.location_id}"


@dataclass(frozen=True)
class Tracking:
    company: str
    number: str
    url: str = ""


def _search_value(sku: str) -> str:
    """A SKU quoted for Shopify's search syntax."""
    return '"' + sku.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _throttle_wait(extensions: dict | None) -> float:
    """Seconds until the bucket holds what the query asked for, from ``extensions.cost``."""
    cost = (extensions or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        missing = float(cost.get("requestedQueryCost") or 0) - float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or 0)
    except (TypeError, ValueError):
        return 1.0
    return max(missing, 1.0) / rate if rate > 0 else 1.0


class ShopifyClient:
    def __init__(
        self, *, channel: str, shop_domain: str, access_token: str, api_version: str = SHOPIFY_API_VERSION,
        base_url: str | None = None, timeout: tuple[float, float] = (5, 30), **transport_options,
    ):
        self.channel = channel
        self.api_version = api_version
        self.base_url = base_url_check(base_url or f"https://{shop_domain}", channel=channel)
        self.transport = Transport(channel=channel, platform=PLATFORM, timeout=timeout, **transport_options)
        self.transport.session.headers.update({"X-Shopify-Access-Token": access_token, "Accept": "application/json"})
        self.throttle_status: dict = {}  # ``extensions.cost.throttleStatus`` of the last answer

    def pace(self, cost: float) -> None:
        """Wait, before a call costing about ``cost`` points, until the bucket the last answer
        described holds them (it refills at ``restoreRate`` points per second), so a long push
        spends the bucket without being throttled."""
        try:
            available = float(self.throttle_status["currentlyAvailable"])
            rate = float(self.throttle_status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return
        if available < cost and rate > 0:
            self.transport.wait((cost - available) / rate, reason="query cost budget")
            self.throttle_status = {**self.throttle_status, "currentlyAvailable": cost}

    def _url(self, resource: str) -> str:
        return f"{self.base_url}/admin/api/{self.api_version}/{resource}"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """``data`` of one GraphQL call; waits out cost throttling by the restore rate."""
        policy = self.transport.policy
        for attempt in range(1, policy.attempts + 1):
            response = self.transport.request("POST", self._url("graphql.json"), json={"query": query, "variables": variables or {}})
            try:
                payload = response.json()
            except ValueError:
                raise PlatformRefused(f"Channel {self.channel}: Shopify answered something that is not JSON.") from None
            self.throttle_status = ((payload.get("extensions") or {}).get("cost") or {}).get("throttleStatus") or {}
            errors = payload.get("errors") or []
            if isinstance(errors, str):
                errors = [{"message": errors}]
            codes = {((error.get("extensions") or {}).get("code") or "") for error in errors}
            if "THROTTLED" in codes:
                wait = _throttle_wait(payload.get("extensions"))
                if attempt == policy.attempts:
                    raise PlatformRateLimited(f"Channel {self.channel}: Shopify kept throttling the query cost.", retry_after=wait)
                self.transport.wait(wait, reason="query cost throttled")
                continue
            messages = "; ".join(str(error.get("message", "")) for error in errors)
            if "ACCESS_DENIED" in codes:
                raise PlatformAuthError(
                    f"Channel {self.channel}: the Shopify app lacks an access scope: {messages}. Grant it in the app's configuration.",
                )
            if errors:
                raise PlatformRefused(f"Channel {self.channel}: Shopify refused the query: {messages}", code="platform_graphql_error")
            return payload.get("data") or {}
        raise AssertionError("unreachable")  # the loop returns or raises

    def shop_name(self) -> str:
        """The cheapest authenticated call: proves domain, token and version in one."""
        return self.graphql(SHOP_QUERY)["shop"]["name"]

    def inventory_items_by_sku(self, skus: Iterable[str]) -> dict[str, str]:
        """``{sku: inventory item id}`` for the SKUs Shopify knows; unknown SKUs are absent."""
        wanted = list(dict.fromkeys(sku for sku in skus if sku))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), SKUS_PER_QUERY):
            chunk = wanted[start:start + SKUS_PER_QUERY]
            search = " OR ".join(f"sku:{_search_value(sku)}" for sku in chunk)
            data = self.graphql(ITEMS_BY_SKU, {"query": search, "first": len(chunk) * 2})
            for node in data["inventoryItems"]["nodes"]:
                if node.get("sku") in chunk:  # Shopify's search also matches prefixes
                    found.setdefault(node["sku"], node["id"])
        return found

    def inventory_levels_by_sku(self, skus: Iterable[str], *, location_id: str) -> dict[str, ItemLevel]:
        """``{sku: ItemLevel}``: each known SKU's inventory item and its ``available`` quantity at
        the location, as Shopify holds it now; unknown SKUs are absent."""
        wanted = list(dict.fromkeys(sku for sku in skus if sku))
        found: dict[str, ItemLevel] = {}
        for start in range(0, len(wanted), SKUS_PER_QUERY):
            chunk = wanted[start:start + SKUS_PER_QUERY]
            search = " OR ".join(f"sku:{_search_value(sku)}" for sku in chunk)
            data = self.graphql(LEVELS_BY_SKU, {"query": search, "first": len(chunk) * 2, "locationId": location_id})
            for node in data["inventoryItems"]["nodes"]:
                if node.get("sku") not in chunk or node["sku"] in found:
                    continue
                quantities = (node.get("inventoryLevel") or {}).get("quantities") or []
                available = next((q.get("quantity") for q in quantities if q.get("name") == "available"), None)
                found[node["sku"]] = ItemLevel(node["id"], available)
        return found

    def inventory_set_quantities(
        self, quantities: list[InventoryQuantity], *, reason: str = "correction", reference: str = "",
    ) -> BatchResult:
        """Set the ``available`` quantity of each (item, location). Refused items are reported
        one by one; the rest are applied (sent once more on their own when Shopify refused the
        whole call), or reported ``not_applied`` if that second call is refused too."""
        result = BatchResult()
        pending = list(quantities)
        for _round in range(2):
            payload = self._set_quantities(pending, reason=reason, reference=reference)["inventorySetQuantities"]
            refused = self._refused_items(pending, payload.get("userErrors") or [])
            result.failed.extend(refused.values())
            pending = [q for q in pending if q.key not in refused]
            if payload.get("inventoryAdjustmentGroup") is not None or not refused:
                result.succeeded.extend(q.key for q in pending)
                return result
            if not pending:
                return result
        result.failed.extend(
            ItemError(key=q.key, code="not_applied", message="Shopify applied nothing of the call because other items were refused; send it again.")
            for q in pending
        )
        return result

    def _set_quantities(self, quantities: list[InventoryQuantity], *, reason: str, reference: str) -> dict:
        compare_and_swap = self.api_version >= COMPARE_AND_SWAP_SINCE
        rows = []
        for q in quantities:
            row = {"inventoryItemId": q.inventory_item_id, "locationId": q.location_id, "quantity": q.quantity}
            if compare_and_swap:
                row["changeFromQuantity"] = q.change_from
            elif q.change_from is not None:
                row["compareQuantity"] = q.change_from
            rows.append(row)
        data = {"name": "available", "reason": reason, "quantities": rows}
        if reference:
            data["referenceDocumentUri"] = reference
        if compare_and_swap:
            # A fresh key per distinct call; the transport's own retries resend the same body, key included.
            query = SET_QUANTITIES % (", $idempotencyKey: String!", " @idempotent(key: $idempotencyKey)")
            return self.graphql(query, {"input": data, "idempotencyKey": str(uuid.uuid4())})
        data["ignoreCompareQuantity"] = all(q.change_from is None for q in quantities)
        return self.graphql(SET_QUANTITIES % ("", ""), {"input": data})

    def _refused_items(self, quantities: list[InventoryQuantity], user_errors: list[dict]) -> dict[str, ItemError]:
        """The items ``userErrors`` point at (``field: ["input", "quantities", "<index>", …]``); an
        error about the call as a whole (its reason, its name) is raised instead."""
        refused: dict[str, ItemError] = {}
        for error in user_errors:
            path = [str(part) for part in error.get("field") or []]
            index = int(path[2]) if len(path) > 2 and path[1] == "quantities" and path[2].isdigit() else None
            if index is None or index >= len(quantities):
                raise PlatformRefused(f"Channel {self.channel}: Shopify refused the stock update: {error.get('message')}", code="platform_user_error")
            key = quantities[index].key
            refused.setdefault(key, ItemError(key=key, code=str(error.get("code") or "refused"), message=str(error.get("message") or "")))
        return refused

    def orders_updated_since(self, since: datetime) -> Iterator[dict]:
        """Every order (any status) updated at or after ``since``, page by page along the ``Link`` header."""
        url = self._url("orders.json")
        params: dict | None = {"updated_at_min": since.isoformat(), "status": "any", "limit": ORDERS_PAGE}
        while url:
            response = self.transport.request("GET", url, params=params)
            yield from response.json().get("orders") or []
            url = (response.links.get("next") or {}).get("url")
            params = None  # the next link carries its own page_info and limit, and nothing else is allowed with them
            if url and urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                raise PlatformRefused(f"Channel {self.channel}: Shopify's next page points to another host; not following it with the token.")

    def fulfillment_create(
        self, *, lines_by_fulfillment_order: dict[str, list[tuple[str, int]]], tracking: Tracking, notify_customer: bool = True,
    ) -> str:
        """Fulfil the given fulfillment order lines (``{fulfillment order id: [(line id, quantity)]}``)
        with one tracking number; returns the new fulfillment's id."""
        fulfillment = {
            "lineItemsByFulfillmentOrder": [
                {"fulfillmentOrderId": order_id, "fulfillmentOrderLineItems": [{"id": line_id, "quantity": quantity} for line_id, quantity in lines]}
                for order_id, lines in lines_by_fulfillment_order.items()
            ],
            "trackingInfo": {"company": tracking.company, "number": tracking.number, **({"url": tracking.url} if tracking.url else {})},
            "notifyCustomer": notify_customer,
        }
        payload = self.graphql(FULFILLMENT_CREATE, {"fulfillment": fulfillment})["fulfillmentCreate"]
        if payload.get("userErrors"):
            messages = "; ".join(str(error.get("message")) for error in payload["userErrors"])
            raise PlatformRefused(f"Channel {self.channel}: Shopify refused the fulfillment: {messages}", code="platform_user_error")
        return payload["fulfillment"]["id"]

    # --- fulfillments passed back (orders.services.channel_fulfillment) ---------------------------

    def order_fulfillment_state(self, order_id: str) -> "ShopifyOrderState":
        """What Shopify holds of an order: whether it is cancelled, its fulfillments with their
        tracking numbers, and the open fulfillment order line items that can still be fulfilled."""
        data = self.graphql(ORDER_FULFILLMENT_STATE, {"id": order_gid(order_id)})
        order = data.get("order")
        if order is None:
            raise PlatformRefused(f"Channel {self.channel}: Shopify knows no order {order_id}.", code="platform_order_missing")
        fulfillments = [
            (fulfillment["id"], [info.get("number") or "" for info in fulfillment.get("trackingInfo") or []])
            for fulfillment in order.get("fulfillments") or []
        ]
        open_lines = []
        for fulfillment_order in (order.get("fulfillmentOrders") or {}).get("nodes") or []:
            actions = {action.get("action") for action in fulfillment_order.get("supportedActions") or []}
            if "CREATE_FULFILLMENT" not in actions:
                continue
            for item in (fulfillment_order.get("lineItems") or {}).get("nodes") or []:
                line_item = item.get("lineItem") or {}
                if item.get("remainingQuantity"):
                    open_lines.append(FulfillmentOrderLine(
                        fulfillment_order_id=fulfillment_order["id"], id=item["id"], line_item_id=gid_number(line_item.get("id") or ""),
                        sku=line_item.get("sku") or "", remaining=int(item["remainingQuantity"]),
                    ))
        return ShopifyOrderState(cancelled=bool(order.get("cancelledAt")), fulfillments=fulfillments, open_lines=open_lines)

    def fulfillment_event_create(self, *, fulfillment_id: str, status: str = "DELIVERED", happened_at: datetime | None = None) -> str:
        """Record an event (``DELIVERED``…) on a fulfillment; returns the event's id."""
        event = {"fulfillmentId": fulfillment_id, "status": status}
        if happened_at is not None:
            event["happenedAt"] = happened_at.isoformat()
        payload = self.graphql(FULFILLMENT_EVENT_CREATE, {"fulfillmentEvent": event})["fulfillmentEventCreate"]
        _user_errors_raise(self.channel, "the fulfillment event", payload.get("userErrors"))
        return payload["fulfillmentEvent"]["id"]

    def order_cancel(self, *, order_id: str, staff_note: str = "", notify_customer: bool = True, refund: bool = True) -> str:
        """Cancel the shop's order (Shopify does it in a background job; returns the job's id).
        Stock is not restocked on Shopify: the OMS publishes the figures."""
        variables = {"orderId": order_gid(order_id), "reason": "OTHER", "restock": False, "notifyCustomer": notify_customer,
                     "staffNote": staff_note[:255]}
        if self.api_version >= REFUND_METHOD_SINCE:
            variables["refundMethod"] = {"originalPaymentMethodsRefund": refund}
            query = ORDER_CANCEL % ("$refundMethod: OrderCancelRefundMethodInput", "refundMethod: $refundMethod")
        else:
            variables["refund"] = refund
            query = ORDER_CANCEL % ("$refund: Boolean!", "refund: $refund")
        payload = self.graphql(query, variables)["orderCancel"]
        _user_errors_raise(self.channel, "the cancellation", (payload.get("orderCancelUserErrors") or []) + (payload.get("userErrors") or []))
        return (payload.get("job") or {}).get("id") or ""


REFUND_METHOD_SINCE = "2025-07"  # orderCancel takes refundMethod; the Boolean refund is deprecated

ORDER_FULFILLMENT_STATE = """
query OrderFulfillmentState($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    fulfillments(first: 50) { id status trackingInfo(first: 10) { number } }
    fulfillmentOrders(first: 50) {
      nodes {
        id
        status
        supportedActions { action }
        lineItems(first: 250) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}
"""

FULFILLMENT_EVENT_CREATE = """
mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String, %s) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote, %s) {
    job { id done }
    orderCancelUserErrors { code field message }
    userErrors { field message }
  }
}
"""


@dataclass(frozen=True)
class FulfillmentOrderLine:
    """A fulfillment order line item that still has units to fulfil."""

    fulfillment_order_id: str
    id: str
    line_item_id: str  # the order line item's number (what the order webhook called ``id``)
    sku: str
    remaining: int


@dataclass
class ShopifyOrderState:
    cancelled: bool
    fulfillments: list[tuple[str, list[str]]]  # (fulfillment id, tracking numbers)
    open_lines: list[FulfillmentOrderLine]


def order_gid(order_id: str) -> str:
    return order_id if str(order_id).startswith("gid://") else f"gid://shopify/Order/{order_id}"


def gid_number(gid: str) -> str:
    """``gid://shopify/LineItem/466157049`` → ``466157049``."""
    return gid.rsplit("/", 1)[-1]


def _user_errors_raise(channel: str, what: str, errors: list[dict] | None) -> None:
    if errors:
        messages = "; ".join(str(error.get("message")) for error in errors)
        raise PlatformRefused(f"Channel {channel}: Shopify refused {what}: {messages}", code="platform_user_error")
