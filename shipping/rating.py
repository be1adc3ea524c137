"""The quoting engine: what each service costs for some parcels, when it arrives, and why.

Pure and fast: it reads nothing from the database. ``shipping.selectors.rate_card`` loads the
carriers' rate cards once into a :class:`RateCard` (frozen dataclasses) and :func:`quote`,
:func:`parcel_cost_estimate` and ``shipping.shopping.rate_shop`` work on that snapshot.

How a parcel is priced, in this order (as the big parcel carriers do):

1. **Billable weight** = max(actual weight, dimensional weight), where dimensional weight is
   length × width × height (cm) / the carrier's divisor (cm³ per kg). The larger is rounded
   *up* to the carrier's weight step (e.g. 0.5 or 1 kg): 2.01 kg bills as 2.5 kg.
2. **Zone** from origin country and postal code, destination country and postal code
   (``ZoneRule`` precedence: a destination postal range over the whole country, a narrower
   range over a wider one, then likewise for the origin: an origin postal range, a named origin
   country, any origin; the older rule on a tie).
3. **Base rate**: the first weight band whose upper edge is not below the billable weight
   (edges included: exactly 5 kg is the "up to 5 kg" band). Above the last band, the table's
   price per *started* kilogram is added to the last band's price, up to its maximum weight;
   without one there is no service.
4. **Surcharges**, each at most once per parcel (the largest when several rows of a kind
   match): residential, remote area, oversize, declared value. A percentage is of the base
   rate (of the declared value for declared value cover).
5. **Fuel**: the carrier's percentage of base + surcharges, applied last.

Every amount is rounded half-up to the currency's minor unit as it is computed, so the lines of
a quote always add up to its price. A quote for several parcels is the sum of its parcels.

Dates: a parcel handed over after the carrier's cut-off (or on a day it does not collect)
leaves on the next working day; delivery is that many working days later, skipping weekends
the carrier does not work and its holidays.
"""

import datetime
import zoneinfo
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from oms.errors import InvalidInput
from oms.money import quantize

ZERO = Decimal(0)
HUNDRED = Decimal(100)
KG = Decimal("0.001")
# What a normalized postal code can start with (zone rules are indexed by it).
POSTAL_FIRST_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Never search further than this for a working day (a carrier with every day a holiday).
WORKING_DAY_HORIZON = 800
# Where a service leaves the parcel (``shipping.models.DeliveryKind``).
HOME = "home"
PICKUP_POINT = "pickup_point"


def _decimal(value, what: str) -> Decimal:
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = Decimal(str(value))
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidInput(f"{what} must be a number, not {value!r}.", fields={what: "not a number"}) from None
    if not amount.is_finite():
        raise InvalidInput(f"{what} must be a finite number.", fields={what: "not finite"})
    return amount


