"""Platform order → intake input: the part every channel adapter shares.

An adapter (Shopify, WooCommerce) reads its platform's JSON into a :class:`PlatformOrder`, a
plain, platform-neutral description. From there on everything is common: turning it into
:class:`OrderIntakeData`, patching what intake would refuse with explicit placeholders (and
holding the order so a person looks at it), and describing what changed since intake.

Rule of thumb: an order the platform has taken is money the merchant was paid for; it is never
dropped because a field is odd. Only a payload without an order id (or with more lines than an
order may have) is unusable.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inventory.models import Location
from oms.errors import InvalidInput
from oms.money import parse_amount

from ..models import Channel, HoldReason, Order, PaymentStatus
from ..services import AddressData, LineData, OrderIntakeData, intake_validate
from ..services.intake import INTAKE_PAYMENT_STATUSES

FALLBACK_CURRENCY = "USD"
FALLBACK_COUNTRY = "US"
NO_LINES_SKU = "NO-LINES"


class UnusablePayload(InvalidInput):
    """The platform sent something no order can be recorded from (no order id, not an object)."""


@dataclass
class PlatformLine:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    # The platform's own id of the item (variant), kept so a line without SKU can be traced.
    reference: str = ""
    # The platform's id of this line of this order: what a fulfillment sent back names it by.
    line_id: str = ""


@dataclass
class PlatformRefund:
    refund_id: str
    amount: Decimal
    note: str = ""
    items: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class PlatformOrder:
    """One platform order, described without the platform's vocabulary."""

    platform: str  # "Shopify", for notes and hold details
    external_id: str
    name: str  # what the merchant sees in the platform, e.g. "#1001"
    currency: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    shipping_address: AddressData | None = None
    billing_address: AddressData | None = None
    lines: list[PlatformLine] = field(default_factory=list)
    shipping_price: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    # One of PaymentStatus; refunded and voided are recorded after intake (intake takes an order
    # as pending, authorised or paid).
    payment_status: str = PaymentStatus.PENDING
    payment_label: str = ""  # the platform's own word, e.g. "partially_refunded"
    cancelled: bool = False
    cancel_reason: str = ""
    refunds: list[PlatformRefund] = field(default_factory=list)
    placed_at: datetime | None = None
    risk: str = ""  # the platform's fraud verdict: low, medium, high or '' (none sent)
    remarks: list[str] = field(default_factory=list)  # discount codes, customer note: for the timeline
    problems: list[str] = field(default_factory=list)  # what could not be read: held for a person


class AmountReader:
    """Reads platform amounts as Decimal; what is not a number counts as 0 and is reported."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def __call__(self, value, what: str) -> Decimal:
        if value is None or value == "":
            return Decimal(0)
        try:
            amount = parse_amount(value)
        except ValueError:
            self.problems.append(f"{what}: {str(value)[:40]!r} is not an amount, taken as 0")
            return Decimal(0)
        if amount < 0:
            self.problems.append(f"{what}: negative amount {amount}, taken as 0")
            return Decimal(0)
        return amount


def dicts(value) -> list[dict]:
    """The objects of a payload list (anything else in it, or a list that is not one, is ignored)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value) -> str:
    """A payload value as stripped text (platforms send null, numbers and strings alike)."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def timestamp(value, problems: list[str]) -> datetime | None:
    """An ISO 8601 time; one without offset is UTC (WooCommerce's ``*_gmt`` fields)."""
    raw = text(value)
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        problems.append(f"order time {raw[:40]!r} is not a date and time; the time of receipt stands in")
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt_timezone.utc)


def external_id_of(payload) -> str:
    """The platform's order id, or :class:`UnusablePayload`."""
    if not isinstance(payload, dict):
        raise UnusablePayload("The body is not a JSON object; nothing was recorded.", fields={"body": ["Expected a JSON object."]})
    external_id = text(payload.get("id"))
    if not external_id:
        raise UnusablePayload("The order has no id; nothing was recorded.", fields={"id": ["This field is required."]})
    if len(external_id) > 100:
        raise UnusablePayload("The order id is longer than 100 characters.", fields={"id": ["At most 100 characters."]})
    return external_id


