"""DHL Express through the MyDHL API (REST + JSON): rates, shipments with their label, tracking.

Every field name and shape used here is taken from DHL's published OpenAPI description, nothing
else:

- Overview, environments and access: https://developer.dhl.com/api-reference/dhl-express-mydhl-api
- "DHL Express APIs (MyDHL API)" OpenAPI 3.0, version 2.7.0 (``dpdhl-express-api-2.7.0-swagger.yaml``,
  as published on the portal; the copy read is
  https://github.com/Korbeil/dhl-express-php-api/blob/main/resources/dpdhl-express-api-2.7.0-swagger.yaml):

  - ``POST /rates``: ``supermodelIoLogisticsExpressRateRequest`` -> ``supermodelIoLogisticsExpressRates``
  - ``POST /shipments``: ``supermodelIoLogisticsExpressCreateShipmentRequest`` ->
    ``supermodelIoLogisticsExpressCreateShipmentResponse`` (label as base64 in ``documents``)
  - ``GET /shipments/{shipmentTrackingNumber}/tracking`` and ``GET /tracking``:
    ``supermodelIoLogisticsExpressTrackingResponse``
  - errors: ``supermodelIoLogisticsExpressErrorResponse`` (``title``, ``detail``, ``status``,
    ``additionalDetails``)
  - security: HTTP Basic (``securitySchemes.basicAuth``); servers
    ``https://express.api.dhl.com/mydhlapi`` (production) and ``.../mydhlapi/test`` (test).

What the API does not offer, and so this adapter does not pretend to:

- **Cancelling a shipment.** Version 2.7.0 has no operation that voids a created shipment; only a
  booked courier pickup can be cancelled (``DELETE /pickups/{dispatchConfirmationNumber}``).
  :meth:`DhlExpressCarrier.cancel` says so (:class:`CarrierUnsupported`).
- **Tracking status codes.** The schema gives each event a free ``typeCode`` (its example: ``PU``,
  "Shipment picked up") but does not list the codes. :data:`EVENT_STATUS` maps the well-known
  DHL Express checkpoint codes; any other code is reported as an ``info`` scan with DHL's code
  and text kept in the event's ``detail``, so nothing is lost.

Units: our parcels are kg and cm, which is ``unitOfMeasurement: "metric"``; weights and dimensions
go out with at most 3 decimals (the schema's ``multipleOf: 0.001``).

Credentials (never in code) come from Django settings or the environment:
``OMS_DHL_EXPRESS_USERNAME``, ``OMS_DHL_EXPRESS_PASSWORD``, ``OMS_DHL_EXPRESS_ACCOUNT`` (the
shipper account number) and optionally ``OMS_DHL_EXPRESS_BASE_URL`` (default: the test
environment) and ``OMS_DHL_EXPRESS_TIMEOUT_SECONDS``.
"""

import base64
import binascii
import datetime
import os
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from oms.errors import DomainError, InvalidInput
from oms.money import quantize

from ..rating import Charge, Parcel, ParcelRating, Quote, Quotes, Unavailable
from .base import CarrierAdapter, CreatedShipment, ShipmentRequest, TrackingEvent

TEST_URL = "https://express.api.dhl.com/mydhlapi/test"
PRODUCTION_URL = "https://express.api.dhl.com/mydhlapi"
THOUSANDTH = Decimal("0.001")

# Our tracking codes (shipping.models.TrackingCode): statuses that move a shipment, and scans that
# only inform.
IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION, RETURNED_TO_SENDER = "in_transit", "out_for_delivery", "delivered", "exception", "returned_to_sender"
ARRIVED_AT_FACILITY, DEPARTED_FACILITY, INFO = "arrived_at_facility", "departed_facility", "info"