def postal_normalized(code: str) -> str:
    """``"sw1a 1aa"`` -> ``"SW1A1AA"``, ``"10001-1234"`` -> ``"100011234"``: how ranges compare."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def postal_in_range(postal: str, postal_from: str, postal_to: str) -> bool:
    """Whether a normalized postal code falls in a range compared on its first characters."""
    head = postal[: len(postal_from)]
    return len(head) == len(postal_from) and postal_from <= head <= postal_to


@dataclass(frozen=True)
class Parcel:
    """One package: weight in kg, outer dimensions in cm (0 when unknown), declared value in
    the carrier's currency. Numbers may be given as Decimal, int, str or float. ``insured``: the
    declared value is also insured with the carrier (its declared-value cover surcharge applies);
    otherwise it is only declared (on the label, for customs)."""

    weight_kg: Decimal
    length_cm: Decimal = ZERO
    width_cm: Decimal = ZERO
    height_cm: Decimal = ZERO
    declared_value: Decimal = ZERO
    insured: bool = True

    def __post_init__(self):
        for name in ("weight_kg", "length_cm", "width_cm", "height_cm", "declared_value"):
            value = _decimal(getattr(self, name), name)
            if value < 0 or (name == "weight_kg" and value == 0):
                rule = "greater than 0" if name == "weight_kg" else "0 or more"
                raise InvalidInput(f"A parcel's {name} must be {rule}, not {value}.", fields={name: f"must be {rule}"})
            object.__setattr__(self, name, value)

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def longest_side_cm(self) -> Decimal:
        return max(self.length_cm, self.width_cm, self.height_cm)

    @property
    def length_girth_cm(self) -> Decimal:
        """Longest side plus twice the other two (the girth around them)."""
        sides = sorted((self.length_cm, self.width_cm, self.height_cm), reverse=True)
        return sides[0] + 2 * (sides[1] + sides[2])


@dataclass(frozen=True)
class Address:
    """Where a shipment starts or ends, as far as prices, zones and services care: ``pickup_point``
    when the recipient chose to collect the parcel at a pickup point or locker."""

    country: str
    postal_code: str = ""
    residential: bool = False
    pickup_point: bool = False

    def __post_init__(self):
        country = (self.country or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput(f"{self.country!r} is not a two-letter ISO country code (e.g. US, DE).", fields={"country": "two letters"})
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "postal_code", postal_normalized(self.postal_code))


# ---------------------------------------------------------------------------- the rate card


def _range_width(postal_from: str, postal_to: str) -> int:
    """How many codes a range spans, comparable across range lengths (0 for no range)."""
    if not postal_from:
        return 0
    return (int(postal_to, 36) - int(postal_from, 36)) * 36 ** (10 - len(postal_from))


@dataclass(frozen=True)
class ZoneRuleCard:
    zone: str
    origin_country: str  # "" for any origin
    destination_country: str
    postal_from: str = ""  # destination postal range ("" for the whole country)
    postal_to: str = ""
    rule_id: int = 0
    origin_postal_from: str = ""  # origin postal range ("" for anywhere in the origin country)
    origin_postal_to: str = ""

    @property
    def precedence(self) -> tuple:
        """Smaller is more specific: a destination postal range before a whole country, a narrower
        range before a wider one, then the same for the origin (a postal range, a named country,
        any origin); the older rule breaks a tie."""
        return (
            0 if self.postal_from else 1, _range_width(self.postal_from, self.postal_to),
            0 if self.origin_postal_from else 1, _range_width(self.origin_postal_from, self.origin_postal_to),
            0 if self.origin_country else 1, self.rule_id,
        )

    def matches(self, origin_country: str, postal: str, origin_postal: str = "") -> bool:
        if self.origin_country and self.origin_country != origin_country:
            return False
        if self.origin_postal_from and not postal_in_range(origin_postal, self.origin_postal_from, self.origin_postal_to):
            return False
        return not self.postal_from or postal_in_range(postal, self.postal_from, self.postal_to)

    def describe(self) -> str:
        origin_postal = f" postal {self.origin_postal_from}–{self.origin_postal_to}" if self.origin_postal_from else ""
        postal = f" postal {self.postal_from}–{self.postal_to}" if self.postal_from else ""
        return f"{self.origin_country or 'any origin'}{origin_postal} → {self.destination_country}{postal}"


@dataclass(frozen=True)
class RateTableCard:
    zone: str
    transit_days: int
    bands: tuple[tuple[Decimal, Decimal], ...]  # (up to kg, price), ascending
    per_kg_above_last: Decimal | None = None
    max_weight_kg: Decimal | None = None
    limits: tuple[Decimal, ...] = field(default=(), compare=False)

    def __post_init__(self):
        object.__setattr__(self, "limits", tuple(up_to for up_to, _ in self.bands))

    def base_price(self, billable_kg: Decimal) -> tuple[Decimal | None, str]:
        """The base rate for a billable weight and the band it came from (``None``: no service)."""
        if self.max_weight_kg is not None and billable_kg > self.max_weight_kg:
            return None, f"{billable_kg} kg is over the {self.max_weight_kg} kg maximum"
        if not self.bands:
            return None, "no weight bands"
        index = bisect_left(self.limits, billable_kg)
        if index < len(self.bands):
            up_to, price = self.bands[index]
            return price, f"band up to {up_to} kg"
        last_up_to, last_price = self.bands[-1]
        if self.per_kg_above_last is None:
            return None, f"{billable_kg} kg is over the last band ({last_up_to} kg)"
        extra_kg = (billable_kg - last_up_to).to_integral_value(rounding=ROUND_CEILING)
        return last_price + extra_kg * self.per_kg_above_last, f"band up to {last_up_to} kg + {extra_kg} kg × {self.per_kg_above_last}"


@dataclass(frozen=True)
class SurchargeCard:
    kind: str
    label: str
    amount: Decimal = ZERO
    percent: Decimal = ZERO
    service: str = ""  # "" for every service
    country: str = ""
    postal_from: str = ""
    postal_to: str = ""
    longest_side_over_cm: int | None = None
    length_girth_over_cm: int | None = None

    def why(self, parcel: Parcel, destination: Address) -> str | None:
        """Why this surcharge applies to the parcel, or ``None`` when it does not."""
        if self.kind == "residential":
            return "delivery to a residential address" if destination.residential else None
        if self.kind == "remote_area":
            if destination.country == self.country and postal_in_range(destination.postal_code, self.postal_from, self.postal_to):
                return f"postal code {destination.postal_code} is in the remote area {self.country} {self.postal_from}–{self.postal_to}"
            return None
        if self.kind == "oversize":
            if self.longest_side_over_cm is not None and parcel.longest_side_cm > self.longest_side_over_cm:
                return f"longest side {parcel.longest_side_cm.normalize():f} cm is over {self.longest_side_over_cm} cm"
            if self.length_girth_over_cm is not None and parcel.length_girth_cm > self.length_girth_over_cm:
                return f"length + girth {parcel.length_girth_cm.normalize():f} cm is over {self.length_girth_over_cm} cm"
            return None
        if self.kind == "declared_value":
            return f"declared value {parcel.declared_value}" if parcel.declared_value > 0 and parcel.insured else None
        return None  # pragma: no cover - kinds are a closed list

    def charge(self, base: Decimal, parcel: Parcel, currency: str) -> Decimal:
        of = parcel.declared_value if self.kind == "declared_value" else base
        return quantize(self.amount + of * self.percent / HUNDRED, currency)


@dataclass(frozen=True)
class ServiceCard:
    carrier: str
    code: str
    name: str
    tables: dict[str, RateTableCard]  # zone code -> table
    delivery_kind: str = HOME

    @property
    def key(self) -> str:
        return f"{self.carrier}:{self.code}"

    def refuses(self, destination: Address) -> str | None:
        """Why the service does not suit ``destination``, or ``None``: a pickup-point service does
        not go to the door, and a door service does not go to the pickup point chosen."""
        if self.delivery_kind == PICKUP_POINT and not destination.pickup_point:
            return "delivers to pickup points only, and the address asks for delivery to the door"
        if self.delivery_kind != PICKUP_POINT and destination.pickup_point:
            return "delivers to the door, and the address is a pickup point the customer chose"
        return None


@dataclass(frozen=True)
class CarrierCard:
    code: str
    name: str
    currency: str
    services: tuple[ServiceCard, ...]
    zone_rules: dict[str, tuple[ZoneRuleCard, ...]]  # destination country -> rules, most specific first
    surcharges: tuple[SurchargeCard, ...] = ()
    adapter: str = "table_rate"
    dim_divisor: Decimal = Decimal(5000)
    weight_step_kg: Decimal = Decimal("0.5")
    fuel_percent: Decimal = ZERO
    time_zone: str = "UTC"
    cutoff: datetime.time = datetime.time(16, 0)
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[datetime.date] = frozenset()

    _zone_index: dict = field(default_factory=dict, compare=False, repr=False)

    def zone_for(self, origin: Address, destination: Address) -> ZoneRuleCard | None:
        postal = destination.postal_code
        for rule in self._zone_rules_for(destination.country, postal[:1]):
            if rule.matches(origin.country, postal, origin.postal_code):
                return rule
        return None

    def _zone_rules_for(self, country: str, first: str) -> tuple[ZoneRuleCard, ...]:
        """The country's rules that can match a postal code starting with ``first``, most specific
        first: those whose range covers that first character, and those without a range. Built
        once per country (a carrier zoning by ZIP3 has hundreds of rules per country)."""
        index = self._zone_index.get(country)
        if index is None:
            rules = self.zone_rules.get(country, ())
            buckets: dict[str, list[ZoneRuleCard]] = {}
            for rule in rules:
                for char in POSTAL_FIRST_CHARACTERS:
                    if not rule.postal_from or rule.postal_from[0] <= char <= rule.postal_to[0]:
                        buckets.setdefault(char, []).append(rule)
            whole_country = tuple(rule for rule in rules if not rule.postal_from)
            index = self._zone_index[country] = ({char: tuple(found) for char, found in buckets.items()}, whole_country)
        buckets, whole_country = index
        return buckets.get(first, whole_country)

    def is_working_day(self, day: datetime.date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def next_working_day(self, day: datetime.date) -> datetime.date:
        for _ in range(WORKING_DAY_HORIZON):
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise InvalidInput(f"Carrier {self.code} has no working day in the next {WORKING_DAY_HORIZON} days; check its working days and holidays.")

    def collection(self, ship_at: datetime.datetime | datetime.date) -> tuple[datetime.date, str]:
        """The day the carrier takes the parcel, and why that day."""
        if isinstance(ship_at, datetime.datetime):
            local = ship_at.astimezone(zoneinfo.ZoneInfo(self.time_zone)) if ship_at.tzinfo else ship_at
            day, after_cutoff = local.date(), local.time().replace(tzinfo=None) > self.cutoff
        else:
            day, after_cutoff = ship_at, False
        if after_cutoff:
            collected = self.next_working_day(day)
            return collected, f"ready {day} after the {self.cutoff:%H:%M} cut-off: collected {collected:%a %Y-%m-%d}"
        if not self.is_working_day(day):
            collected = self.next_working_day(day)
            return collected, f"{day:%a %Y-%m-%d} is not a working day: collected {collected:%a %Y-%m-%d}"
        return day, f"collected {day:%a %Y-%m-%d} (before the {self.cutoff:%H:%M} cut-off)"

    def delivery(self, collected: datetime.date, transit_days: int) -> datetime.date:
        day = collected
        for _ in range(transit_days):
            day = self.next_working_day(day)
        return day


@dataclass(frozen=True)
class RateCard:
    """Every active carrier's rates as plain data: safe to cache, share between threads and reuse."""

    carriers: tuple[CarrierCard, ...]
    version: str = ""
    # Parcel prices by weight alone, kept for this snapshot (see ParcelLane).
    prices: dict = field(default_factory=dict, compare=False, repr=False)

    def carrier(self, code: str) -> CarrierCard | None:
        return next((carrier for carrier in self.carriers if carrier.code == code), None)