# --- platform order → intake input --------------------------------------------------------


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "x"


def placeholder_email(channel_code: str, external_id: str) -> str:
    # One per order: a shared placeholder would merge strangers into one customer.
    return f"no-email.{_slug(channel_code)}.{_slug(external_id)}@example.invalid"


def _fallback_currency(channel_code: str) -> str:
    recent = Order.objects.filter(channel__code=channel_code).order_by("-id").values_list("currency", flat=True).first()
    return recent or FALLBACK_CURRENCY


def _fallback_country() -> str:
    country = Location.objects.filter(can_ship=True).order_by("priority", "code").values_list("country", flat=True).first()
    return str(country or FALLBACK_COUNTRY)


@dataclass
class _Held:
    """Holds and notes gathered while patching a payload."""

    holds: dict[str, list[str]] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)

    def hold(self, reason: str, detail: str) -> None:
        self.holds.setdefault(reason, []).append(detail)


def intake_data_for(order: PlatformOrder, *, channel: Channel) -> OrderIntakeData:
    """Intake input for ``order``; what intake would refuse is replaced by an explicit
    placeholder and the order is held with a detail saying so.

    Raises :class:`UnusablePayload` only when no placeholder can help.
    """
    held = _Held(remarks=list(order.remarks))
    platform = order.platform
    for problem in order.problems:
        held.hold(HoldReason.MANUAL, problem)
    lines = []
    for number, line in enumerate(order.lines, start=1):
        sku = line.sku
        if not sku:
            sku = f"NO-SKU-{_slug(line.reference or str(number))}"[:64]
            label = f"{line.title!r}" + (f" (item {line.reference})" if line.reference else "")
            held.hold(HoldReason.STOCK, f"line {number} {label} came without a SKU, recorded as {sku}")
        gross = line.unit_price * line.quantity
        discount = line.discount
        if discount > gross:
            held.hold(HoldReason.MANUAL, f"line {number}: discount {discount} above its value {gross}, capped")
            discount = gross
        name = " ".join(part for part in (line.title, f"[{line.reference}]" if line.reference and not line.sku else "") if part)
        lines.append(LineData(
            sku=sku, quantity=line.quantity, unit_price=line.unit_price, discount=discount, tax=line.tax, name=name, external_line_id=line.line_id[:64],
        ))
    if not lines:
        held.hold(HoldReason.MANUAL, f"{platform} sent the order without lines; a placeholder line {NO_LINES_SKU} (price 0) stands in")
        lines.append(LineData(sku=NO_LINES_SKU, quantity=1, unit_price=Decimal(0), name="Placeholder: the order came without lines"))

    shipping, billing = order.shipping_address, order.billing_address
    if shipping is None:
        if billing is not None:
            shipping = AddressData(**billing.as_dict())
            held.hold(HoldReason.ADDRESS, "no shipping address; the billing address stands in")
        else:
            shipping = AddressData(country="")
            held.hold(HoldReason.ADDRESS, "no shipping address and no billing address")

    payment_status = order.payment_status if order.payment_status in INTAKE_PAYMENT_STATUSES else None
    if payment_status is None:
        # Refunded or voided: taken in as what came before, then updated (see webhooks).
        payment_status = PaymentStatus.PAID if order.payment_status == PaymentStatus.REFUNDED else PaymentStatus.PENDING

    data = OrderIntakeData(
        channel=channel.code,
        external_id=order.external_id,
        currency=order.currency,
        email=order.email,
        first_name=order.first_name[:100],
        last_name=order.last_name[:100],
        phone=order.phone,
        shipping_address=shipping,
        billing_address=billing,
        lines=lines,
        shipping_price=order.shipping_price,
        shipping_tax=order.shipping_tax,
        payment_status=payment_status,
        placed_at=order.placed_at,
        platform_risk=order.risk,
    )
    _patch_refusals(data, order, held)
    data.extra_holds = [(reason, "; ".join(details)) for reason, details in held.holds.items()]
    data.note = "; ".join([f"{platform} order {order.name or order.external_id}", *held.remarks])[:2000]
    return data