# DHL Express checkpoint codes -> our codes. The OpenAPI schema leaves ``typeCode`` open (see the
# module docstring); these are the codes whose meaning is settled, any other is an ``info`` scan
# (it moves nothing; DHL's code and words stay in the event's detail).
EVENT_STATUS = {
    "PU": IN_TRANSIT,  # shipment picked up
    "AF": ARRIVED_AT_FACILITY,  # arrived at DHL facility
    "DF": DEPARTED_FACILITY,  # departed facility
    "WC": OUT_FOR_DELIVERY,  # with delivery courier
    "OK": DELIVERED,  # delivered
    "RT": RETURNED_TO_SENDER,  # returned to shipper
    "NH": EXCEPTION,  # not home
    "CA": EXCEPTION,  # closed on arrival
    "BA": EXCEPTION,  # bad address
    "RD": EXCEPTION,  # refused delivery
    "CM": EXCEPTION,  # consignee moved
    "MS": EXCEPTION,  # mis-sorted
    "OH": EXCEPTION,  # on hold
    "HP": EXCEPTION,  # held for payment
}


class CarrierError(DomainError):
    """The carrier refused the request or could not be reached; the message carries its words."""

    code = "carrier_error"
    status_code = 502


class CarrierResponseInvalid(CarrierError):
    """The carrier answered, but not in the documented shape: the message says what was missing."""

    code = "carrier_response_invalid"


class CarrierNotConfigured(DomainError):
    code = "carrier_not_configured"
    status_code = 503


class CarrierUnsupported(DomainError):
    """The carrier's API has no such operation at all (not something we have yet to build)."""

    code = "carrier_unsupported"
    status_code = 422


# ---------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class Party:
    """A full postal address with a contact, as carriers need it to print a label. It also has the
    ``country``/``postal_code``/``residential`` of :class:`shipping.rating.Address`, so it can be
    passed wherever an address is."""

    name: str
    street_lines: tuple[str, ...]
    city: str
    postal_code: str
    country: str
    phone: str = ""
    company: str = ""
    email: str = ""
    province: str = ""
    residential: bool = False

    def __post_init__(self):
        country = (self.country or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput(f"{self.country!r} is not a two-letter ISO country code (e.g. US, DE).", fields={"country": "two letters"})
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "street_lines", tuple(line.strip() for line in self.street_lines if line and line.strip()))


@dataclass(frozen=True)
class DhlCreatedShipment(CreatedShipment):
    """A created shipment: the piece numbers (one per parcel) are ``tracking_numbers``; the
    waybill number identifies the whole shipment at DHL."""

    waybill_number: str = ""
    documents: tuple[tuple[str, bytes], ...] = ()  # (typeCode, decoded bytes) of every document returned


def _party(value, role: str) -> Party:
    if isinstance(value, Party):
        return value
    raise InvalidInput(
        f"DHL Express needs the {role}'s full address and contact (name, street, city, phone): pass a shipping.carriers.dhl_express.Party, not {type(value).__name__}.",
        fields={role: "full address needed"},
    )


def _number(value: Decimal) -> int | float:
    """A JSON number with at most 3 decimals (the schema's ``multipleOf: 0.001``)."""
    value = value.quantize(THOUSANDTH)
    return int(value) if value == value.to_integral_value() else float(value)