# ---------------------------------------------------------------------------- quotes


@dataclass(frozen=True)
class Charge:
    kind: str  # base, residential, remote_area, oversize, declared_value, fuel
    label: str
    amount: Decimal
    reason: str
    parcel: int  # index of the parcel it is for


@dataclass(frozen=True)
class ParcelRating:
    index: int
    actual_kg: Decimal
    dimensional_kg: Decimal
    billable_kg: Decimal
    charges: tuple[Charge, ...]  # base first, fuel last

    @property
    def total(self) -> Decimal:
        return sum((charge.amount for charge in self.charges), ZERO)


@dataclass(frozen=True)
class Quote:
    carrier: str
    carrier_name: str
    service: str
    service_name: str
    currency: str
    zone: str
    zone_rule: str
    price: Decimal
    parcels: tuple[ParcelRating, ...]
    transit_days: int
    collection_date: datetime.date
    delivery_date: datetime.date
    collection_note: str
    band_notes: tuple[str, ...]
    # Why the service does not suit the address (a pickup-point service to the door, or the other
    # way round): rate shopping passes it over; a caller naming the service still gets it.
    unsuited: str = ""

    @property
    def key(self) -> str:
        return f"{self.carrier}:{self.service}"

    @property
    def billable_weight_kg(self) -> Decimal:
        return sum((parcel.billable_kg for parcel in self.parcels), ZERO)

    def amount_of(self, kind: str) -> Decimal:
        return sum((c.amount for p in self.parcels for c in p.charges if c.kind == kind), ZERO)

    @property
    def base(self) -> Decimal:
        return self.amount_of("base")

    @property
    def fuel(self) -> Decimal:
        return self.amount_of("fuel")

    @property
    def surcharges(self) -> tuple[Charge, ...]:
        return tuple(c for p in self.parcels for c in p.charges if c.kind not in ("base", "fuel"))

    def explanation(self) -> dict:
        """The quote as JSON-ready data a person can check line by line."""
        return {
            "service": self.key,
            "name": f"{self.carrier_name} {self.service_name}",
            "currency": self.currency,
            "price": str(self.price),
            "zone": self.zone,
            "zone_rule": self.zone_rule,
            "billable_weight_kg": str(self.billable_weight_kg),
            "parcels": [
                {
                    "actual_kg": str(p.actual_kg),
                    "dimensional_kg": str(p.dimensional_kg),
                    "billable_kg": str(p.billable_kg),
                    "band": self.band_notes[p.index],
                    "charges": [{"kind": c.kind, "label": c.label, "amount": str(c.amount), "why": c.reason} for c in p.charges],
                    "total": str(p.total),
                }
                for p in self.parcels
            ],
            "collection": self.collection_note,
            "transit_days": self.transit_days,
            "delivery_date": self.delivery_date.isoformat(),
        }

    def summary(self) -> str:
        return f"{self.key} {self.price} {self.currency}, delivered {self.delivery_date:%a %Y-%m-%d} ({self.transit_days} working days, zone {self.zone})"


