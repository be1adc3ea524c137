"""What a demo run created and what the data now holds (printed by the command), and the
demo's one rounding rule."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

# The one seed every plan is drawn from: the same options always give the same merchant.
SEED = 20250101


@dataclass
class DemoReport:
    created: Counter = field(default_factory=Counter)
    statuses: dict = field(default_factory=dict)
    holds: dict = field(default_factory=dict)
    returns: dict = field(default_factory=dict)
    drifted: int = 0
    in_transit: int = 0
    replenishment_lines: int = 0
    seconds: float = 0.0
    logins: list = field(default_factory=list)  # (username, role, password or None when it already existed)
    api_key: str | None = None
    sample_sku: str = ""
    sample_price: str = ""
    late_payers: list = field(default_factory=list)  # the accounts that pay late, as the command names them


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
