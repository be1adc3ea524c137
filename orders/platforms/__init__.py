"""Clients for calling channels' platforms back: stock, fulfillments, orders a webhook missed.

``client_for(connection)`` builds the right client from a channel's ``ChannelConnection``; the
clients themselves take plain settings, so tests point them at a local server.
"""

from ..models import Channel, ChannelConnection
from .results import BatchResult, ItemError
from .shopify import InventoryQuantity, ItemLevel, ShopifyClient, Tracking
from .transport import (
    PlatformAuthError, PlatformError, PlatformNotConfigured, PlatformRateLimited, PlatformRefused, PlatformUnavailable, RetryPolicy,
)
from .woocommerce import StockUpdate, WooCommerceClient


def _require(channel: str, settings: dict[str, str]) -> None:
    missing = [label for label, value in settings.items() if not value]
    if missing:
        raise PlatformNotConfigured(f"Channel {channel}: set the {', '.join(missing)} on the channel page.")


def client_for(connection: ChannelConnection, **transport_options) -> ShopifyClient | WooCommerceClient:
    """The client for the channel's adapter; ``PlatformNotConfigured`` says which setting is missing."""
    channel = connection.channel
    timeout = (connection.connect_timeout, connection.read_timeout)
    if channel.adapter == Channel.Adapter.SHOPIFY:
        _require(channel.code, {"shop domain": connection.shopify_shop_domain, "Admin API access token": connection.shopify_access_token})
        return ShopifyClient(
            channel=channel.code, shop_domain=connection.shopify_shop_domain, access_token=connection.shopify_access_token,
            api_version=connection.shopify_api_version, timeout=timeout, **transport_options,
        )
    if channel.adapter == Channel.Adapter.WOOCOMMERCE:
        _require(channel.code, {"site address": connection.woocommerce_url, "consumer key": connection.woocommerce_consumer_key,
                                "consumer secret": connection.woocommerce_consumer_secret})
        return WooCommerceClient(
            channel=channel.code, site_url=connection.woocommerce_url, consumer_key=connection.woocommerce_consumer_key,
            consumer_secret=connection.woocommerce_consumer_secret, timeout=timeout,
            **{"requests_per_second": connection.woocommerce_requests_per_second, **transport_options},
        )
    raise PlatformNotConfigured(f"Channel {channel.code} has no platform adapter: choose Shopify or WooCommerce on the channel page.")


def connection_check(client: ShopifyClient | WooCommerceClient) -> str:
    """One cheap authenticated call; what the platform said, for a person."""
    if isinstance(client, ShopifyClient):
        return f"Connected to the Shopify shop “{client.shop_name()}”."
    return f"Connected to the WooCommerce shop ({client.store_check()})."


__all__ = [
    "BatchResult", "InventoryQuantity", "ItemError", "ItemLevel", "PlatformAuthError", "PlatformError", "PlatformNotConfigured", "PlatformRateLimited",
    "PlatformRefused", "PlatformUnavailable", "RetryPolicy", "ShopifyClient", "StockUpdate", "Tracking", "WooCommerceClient", "client_for",
    "connection_check",
]