@dataclass(frozen=True)
class Unavailable:
    key: str
    reason: str


@dataclass(frozen=True)
class Quotes:
    """Every service asked for: the quotes (cheapest first) and the services that cannot ship it."""

    quotes: tuple[Quote, ...]
    unavailable: tuple[Unavailable, ...]

    def __iter__(self):
        return iter(self.quotes)

    def __len__(self):
        return len(self.quotes)

    def get(self, key: str) -> Quote | None:
        return next((q for q in self.quotes if q.key == key), None)

    def explanation(self) -> dict:
        return {
            "quotes": [q.explanation() for q in self.quotes],
            "unavailable": [{"service": u.key, "why": u.reason} for u in self.unavailable],
        }


def _wanted(services: Iterable[str] | None):
    """A predicate over service cards from ``services`` ("carrier" or "carrier:service" keys)."""
    if services is None:
        return lambda card: True
    wanted = frozenset(services)
    return lambda card: card.key in wanted or card.carrier in wanted


def billable_weight(carrier: CarrierCard, parcel: Parcel) -> tuple[Decimal, Decimal]:
    """``(dimensional kg, billable kg)``: the larger of actual and dimensional, rounded up to the step."""
    dimensional = (parcel.volume_cm3 / carrier.dim_divisor).quantize(KG, rounding=ROUND_CEILING)
    return dimensional, _billable(carrier, max(parcel.weight_kg, dimensional))


