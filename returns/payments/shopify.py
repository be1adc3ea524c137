"""Refunds on a Shopify shop's order through the Admin GraphQL API.

Contract (shopify.dev, Admin GraphQL ``refundCreate`` and ``OrderTransactionInput``):
- A refund of money names the order's payment it goes back to: ``transactions`` of kind
  ``REFUND`` with the ``parentId`` and ``gateway`` of a successful ``SALE`` or ``CAPTURE``; so the
  order's transactions are read first.
- ``refundLineItems`` (``lineItemId``, ``quantity``, ``restockType: NO_RESTOCK``: the OMS keeps
  the stock) say what the refund is for; the money refunded is the transaction's amount.
- From 2026-04 the mutation must carry ``@idempotent(key:)``: the refund's own key, the same on
  every attempt, so a retry after a lost answer never refunds twice (before, it is optional and
  sent too when the version knows it).
- A refusal comes back as ``userErrors`` (e.g. more than can be refunded); outages as 5xx, which
  the shared transport retries with backoff before giving up.
"""

from orders.models import ChannelConnection
from orders.platforms import PlatformError, RetryPolicy, client_for
from orders.platforms.shopify import gid_number, order_gid

from . import RefundItem, RefundOutcome

IDEMPOTENT_SINCE = "2025-10"  # the directive exists (optional) from here; mandatory from 2026-04
# A person or a job is waiting: a few quick tries, never a long sleep (a failed refund is retried by a person).
REFUND_POLICY = RetryPolicy(attempts=3, first_delay=1.0, longest_delay=4.0, longest_wait=10.0)

ORDER_TRANSACTIONS = """
query OrderTransactions($id: ID!) {
  order(id: $id) {
    id
    transactions(first: 50) { id kind status gateway amountSet { presentmentMoney { amount currencyCode } } }
  }
}
"""

REFUND_CREATE = """
mutation RefundCreate($input: RefundInput!%s) {
  refundCreate(input: $input)%s {
    refund { id totalRefundedSet { presentmentMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""


class ShopifyRefundAdapter:
    name = "shopify"

    def __init__(self, connection: ChannelConnection, **client_options):
        self.connection = connection
        self.client_options = {"policy": REFUND_POLICY, **client_options}

    def _parent(self, client, order) -> dict | None:
        """The order's successful sale or capture the refund goes back to (the largest)."""
        data = client.graphql(ORDER_TRANSACTIONS, {"id": order_gid(order.external_id)})
        transactions = ((data.get("order") or {}).get("transactions")) or []
        paid = [t for t in transactions if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"]
        return max(paid, key=lambda t: float(t["amountSet"]["presentmentMoney"]["amount"]), default=None)

    def refund(self, *, order, amount, currency, key, lines: list[RefundItem]) -> RefundOutcome:
        try:
            client = client_for(self.connection, **self.client_options)
            parent = self._parent(client, order)
            if parent is None:
                return RefundOutcome(ok=False, reason=f"Shopify order {order.external_id} has no successful payment to refund.")
            refund_input = {
                "orderId": order_gid(order.external_id),
                "note": f"OMS refund {key}",
                "notify": True,
                "refundLineItems": [
                    {"lineItemId": f"gid://shopify/LineItem/{gid_number(item.external_line_id)}", "quantity": item.units, "restockType": "NO_RESTOCK"}
                    for item in lines if item.external_line_id and item.units
                ],
                "transactions": [{
                    "orderId": order_gid(order.external_id), "parentId": parent["id"], "gateway": parent["gateway"], "kind": "REFUND",
                    "amount": str(amount),
                }],
            }
            variables = {"input": refund_input}
            if client.api_version >= IDEMPOTENT_SINCE:
                variables["key"] = key
                query = REFUND_CREATE % (", $key: String!", " @idempotent(key: $key)")
            else:
                query = REFUND_CREATE % ("", "")
            payload = client.graphql(query, variables)["refundCreate"]
        except PlatformError as error:
            return RefundOutcome(ok=False, reason=error.message)
        errors = payload.get("userErrors") or []
        if errors:
            words = "; ".join(str(error.get("message")) for error in errors)
            return RefundOutcome(ok=False, reason=f"Shopify refused the refund: {words}")
        refund = payload.get("refund") or {}
        return RefundOutcome(ok=True, provider_refund_id=refund.get("id") or "")
