"""Carrier adapters: one interface (``base.CarrierAdapter``) per way of talking to a carrier."""

from urllib.parse import quote

from oms.errors import NotFound

from .base import CarrierAdapter, NotAvailableYet
from .dhl_express import DhlExpressCarrier
from .table_rate import TableRateCarrier

ADAPTERS: dict[str, type[CarrierAdapter]] = {"table_rate": TableRateCarrier, "dhl_express": DhlExpressCarrier}


def carrier_adapter(carrier_code: str) -> CarrierAdapter:
    """The adapter of an active carrier, by its code."""
    from ..selectors import rate_card

    card = rate_card().carrier(carrier_code)
    if card is None:
        raise NotFound(f"No active carrier {carrier_code!r}.")
    return ADAPTERS[card.adapter](card)


def carrier_tracking_url(adapter: str, tracking_number: str) -> str:
    """The carrier's public page for this tracking number; "" when the carrier has none."""
    template = ADAPTERS[adapter].tracking_url_template if adapter in ADAPTERS else ""
    return template.format(tracking_number=quote(tracking_number, safe="")) if template and tracking_number else ""


__all__ = ["ADAPTERS", "CarrierAdapter", "DhlExpressCarrier", "NotAvailableYet", "TableRateCarrier", "carrier_adapter", "carrier_tracking_url"]