def _billable(carrier: CarrierCard, kg: Decimal) -> Decimal:
    """``kg`` rounded up to the carrier's weight step."""
    steps = (kg / carrier.weight_step_kg).to_integral_value(rounding=ROUND_CEILING)
    return (steps * carrier.weight_step_kg).quantize(KG)


@dataclass(frozen=True)
class _Weighed:
    """What a parcel is for one carrier, whatever the service: its weights and the surcharges
    that apply to it (with why), worked out once per carrier."""

    index: int
    parcel: Parcel
    dimensional_kg: Decimal
    billable_kg: Decimal
    note: str
    applicable: tuple[tuple[SurchargeCard, str], ...]


def _weigh(carrier: CarrierCard, index: int, parcel: Parcel, destination: Address) -> _Weighed:
    dimensional, billable = billable_weight(carrier, parcel)
    applicable = []
    for surcharge in carrier.surcharges:
        reason = surcharge.why(parcel, destination)
        if reason is not None:
            applicable.append((surcharge, reason))
    note = f"billable {billable} kg (actual {parcel.weight_kg} kg, dimensional {dimensional} kg, rounded up to {carrier.weight_step_kg} kg)"
    return _Weighed(index, parcel, dimensional, billable, note, tuple(applicable))


def _rate_parcel(carrier: CarrierCard, service: ServiceCard, table: RateTableCard, weighed: _Weighed, explain: bool = True):
    """``(ParcelRating, band note)`` or ``(None, why not)``; without ``explain`` the reasons stay
    empty (estimates need only the amounts, and writing the reasons is most of the work)."""
    base, band = table.base_price(weighed.billable_kg)
    if base is None:
        return None, band
    currency, index = carrier.currency, weighed.index
    base = quantize(base, currency)
    charges = [Charge("base", "Base rate", base, f"{weighed.note}; {band}" if explain else "", index)]
    if weighed.applicable:
        best: dict[str, Charge] = {}
        for surcharge, reason in weighed.applicable:
            if surcharge.service and surcharge.service != service.code:
                continue
            amount = surcharge.charge(base, weighed.parcel, currency)
            if surcharge.kind not in best or amount > best[surcharge.kind].amount:
                best[surcharge.kind] = Charge(surcharge.kind, surcharge.label, amount, reason, index)
        charges += [best[kind] for kind in sorted(best)]
    if carrier.fuel_percent:
        subtotal = sum((charge.amount for charge in charges), ZERO)
        fuel = quantize(subtotal * carrier.fuel_percent / HUNDRED, currency)
        charges.append(Charge("fuel", "Fuel surcharge", fuel, f"{carrier.fuel_percent.normalize():f}% of {subtotal} (base + surcharges)" if explain else "", index))
    return ParcelRating(index, weighed.parcel.weight_kg, weighed.dimensional_kg, weighed.billable_kg, tuple(charges)), band


