"""When a series' method is chosen again, and what is kept of the choice between runs.

The backtest (``backtest``) is most of a run's cost: every method of a menu fitted at every
origin, where the nightly refit of the chosen method is one fit. So the choice is kept
(``ForecastChoice``) and a nightly run refits it, backtesting a series again only when:

- it has no stored choice yet (a new SKU, location or frequency: the first run selects them all);
- its demand class changed (its menu did), or the run's horizon or interval level did;
- it is its SKU's night: SKUs take turns, ``product_id % SELECT_EVERY_DAYS`` against the day, so
  each night re-selects about one SKU in ``SELECT_EVERY_DAYS`` (all four series of a SKU
  together) and the work is spread over the week rather than piled onto one night;
- its choice is older than ``SELECT_EVERY_DAYS`` days (a night was missed), or newer than the
  run's history (a run back-dated with ``--as-of`` must not use a backtest that saw its future).

A kept choice keeps its backtest's MASE, bias and interval offsets (the quantiles of its backtest
errors), with the day of that backtest (``selected_on``), so the SKU page and the API say which
backtest measured them; the accuracy of past forecasts is measured from the stored points
whatever chose them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

SELECT_EVERY_DAYS = 7


@dataclass(frozen=True)
class StoredChoice:
    demand_class: str
    method: str
    mase: float | None
    bias: float | None
    windows: int
    residual_lo: float
    residual_hi: float
    horizon: int
    level: int
    selected_on: datetime.date


def selection_due(*, stored: StoredChoice | None, product_id: int, demand_class: str, horizon: int, level: int,
                  as_of: datetime.date) -> bool:
    """Whether the series must be backtested again tonight (see the module's docstring)."""
    if stored is None or stored.demand_class != demand_class or stored.horizon != horizon or stored.level != level:
        return True
    if not 0 <= (as_of - stored.selected_on).days < SELECT_EVERY_DAYS:  # too old, or a run back-dated before its backtest
        return True
    return stored.selected_on != as_of and product_id % SELECT_EVERY_DAYS == as_of.toordinal() % SELECT_EVERY_DAYS
