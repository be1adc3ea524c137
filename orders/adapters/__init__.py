"""Inbound channel adapters: platform webhooks (Shopify, WooCommerce) and marketplace CSV imports.

Every adapter ends in ``orders.services.order_intake`` and the lifecycle services, like any
other channel; ``mapping`` holds what the webhook adapters share.
"""

from .shopify import SHOPIFY
from .webhooks import Adapter
from .woocommerce import WOOCOMMERCE

ADAPTERS: dict[str, Adapter] = {adapter.code: adapter for adapter in (SHOPIFY, WOOCOMMERCE)}
