"""Carrier adapters: one interface (``base.CarrierAdapter``) per way of talking to a carrier."""

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


__all__ = ["ADAPTERS", "CarrierAdapter", "DhlExpressCarrier", "NotAvailableYet", "TableRateCarrier", "carrier_adapter"]