def quote(
    card: RateCard,
    *,
    parcels: Iterable[Parcel],
    origin: Address,
    destination: Address,
    ship_at: datetime.datetime | datetime.date,
    services: Iterable[str] | None = None,
) -> Quotes:
    """Quote every active service (or those named in ``services``: carrier codes or
    ``carrier:service`` keys) for ``parcels`` sent together from ``origin`` to ``destination``
    and handed over at ``ship_at``. Never reads the database."""
    parcels = tuple(parcels)
    if not parcels:
        raise InvalidInput("A quote needs at least one parcel.", fields={"parcels": "empty"})
    wanted = _wanted(services)
    quotes, unavailable = [], []
    for carrier in card.carriers:
        asked = [service for service in carrier.services if wanted(service)]
        if not asked:
            continue
        rule = carrier.zone_for(origin, destination)
        if rule is None:
            why = f"no zone of {carrier.code} covers {origin.country} → {destination.country} {destination.postal_code}".rstrip()
            unavailable += [Unavailable(service.key, why) for service in asked]
            continue
        weighed = [_weigh(carrier, index, parcel, destination) for index, parcel in enumerate(parcels)]
        collected = note = None
        deliveries: dict[int, datetime.date] = {}
        for service in asked:
            table = service.tables.get(rule.zone)
            if table is None:
                unavailable.append(Unavailable(service.key, f"no rates into zone {rule.zone}"))
                continue
            ratings, bands, refused = [], [], None
            for one in weighed:
                rating, band = _rate_parcel(carrier, service, table, one)
                if rating is None:
                    refused = f"parcel {one.index + 1}: {band}"
                    break
                ratings.append(rating)
                bands.append(band)
            if refused:
                unavailable.append(Unavailable(service.key, refused))
                continue
            if collected is None:
                collected, note = carrier.collection(ship_at)
            if table.transit_days not in deliveries:
                deliveries[table.transit_days] = carrier.delivery(collected, table.transit_days)
            quotes.append(
                Quote(
                    carrier=carrier.code, carrier_name=carrier.name, service=service.code, service_name=service.name,
                    currency=carrier.currency, zone=rule.zone, zone_rule=rule.describe(),
                    price=sum((rating.total for rating in ratings), ZERO), parcels=tuple(ratings),
                    transit_days=table.transit_days, collection_date=collected,
                    delivery_date=deliveries[table.transit_days], collection_note=note, band_notes=tuple(bands),
                    unsuited=service.refuses(destination) or "",
                )
            )
    quotes.sort(key=lambda q: (q.price, q.delivery_date, q.key))
    return Quotes(tuple(quotes), tuple(unavailable))


