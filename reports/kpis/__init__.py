"""The KPI registry: ``REGISTRY`` maps each key to its definition (``base.Kpi``). Importing this
package registers every KPI, in the order a dashboard shows them."""

from . import volume, speed, fulfillment, returns, inventory, counts  # noqa: F401  (registration)
from .base import DIMENSIONS, FILTERS, REGISTRY, Filters, Kpi

__all__ = ["DIMENSIONS", "FILTERS", "REGISTRY", "Filters", "Kpi"]
