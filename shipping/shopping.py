"""Rate shopping: which quote to buy, under a policy that is plain data (a channel can store it
as JSON). Pure: works on :class:`shipping.rating.Quotes`.

Goals:

- ``cheapest_on_time``: the cheapest quote delivered by ``deliver_by``; ties go to the earlier
  delivery, then the carrier and service codes (so the same quotes always give the same answer).
  With no ``deliver_by``, simply the cheapest. When none is on time: the earliest delivery
  (then the cheapest), marked as not meeting the policy.
- ``fastest_within_cap``: the earliest delivery costing at most ``cost_cap``; ties go to the
  cheaper, then the codes. With no cap, simply the fastest. When none is within the cap: the
  cheapest (then the earliest), marked as not meeting the policy.

Only quotes in one currency can be compared: a policy names its currency, or the quotes must
all be in one. A service that does not suit the address is never chosen: a pickup-point service
for an address that asks for delivery to the door, a door service for a pickup point the
customer chose (``Quote.unsuited`` says why).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from oms.errors import InvalidInput

from .rating import Quote, Quotes

CHEAPEST_ON_TIME = "cheapest_on_time"
FASTEST_WITHIN_CAP = "fastest_within_cap"
GOALS = (CHEAPEST_ON_TIME, FASTEST_WITHIN_CAP)
# Runners-up kept in an explanation besides the winner.
EXPLAINED_OTHERS = 5


@dataclass(frozen=True)
class ShoppingPolicy:
    goal: str = CHEAPEST_ON_TIME
    cost_cap: Decimal | None = None
    allowed: frozenset[str] = frozenset()  # carrier codes or "carrier:service" keys; empty: all
    currency: str = ""  # compare only quotes in this currency; "" means they must all share one

    def __post_init__(self):
        if self.goal not in GOALS:
            raise InvalidInput(f"Unknown rate shopping goal {self.goal!r}; use one of {', '.join(GOALS)}.", fields={"goal": "unknown"})
        if self.cost_cap is not None:
            cap = Decimal(str(self.cost_cap))
            if not cap.is_finite() or cap < 0:
                raise InvalidInput("The cost cap must be a number, 0 or more.", fields={"cost_cap": "0 or more"})
            object.__setattr__(self, "cost_cap", cap)
        object.__setattr__(self, "allowed", frozenset(self.allowed))

    @classmethod
    def from_dict(cls, data: dict) -> "ShoppingPolicy":
        """A policy from stored JSON: ``{"goal": ..., "cost_cap": "12.50", "allowed": [...], "currency": "USD"}``."""
        unknown = set(data) - {"goal", "cost_cap", "allowed", "currency"}
        if unknown:
            raise InvalidInput(f"Unknown rate shopping setting(s): {', '.join(sorted(unknown))}.", fields={key: "unknown" for key in unknown})
        try:
            cap = None if data.get("cost_cap") in (None, "") else Decimal(str(data["cost_cap"]))
        except ArithmeticError:
            raise InvalidInput(f"The cost cap {data['cost_cap']!r} is not a number.", fields={"cost_cap": "not a number"}) from None
        return cls(goal=data.get("goal", CHEAPEST_ON_TIME), cost_cap=cap, allowed=frozenset(data.get("allowed") or ()), currency=data.get("currency", ""))

    def as_dict(self) -> dict:
        return {"goal": self.goal, "cost_cap": None if self.cost_cap is None else str(self.cost_cap), "allowed": sorted(self.allowed), "currency": self.currency}


@dataclass(frozen=True)
class ShoppingChoice:
    chosen: Quote | None
    meets_policy: bool
    others: tuple[Quote, ...]  # the other eligible quotes, best first
    excluded: tuple[tuple[str, str], ...]  # (service key, why it was not considered)
    reason: str
    policy: ShoppingPolicy
    deliver_by: datetime.date | None

    def explanation(self) -> dict:
        return {
            "policy": self.policy.as_dict(),
            "deliver_by": self.deliver_by.isoformat() if self.deliver_by else None,
            "chosen": self.chosen.summary() if self.chosen else None,
            "meets_policy": self.meets_policy,
            "considered": 1 + len(self.others) if self.chosen else 0,
            "others": [q.summary() for q in self.others[:EXPLAINED_OTHERS]],
            "excluded": [{"service": key, "why": why} for key, why in self.excluded],
            "reason": self.reason,
        }


def _cheapest_key(q: Quote):
    return (q.price, q.delivery_date, q.carrier, q.service)


def _fastest_key(q: Quote):
    return (q.delivery_date, q.price, q.carrier, q.service)


def rate_shop(quotes: Quotes, policy: ShoppingPolicy, *, deliver_by: datetime.date | None = None) -> ShoppingChoice:
    """Choose a quote under ``policy``; ``deliver_by`` is the date promised to the customer."""
    excluded = [(u.key, u.reason) for u in quotes.unavailable]
    eligible = []
    for q in quotes.quotes:
        if policy.allowed and q.key not in policy.allowed and q.carrier not in policy.allowed:
            excluded.append((q.key, "not allowed by the policy"))
        elif q.unsuited:
            excluded.append((q.key, q.unsuited))
        elif policy.currency and q.currency != policy.currency:
            excluded.append((q.key, f"priced in {q.currency}, the policy compares {policy.currency}"))
        else:
            eligible.append(q)
    currencies = {q.currency for q in eligible}
    if len(currencies) > 1:
        raise InvalidInput(
            f"Quotes in {', '.join(sorted(currencies))} cannot be compared; name the policy's currency or allow carriers of one currency.",
            fields={"currency": "mixed currencies"},
        )

    def choice(ranked, meets, reason):
        return ShoppingChoice(ranked[0] if ranked else None, meets and bool(ranked), tuple(ranked[1:]), tuple(excluded), reason, policy, deliver_by)

    if not eligible:
        return choice([], False, "No service can ship it under this policy.")
    if policy.goal == CHEAPEST_ON_TIME:
        if deliver_by is None:
            ranked = sorted(eligible, key=_cheapest_key)
            return choice(ranked, True, f"{ranked[0].key} is the cheapest ({ranked[0].price} {ranked[0].currency}); no delivery date was asked for.")
        on_time = sorted((q for q in eligible if q.delivery_date <= deliver_by), key=_cheapest_key)
        late = sorted((q for q in eligible if q.delivery_date > deliver_by), key=_fastest_key)
        if on_time:
            best = on_time[0]
            tie = " (tied on price; the earlier delivery wins)" if len(on_time) > 1 and on_time[1].price == best.price else ""
            return choice(
                on_time + late, True,
                f"{best.key} is the cheapest of {len(on_time)} on time for {deliver_by} ({best.price} {best.currency}, delivered {best.delivery_date}){tie}; {len(late)} would be late.",
            )
        best = late[0]
        return choice(late, False, f"No service delivers by {deliver_by}; {best.key} is the earliest ({best.delivery_date}, {best.price} {best.currency}).")

    if policy.cost_cap is None:
        ranked = sorted(eligible, key=_fastest_key)
        return choice(ranked, True, f"{ranked[0].key} is the fastest (delivered {ranked[0].delivery_date}); the policy sets no cost cap.")
    within = sorted((q for q in eligible if q.price <= policy.cost_cap), key=_fastest_key)
    over = sorted((q for q in eligible if q.price > policy.cost_cap), key=_cheapest_key)
    if within:
        best = within[0]
        tie = " (tied on delivery date; the cheaper wins)" if len(within) > 1 and within[1].delivery_date == best.delivery_date else ""
        return choice(
            within + over, True,
            f"{best.key} is the fastest of {len(within)} within the {policy.cost_cap} cap (delivered {best.delivery_date}, {best.price} {best.currency}){tie}; {len(over)} cost more.",
        )
    best = over[0]
    return choice(over, False, f"Every service costs more than the {policy.cost_cap} cap; {best.key} is the cheapest ({best.price} {best.currency}).")