def _patch_refusals(data: OrderIntakeData, order: PlatformOrder, held: _Held) -> None:
    """Run intake's own validation and patch each refusal it names, so intake's rules stay in
    one place; whatever cannot be patched is unusable."""
    platform = order.platform
    for _attempt in range(3):
        try:
            intake_validate(data)
            return
        except InvalidInput as error:
            leftover = {path: problems for path, problems in error.fields.items() if not _patch(path, data, order, held, platform)}
            if leftover:
                raise UnusablePayload(f"The {platform} order cannot be recorded; nothing was recorded.", fields=leftover) from None
    intake_validate(data)


def _patch(path: str, data: OrderIntakeData, order: PlatformOrder, held: _Held, platform: str) -> bool:
    """Patch the field intake refused at ``path``; whether it could be."""
    if path == "currency":
        placeholder = _fallback_currency(data.channel)
        held.hold(HoldReason.MANUAL, f"currency {order.currency!r} is not ISO 4217; amounts recorded as {placeholder}, check them")
        data.currency = placeholder
    elif path == "customer.email":
        held.hold(HoldReason.MANUAL, f"no usable customer e-mail ({order.email!r}); a placeholder address stands in")
        data.email = placeholder_email(data.channel, data.external_id)
    elif path in ("customer.phone", "shipping_address.phone", "billing_address.phone"):
        owner = data if path == "customer.phone" else getattr(data, path.split(".")[0])
        held.remarks.append(f"{path.replace('_', ' ')} {owner.phone!r} is not a phone number and was left out")
        owner.phone = ""
    elif path == "shipping_address.country":
        placeholder = _fallback_country()
        held.hold(HoldReason.ADDRESS, f"shipping country {data.shipping_address.country!r} is unknown; {placeholder} stands in")
        data.shipping_address.country = placeholder
    elif path in ("billing_address", "billing_address.country"):
        held.remarks.append("the billing address has no usable country and was left out")
        data.billing_address = None
    elif path in ("shipping_price", "shipping_tax"):
        held.hold(HoldReason.MANUAL, f"{path.replace('_', ' ')} {getattr(data, path)!r} is out of bounds, taken as 0")
        setattr(data, path, Decimal(0))
    elif match := re.fullmatch(r"lines\[(\d+)\]\.(sku|unit_price|discount|tax|quantity)", path):
        line = data.lines[int(match[1])]
        name = match[2]
        if name == "sku":  # too long for the column
            held.hold(HoldReason.STOCK, f"line {int(match[1]) + 1} SKU {line.sku[:40]!r}… is too long")
            line.name, line.sku = f"{line.sku} {line.name}".strip(), f"LONG-SKU-{int(match[1]) + 1}"
        elif name == "quantity":
            return False
        else:
            held.hold(HoldReason.MANUAL, f"line {int(match[1]) + 1} {name.replace('_', ' ')} {getattr(line, name)} is out of bounds, taken as 0")
            setattr(line, name, Decimal(0))
    else:
        return False
    return True


# --- what changed since intake ------------------------------------------------------------


def order_differences(order: Order, data: OrderIntakeData) -> list[str]:
    """What the platform now says that differs from what was recorded: e-mail, shipping
    address, lines (SKU and quantity). Payment and cancellation are compared elsewhere."""
    changes = []
    if data.email != order.email:
        changes.append(f"e-mail {order.email} → {data.email}")
    recorded_address = {k: v for k, v in order.shipping_address.items() if v}
    sent_address = {k: v for k, v in data.shipping_address.as_dict().items() if v}
    if recorded_address != sent_address:
        changed = sorted(k for k in recorded_address.keys() | sent_address.keys() if recorded_address.get(k) != sent_address.get(k))
        changes.append("shipping address (" + ", ".join(f"{k}: {recorded_address.get(k, '')!s} → {sent_address.get(k, '')!s}" for k in changed) + ")")
    recorded_lines = [(line.sku, line.quantity) for line in order.lines.order_by("line_number")]
    sent_lines = [(line.sku, line.quantity) for line in data.lines]
    if recorded_lines != sent_lines:
        describe = lambda lines: ", ".join(f"{sku} ×{quantity}" for sku, quantity in lines) or "none"  # noqa: E731
        changes.append(f"lines {describe(recorded_lines)} → {describe(sent_lines)}")
    return changes