def _planned_time(ship_at: datetime.datetime, time_zone: str) -> str:
    """``2024-05-14T10:00:00 GMT+02:00``: local time of the shipper with its offset, the format the
    schema describes (its examples differ on the space before ``GMT``; its error message for a
    badly formatted date quotes the spaced form, which is used here)."""
    local = ship_at.astimezone(zoneinfo.ZoneInfo(time_zone)) if ship_at.tzinfo else ship_at.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))
    offset = local.utcoffset() or datetime.timedelta(0)
    sign = "-" if offset < datetime.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{local:%Y-%m-%dT%H:%M:%S} GMT{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _dimensions(parcel: Parcel, index: int) -> dict:
    # Dimensions are required for every package (minimum 1 each) in both /rates and /shipments.
    sides = (parcel.length_cm, parcel.width_cm, parcel.height_cm)
    if any(side < 1 for side in sides):
        raise InvalidInput(
            f"DHL Express needs every parcel's length, width and height (at least 1 cm each); parcel {index + 1} has {' × '.join(f'{side.normalize():f}' for side in sides)} cm.",
            fields={f"parcels.{index}": "dimensions needed"},
        )
    return {"length": _number(parcel.length_cm), "width": _number(parcel.width_cm), "height": _number(parcel.height_cm)}


def _package(parcel: Parcel, index: int) -> dict:
    return {"weight": _number(parcel.weight_kg), "dimensions": _dimensions(parcel, index)}


def _rating_address(party: Party) -> dict:
    address = {"postalCode": party.postal_code, "cityName": party.city, "countryCode": party.country}
    if party.province:
        address["provinceCode"] = party.province
    if party.street_lines:
        address["addressLine1"] = party.street_lines[0]
    return address


def _shipping_details(party: Party, role: str) -> dict:
    if not party.street_lines or not party.city or not party.phone or not party.name:
        missing = [what for what, value in (("name", party.name), ("street", party.street_lines), ("city", party.city), ("phone", party.phone)) if not value]
        raise InvalidInput(f"DHL Express needs the {role}'s {', '.join(missing)} to create a shipment.", fields={f"{role}.{field}": "required" for field in missing})
    address = {"postalCode": party.postal_code, "cityName": party.city, "countryCode": party.country, "addressLine1": party.street_lines[0]}
    for number, line in enumerate(party.street_lines[1:3], start=2):
        address[f"addressLine{number}"] = line
    if party.province:
        address["provinceCode"] = party.province
    # companyName is required by the schema even for a private person: the name stands in for it.
    contact = {"phone": party.phone, "companyName": party.company or party.name, "fullName": party.name}
    if party.email:
        contact["email"] = party.email
    details = {"postalAddress": address, "contactInformation": contact}
    if party.residential and not party.company:
        details["typeCode"] = "private"
    return details


# ---------------------------------------------------------------------------- request builders


def rate_request(
    *,
    account: str,
    origin: Party,
    destination: Party,
    parcels: Iterable[Parcel],
    ship_at: datetime.datetime,
    time_zone: str,
    currency: str,
    product_codes: Iterable[str] | None = None,
) -> dict:
    """The body of ``POST /rates`` for parcels sent together. A declared value is sent as the
    shipment's ``monetaryAmount`` of type ``declaredValue``."""
    parcels = tuple(parcels)
    if not parcels:
        raise InvalidInput("A quote needs at least one parcel.", fields={"parcels": "empty"})
    body: dict[str, Any] = {
        "customerDetails": {"shipperDetails": _rating_address(origin), "receiverDetails": _rating_address(destination)},
        "accounts": [{"typeCode": "shipper", "number": account}],
        "plannedShippingDateAndTime": _planned_time(ship_at, time_zone),
        "unitOfMeasurement": "metric",
        "isCustomsDeclarable": origin.country != destination.country,
        "packages": [_package(parcel, index) for index, parcel in enumerate(parcels)],
    }
    declared = sum((parcel.declared_value for parcel in parcels), Decimal(0))
    if declared > 0:
        body["monetaryAmount"] = [{"typeCode": "declaredValue", "value": _number(declared), "currency": currency}]
    if product_codes is not None:
        body["productsAndServices"] = [{"productCode": code} for code in product_codes]
    return body


def shipment_request(
    *,
    account: str,
    product_code: str,
    origin: Party,
    destination: Party,
    parcels: Iterable[Parcel],
    ship_at: datetime.datetime,
    time_zone: str,
    currency: str,
    reference: str = "",
    contents: str = "Goods",
    incoterm: str = "DAP",
) -> dict:
    """The body of ``POST /shipments``: no courier pickup booked (parcels go with the regular
    collection), a PDF label on the default 8×4 in template, the declared value as the customs
    value. A customs-declarable shipment may need line items (``exportDeclaration``), which plain
    parcels do not carry: DHL then refuses with its reason, which :class:`CarrierError` shows."""
    parcels = tuple(parcels)
    if not parcels:
        raise InvalidInput("A shipment needs at least one parcel.", fields={"parcels": "empty"})
    contents = (contents or "").strip()[:70] or "Goods"
    declarable = origin.country != destination.country
    content: dict[str, Any] = {
        "packages": [_package(parcel, index) for index, parcel in enumerate(parcels)],
        "isCustomsDeclarable": declarable,
        "description": contents,
        "incoterm": incoterm,
        "unitOfMeasurement": "metric",
    }
    declared = sum((parcel.declared_value for parcel in parcels), Decimal(0))
    if declarable and declared > 0:
        content["declaredValue"] = _number(declared)
        content["declaredValueCurrency"] = currency
    body: dict[str, Any] = {
        "plannedShippingDateAndTime": _planned_time(ship_at, time_zone),
        "pickup": {"isRequested": False},
        "productCode": product_code,
        "accounts": [{"typeCode": "shipper", "number": account}],
        "outputImageProperties": {"encodingFormat": "pdf", "imageOptions": [{"typeCode": "label", "templateName": "ECOM26_84_001"}]},
        "customerDetails": {"shipperDetails": _shipping_details(origin, "shipper"), "receiverDetails": _shipping_details(destination, "receiver")},
        "content": content,
    }
    if reference:
        body["customerReferences"] = [{"value": reference[:35], "typeCode": "CU"}]
    return body


# ---------------------------------------------------------------------------- response parsers


def _field(data, path: str, what: str):
    """``data[a][b]...`` for a dotted path, or :class:`CarrierResponseInvalid` naming what is missing."""
    value = data
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, Mapping) and key in value:
            value = value[key]
        else:
            raise CarrierResponseInvalid(f"DHL Express answered {what} without `{path}`; the response is not in the documented shape.")
    return value


