"""Panels that higher apps add to the order page.

The order page belongs to this app, but what happens to an order after it is sent to fulfillment
lives in apps above it (fulfillment orders, pick lists, packages and their shipments), which this
app may not import. Those apps register a panel provider here from their ``AppConfig.ready()``;
the order page asks every provider for its panel and renders the template it names.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from .models import Order


@dataclass(frozen=True)
class OrderPagePanel:
    """A section of the order page: ``template`` rendered with ``context`` (plus the page's own)."""

    title: str
    template: str
    context: dict = field(default_factory=dict)


OrderPanelProvider = Callable[[HttpRequest, Order], OrderPagePanel | None]

_providers: dict[str, OrderPanelProvider] = {}


def order_page_panel_register(name: str, provider: OrderPanelProvider) -> None:
    """Add a panel to the order page; registering the same name again replaces it."""
    _providers[name] = provider


def order_page_panels(request: HttpRequest, order: Order) -> list[OrderPagePanel]:
    """The panels for this order and user, in the order they were registered; a provider answers
    None when it has nothing to show (e.g. an order not sent to fulfillment yet)."""
    return [panel for provider in _providers.values() if (panel := provider(request, order)) is not None]