@dataclass
class ParcelLane:
    """What one parcel costs by its weight alone from one origin to one destination, over some
    services, with the zones and tables resolved once.

    Without dimensions or a declared value, the surcharges that apply depend on the destination
    only, so a carrier's price is decided by its zone, the services asked, the billable weight
    and those surcharges: prices are kept under that key in the rate card's memo and shared by
    every lane that resolves the same way (routing prices many lanes into the same zones)."""

    destination: Address
    # (carrier, zone, (service, table) pairs, indices of the carrier's surcharges that apply)
    options: tuple[tuple[CarrierCard, str, tuple[tuple[ServiceCard, RateTableCard], ...], tuple[int, ...]], ...]
    prices: dict = field(default_factory=dict, repr=False, compare=False)

    def cheapest(self, weight_kg) -> Decimal | None:
        """The cheapest price of a parcel of ``weight_kg`` (None: no service ships it)."""
        parcel = None
        kg = _decimal(weight_kg, "weight_kg")
        cheapest = None
        for carrier, zone, tables, surcharges in self.options:
            billable = _billable(carrier, kg)
            key = (carrier.code, zone, tuple(service.code for service, _ in tables), billable, surcharges)
            if key not in self.prices:
                parcel = parcel or Parcel(kg)
                weighed = _weigh(carrier, 0, parcel, self.destination)
                best = None
                for service, table in tables:
                    rating, _ = _rate_parcel(carrier, service, table, weighed, explain=False)
                    if rating is not None and (best is None or rating.total < best):
                        best = rating.total
                self.prices[key] = best
            price = self.prices[key]
            if price is not None and (cheapest is None or price < cheapest):
                cheapest = price
        return cheapest

    def earliest_delivery(self, ship_at: datetime.datetime | datetime.date) -> datetime.date | None:
        """The earliest day any service of the lane delivers a parcel handed over at ``ship_at``
        (each carrier's cut-off, working days and holidays; its fastest table into the zone),
        or None when the lane has no service. Weight limits are not read: a date, not a price."""
        earliest = None
        for carrier, _, tables, _ in self.options:
            collected, _ = carrier.collection(ship_at)
            day = carrier.delivery(collected, min(table.transit_days for _, table in tables))
            if earliest is None or day < earliest:
                earliest = day
        return earliest


_WEIGHT_ONLY = Parcel(1)  # a parcel without dimensions or value: which surcharges apply depends on the destination alone


def parcel_lane(card: RateCard, *, origin: Address, destination: Address, services: Iterable[str] | None = None) -> ParcelLane:
    """The :class:`ParcelLane` from ``origin`` to ``destination`` over every service or those named."""
    wanted = _wanted(services)
    options = []
    for carrier in card.carriers:
        rule = carrier.zone_for(origin, destination)
        if rule is None:
            continue
        tables = tuple(
            (service, service.tables[rule.zone])
            for service in carrier.services if wanted(service) and rule.zone in service.tables and not service.refuses(destination)
        )
        if tables:
            applies = tuple(i for i, surcharge in enumerate(carrier.surcharges) if surcharge.why(_WEIGHT_ONLY, destination) is not None)
            options.append((carrier, rule.zone, tables, applies))
    return ParcelLane(destination, tuple(options), card.prices)


def parcel_cost_estimate(
    card: RateCard,
    *,
    origin_country: str,
    destination_country: str,
    weight_kg,
    destination_postal_code: str = "",
    residential: bool = False,
    services: Iterable[str] | None = None,
    origin_postal_code: str = "",
) -> Decimal | None:
    """The cheapest price of one parcel of ``weight_kg`` (no dimensions, no dates), over every
    service or those named; ``None`` when no service ships it. In the carriers' currencies as
    they are: compare only carriers of one currency. Pure; for many weights on one lane, keep
    its :func:`parcel_lane` (routing's cost term does)."""
    origin = Address(origin_country, origin_postal_code)
    destination = Address(destination_country, destination_postal_code, residential)
    return parcel_lane(card, origin=origin, destination=destination, services=services).cheapest(weight_kg)