def _decimal(value, path: str, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise CarrierResponseInvalid(f"DHL Express answered {what} with `{path}` = {value!r}, which is not a number.") from None
    if not amount.is_finite():
        raise CarrierResponseInvalid(f"DHL Express answered {what} with `{path}` = {value!r}, which is not a number.")
    return amount


def _date(value, path: str, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise CarrierResponseInvalid(f"DHL Express answered {what} with `{path}` = {value!r}, which is not a date.") from None


def error_message(status: int, body) -> str:
    """DHL's own words from an error response (``title``/``detail``/``additionalDetails``)."""
    if not isinstance(body, Mapping):
        return f"DHL Express answered HTTP {status} without an error description."
    parts = [str(body[key]).strip() for key in ("title", "detail") if body.get(key)]
    extra = body.get("additionalDetails")
    if isinstance(extra, list) and extra:
        parts.append("; ".join(str(item) for item in extra))
    said = ": ".join(parts) if parts else str(body.get("message") or "no description")
    return f"DHL Express refused the request (HTTP {status}): {said}"


def _check(status: int, body, what: str):
    if status == 401:
        raise CarrierError("DHL Express refused the credentials (HTTP 401): check OMS_DHL_EXPRESS_USERNAME and OMS_DHL_EXPRESS_PASSWORD.", code="carrier_unauthorized")
    if status >= 400:
        raise CarrierError(error_message(status, body))
    if not isinstance(body, Mapping):
        raise CarrierResponseInvalid(f"DHL Express answered {what} with something that is not a JSON object.")
    return body


def _billing_price(product: Mapping, index: int) -> tuple[Decimal, str] | None:
    """The product's total in the billing currency (``BILLC``), else the first priced currency."""
    prices = product.get("totalPrice")
    if not isinstance(prices, list):
        return None
    priced = [entry for entry in prices if isinstance(entry, Mapping) and entry.get("priceCurrency") and entry.get("price") is not None]
    if not priced:
        return None
    chosen = next((entry for entry in priced if entry.get("currencyType") == "BILLC"), priced[0])
    return _decimal(chosen["price"], f"products.{index}.totalPrice.price", "/rates"), str(chosen["priceCurrency"])


def parse_rates(body, *, carrier, parcels: tuple[Parcel, ...], ship_at: datetime.datetime, services: Iterable[str] | None = None) -> Quotes:
    """``POST /rates`` response -> :class:`~shipping.rating.Quotes` (cheapest first); products DHL
    could not price, or that were not asked for, are left out or listed as unavailable."""
    products = _field(body, "products", "/rates")
    if not isinstance(products, list):
        raise CarrierResponseInvalid("DHL Express answered /rates with `products` that is not a list.")
    wanted = None if services is None else frozenset(services)
    planned = ship_at.astimezone(zoneinfo.ZoneInfo(carrier.time_zone)).date() if ship_at.tzinfo else ship_at.date()
    quotes, unavailable = [], []
    warnings = "; ".join(str(w) for w in body.get("warnings") or ())
    for index, product in enumerate(products):
        code = str(_field(product, "productCode", "/rates"))
        if wanted is not None and code not in wanted:
            continue
        name = str(product.get("productName") or code)
        key = f"{carrier.code}:{code}"
        price = _billing_price(product, index)
        if price is None:
            unavailable.append(Unavailable(key, f"DHL Express gave no price for {name}" + (f" ({warnings})" if warnings else "")))
            continue
        amount, currency = price
        delivery = product.get("deliveryCapabilities") or {}
        pickup = product.get("pickupCapabilities") or {}
        collected = _date(pickup["localCutoffDateAndTime"], f"products.{index}.pickupCapabilities.localCutoffDateAndTime", "/rates") if pickup.get("localCutoffDateAndTime") else planned
        transit = delivery.get("totalTransitDays")
        transit_days = int(_decimal(transit, f"products.{index}.deliveryCapabilities.totalTransitDays", "/rates")) if transit is not None else None
        if delivery.get("estimatedDeliveryDateAndTime"):
            delivered = _date(delivery["estimatedDeliveryDateAndTime"], f"products.{index}.deliveryCapabilities.estimatedDeliveryDateAndTime", "/rates")
            transit_days = transit_days if transit_days is not None else max((delivered - collected).days, 0)
        elif transit_days is not None:
            delivered = carrier.delivery(collected, transit_days)
        else:
            unavailable.append(Unavailable(key, f"DHL Express gave no delivery estimate for {name}"))
            continue
        weight = product.get("weight") or {}
        actual = _decimal(weight.get("provided", sum((p.weight_kg for p in parcels), Decimal(0))), f"products.{index}.weight.provided", "/rates")
        volumetric = _decimal(weight.get("volumetric", 0), f"products.{index}.weight.volumetric", "/rates")
        total = quantize(amount, currency)
        reason = f"{name} as priced by DHL Express" + (f" on {product['pricingDate']}" if product.get("pricingDate") else "")
        rating = ParcelRating(0, actual, volumetric, max(actual, volumetric), (Charge("base", f"DHL Express {name}", total, reason, 0),))
        quotes.append(
            Quote(
                carrier=carrier.code, carrier_name=carrier.name, service=code, service_name=name, currency=currency,
                zone=str(delivery.get("destinationServiceAreaCode") or ""), zone_rule="DHL Express rates API",
                price=total, parcels=(rating,), transit_days=transit_days, collection_date=collected, delivery_date=delivered,
                collection_note=f"collected {collected:%a %Y-%m-%d} (DHL Express)", band_notes=(f"{len(parcels)} parcel(s) priced together by DHL Express",),
            )
        )  # fmt: skip
    quotes.sort(key=lambda q: (q.price, q.delivery_date, q.key))
    return Quotes(tuple(quotes), tuple(unavailable))


def parse_shipment(body, *, parcel_count: int) -> DhlCreatedShipment:
    """``POST /shipments`` response -> the waybill, one piece number per parcel and the label PDF."""
    waybill = str(_field(body, "shipmentTrackingNumber", "/shipments"))
    packages = _field(body, "packages", "/shipments")
    if not isinstance(packages, list) or len(packages) != parcel_count:
        got = len(packages) if isinstance(packages, list) else "no"
        raise CarrierResponseInvalid(f"DHL Express answered /shipments with {got} packages for {parcel_count} parcels.")
    pieces = tuple(str(_field(package, "trackingNumber", f"/shipments (packages.{i})")) for i, package in enumerate(packages))
    documents = _field(body, "documents", "/shipments")
    if not isinstance(documents, list):
        raise CarrierResponseInvalid("DHL Express answered /shipments with `documents` that is not a list.")
    decoded = []
    for index, document in enumerate(documents):
        content = _field(document, "content", f"/shipments (documents.{index})")
        try:
            decoded.append((str(document.get("typeCode", "")), base64.b64decode(content, validate=True)))
        except (binascii.Error, TypeError, ValueError):
            raise CarrierResponseInvalid(f"DHL Express answered /shipments with `documents.{index}.content` that is not base64.") from None
    label = next((data for type_code, data in decoded if type_code == "label"), None)
    if label is None:
        raise CarrierResponseInvalid("DHL Express answered /shipments without a document of typeCode `label`.")
    return DhlCreatedShipment(tracking_numbers=pieces, label_pdf=label, waybill_number=waybill, documents=tuple(decoded))


def parse_tracking(body, *, tracking_number: str, time_zone: str = "UTC") -> list[TrackingEvent]:
    """Tracking response -> our events, oldest first. A piece number gets its piece's events (the
    shipment's when DHL lists none for the piece). DHL gives each event's local date and time
    without an offset; they are read in ``time_zone`` (the carrier's)."""
    shipments = _field(body, "shipments", "tracking")
    if not isinstance(shipments, list) or not shipments:
        raise CarrierResponseInvalid("DHL Express answered tracking with no shipment.")
    shipment = shipments[0]
    events = _field(shipment, "events", "tracking (shipments.0)")
    for piece in shipment.get("pieces") or ():
        if isinstance(piece, Mapping) and piece.get("trackingNumber") == tracking_number and piece.get("events"):
            events = piece["events"]
    zone = zoneinfo.ZoneInfo(time_zone)
    found = []
    for index, event in enumerate(events):
        day = _field(event, "date", f"tracking (events.{index})")
        clock = str(event.get("time") or "00:00:00")
        try:
            at = datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)
        except ValueError:
            raise CarrierResponseInvalid(f"DHL Express answered tracking with events.{index} at {day!r} {clock!r}, which is not a date and time.") from None
        code = str(event.get("typeCode") or "")
        areas = event.get("serviceArea") or ()
        location = str(areas[0].get("description") or areas[0].get("code") or "") if areas and isinstance(areas[0], Mapping) else ""
        detail = " ".join(part for part in (code, str(event.get("description") or "")) if part)
        if event.get("signedBy"):
            detail += f" (signed by {event['signedBy']})"
        found.append(TrackingEvent(tracking_number=tracking_number, status=EVENT_STATUS.get(code, INFO), at=at, location=location, detail=detail))
    found.sort(key=lambda e: e.at)
    return found


# ---------------------------------------------------------------------------- transport


class HttpTransport(Protocol):
    """What the adapter needs from HTTP: JSON in, ``(status, parsed JSON or None)`` out."""

    def post(self, url: str, json: dict, headers: dict) -> tuple[int, Any]: ...

    def get(self, url: str, params: dict, headers: dict) -> tuple[int, Any]: ...


class RequestsTransport:
    """The real transport, on ``requests``, with connect and read timeouts. Numbers in answers are
    parsed as :class:`~decimal.Decimal`, so prices never pass through a float."""

    def __init__(self, timeout_seconds: float = 30):
        import requests

        self._requests = requests
        self._session = requests.Session()
        self._timeout = (min(timeout_seconds, 10), timeout_seconds)

    def _send(self, method: str, url: str, **kwargs) -> tuple[int, Any]:
        try:
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        except self._requests.RequestException as exc:
            raise CarrierError(f"DHL Express could not be reached ({type(exc).__name__}); try again later.", code="carrier_unreachable") from exc
        try:
            return response.status_code, response.json(parse_float=Decimal)
        except ValueError:
            return response.status_code, None

    def post(self, url: str, json: dict, headers: dict) -> tuple[int, Any]:
        return self._send("POST", url, json=json, headers=headers)

    def get(self, url: str, params: dict, headers: dict) -> tuple[int, Any]:
        return self._send("GET", url, params=params, headers=headers)


@dataclass(frozen=True)
class DhlExpressConfig:
    username: str
    password: str
    account: str
    base_url: str = TEST_URL
    timeout_seconds: float = 30

    @classmethod
    def from_settings(cls) -> "DhlExpressConfig":
        def value(name: str, default: str = "") -> str:
            return str(getattr(settings, name, None) or os.environ.get(name) or default).strip()

        missing = [name for name in ("OMS_DHL_EXPRESS_USERNAME", "OMS_DHL_EXPRESS_PASSWORD", "OMS_DHL_EXPRESS_ACCOUNT") if not value(name)]
        if missing:
            raise CarrierNotConfigured(f"DHL Express is not configured: set {', '.join(missing)} in the environment.")
        try:
            timeout = float(value("OMS_DHL_EXPRESS_TIMEOUT_SECONDS", "30"))
        except ValueError:
            raise CarrierNotConfigured("OMS_DHL_EXPRESS_TIMEOUT_SECONDS must be a number of seconds.") from None
        return cls(
            username=value("OMS_DHL_EXPRESS_USERNAME"), password=value("OMS_DHL_EXPRESS_PASSWORD"),
            account=value("OMS_DHL_EXPRESS_ACCOUNT"), base_url=value("OMS_DHL_EXPRESS_BASE_URL", TEST_URL).rstrip("/"),
            timeout_seconds=timeout,
        )  # fmt: skip


# ---------------------------------------------------------------------------- the adapter


class DhlExpressCarrier(CarrierAdapter):
    """DHL Express: quotes, shipments with labels, return labels and tracking through the MyDHL
    API. Service codes are DHL's global product codes (e.g. ``P`` Express Worldwide, ``N`` Express
    Domestic). Addresses must be :class:`Party` (a label needs name, street, city and phone)."""

    tracking_url_template = "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={tracking_number}"

    def __init__(self, carrier, *, config: DhlExpressConfig | None = None, transport: HttpTransport | None = None,
                 clock: Callable[[], datetime.datetime] = timezone.now, contents: str = "Goods"):  # fmt: skip
        super().__init__(carrier)
        self._config = config
        self._transport = transport
        self._clock = clock
        self._contents = contents

    @property
    def config(self) -> DhlExpressConfig:
        if self._config is None:
            self._config = DhlExpressConfig.from_settings()
        return self._config

    @property
    def transport(self) -> HttpTransport:
        if self._transport is None:
            self._transport = RequestsTransport(self.config.timeout_seconds)
        return self._transport

    def _headers(self) -> dict:
        token = base64.b64encode(f"{self.config.username}:{self.config.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}", "Accept": "application/json", "Content-Type": "application/json"}

    def quote(self, *, parcels, origin, destination, ship_at, services=None) -> Quotes:
        parcels = tuple(parcels)
        services = None if services is None else tuple(services)
        ship_at = self._ship_at(ship_at)
        body = rate_request(
            account=self.config.account, origin=_party(origin, "origin"), destination=_party(destination, "destination"),
            parcels=parcels, ship_at=ship_at, time_zone=self.carrier.time_zone, currency=self.carrier.currency, product_codes=services,
        )  # fmt: skip
        status, answer = self.transport.post(f"{self.config.base_url}/rates", body, self._headers())
        return parse_rates(_check(status, answer, "/rates"), carrier=self.carrier, parcels=parcels, ship_at=ship_at, services=services)

    def _ship_at(self, ship_at) -> datetime.datetime:
        """When the parcels are handed over: now when not given, a bare day at the carrier's cut-off."""
        if ship_at is None:
            return self._clock()
        if not isinstance(ship_at, datetime.datetime):
            return datetime.datetime.combine(ship_at, self.carrier.cutoff)
        return ship_at

    def _create(self, request: ShipmentRequest, origin: Party, destination: Party) -> DhlCreatedShipment:
        body = shipment_request(
            account=self.config.account, product_code=request.service, origin=origin, destination=destination,
            parcels=request.parcels, ship_at=self._ship_at(getattr(request, "ship_at", None)), time_zone=self.carrier.time_zone, currency=self.carrier.currency,
            reference=request.reference, contents=self._contents,
        )  # fmt: skip
        status, answer = self.transport.post(f"{self.config.base_url}/shipments", body, self._headers())
        return parse_shipment(_check(status, answer, "/shipments"), parcel_count=len(request.parcels))

    def create_shipment(self, request: ShipmentRequest, *, actor: str) -> DhlCreatedShipment:
        return self._create(request, _party(request.origin, "shipper"), _party(request.destination, "receiver"))

    def return_label(self, request: ShipmentRequest, *, actor: str) -> DhlCreatedShipment:
        """A label for the customer to send the parcels back: ``request`` is in the direction the
        parcels travel (``origin`` the customer, the shipper on DHL's label; ``destination`` the
        returns location, the receiver), booked with ``POST /shipments`` and billed to our account.
        Version 2.7.0 has no return operation or flag of its own: a return is a shipment whose
        shipper is the customer. What it documents only for customs declarations
        (``exportDeclaration.exportReasonType: return``, which needs line items and an invoice that
        plain parcels do not carry) and return products agreed per account (an import account as
        ``payer``) are not mapped: DHL refuses what the account may not do, with its reason."""
        return self._create(request, _party(request.origin, "shipper"), _party(request.destination, "receiver"))

    def cancel(self, tracking_number: str, *, actor: str) -> None:
        raise CarrierUnsupported(
            f"DHL Express shipment {tracking_number} cannot be voided through the MyDHL API: it has no cancel operation for shipments, "
            "only for a booked courier pickup. Do not hand the parcel over, and ask DHL Express to cancel it if it was already billed."
        )

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Every checkpoint of a waybill (10 digits) or of one piece (a piece number)."""
        number = (tracking_number or "").strip()
        if not number:
            raise InvalidInput("A tracking number is needed.", fields={"tracking_number": "required"})
        if number.isdigit():
            url, params = f"{self.config.base_url}/shipments/{number}/tracking", {"trackingView": "all-checkpoints", "levelOfDetail": "all"}
        else:
            url, params = f"{self.config.base_url}/tracking", {"pieceTrackingNumber": number, "trackingView": "all-checkpoints", "levelOfDetail": "all"}
        status, answer = self.transport.get(url, params, self._headers())
        if status == 404:
            error = CarrierError(f"DHL Express has no tracking data for {number} (yet): {error_message(status, answer)}", code="tracking_not_found")
            error.status_code = 404
            raise error
        return parse_tracking(_check(status, answer, "tracking"), tracking_number=number, time_zone=self.carrier.time_zone)
