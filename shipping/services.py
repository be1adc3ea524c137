"""Writes of the shipping app: tracking numbers, shipments, tracking events, late shipments.

Every function takes plain data and keyword-only arguments with ``actor``, runs in one
transaction and locks rows in primary-key order. Status changes of a shipment are recorded as
domain events (``shipment.in_transit``, ``.out_for_delivery``, ``.delivered``, ``.exception``,
``.returned_to_sender``, ``.voided``, ``.late``) with the caller's ``reference``, so the apps
above (fulfillment) subscribe by name and never get imported here. Labels (PDF) are rendered
outside every transaction and stored afterwards; manifests close a carrier's day. Return labels
are shipments too (``direction`` return, from the customer to a returns location), announced as
``shipment.return_label_created``; every shipment event says its ``direction``.
"""

import datetime
import logging
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from oms.events import event_record

from .carriers.base import ShipmentRequest
from .labels import LABEL_FORMAT, shipments_labels_pdf
from .models import (
    OPEN_STATUSES,
    STATUS_CODES,
    Carrier,
    Manifest,
    ServiceLevel,
    Shipment,
    ShipmentDirection,
    ShipmentParcel,
    ShipmentStatus,
    TrackingCode,
    TrackingEvent,
    TrackingSerial,
)
from .rating import ZERO, Address, Parcel
from .s10 import s10_format

logger = logging.getLogger(__name__)
# The format of a label the carrier's own API returned (stored as it came).
CARRIER_LABEL_FORMAT = "pdf-carrier"
# A manual shipment's label came from the merchant's own carrier system: the OMS holds none.
MANUAL_LABEL_FORMAT = "manual"
# Without a promise, a manual shipment is expected within this many days of collection (after
# that it is flagged late, so customer service looks at it).
MANUAL_PROMISE_DAYS = 7
MANUAL_SERVICE_CODE = "own"
_MANUAL_TRACKING = re.compile(r"^[A-Z0-9-]{4,36}$")


class TrackingSerialsExhausted(DomainError):
    code = "tracking_serials_exhausted"


def tracking_number_issue(*, carrier_code: str, actor: str) -> str:
    """A new UPU S10 tracking number of the carrier, never issued before.

    Guarantees: the serial comes from the carrier's counter row, advanced by one conditional
    ``UPDATE ... RETURNING`` (the row lock serialises concurrent callers, so no two get the same
    serial); it stays within the carrier's serial range, and when the range is used up nothing
    is issued and the error says so. ``actor`` is who asked (for the shipment that records it).
    """
    carrier = Carrier.objects.filter(code=carrier_code).first()
    if carrier is None:
        raise NotFound(f"No carrier {carrier_code!r}.")
    if not carrier.s10_service_indicator or not carrier.s10_country:
        raise InvalidInput(
            f"Carrier {carrier.code} has no S10 service indicator and country; set them on the carrier to issue tracking numbers.",
            fields={"s10_service_indicator": "required"},
        )
    table = TrackingSerial._meta.db_table
    with transaction.atomic():
        TrackingSerial.objects.get_or_create(carrier=carrier, defaults={"next_serial": carrier.s10_serial_first})
        with connection.cursor() as cursor:
            # Never below the range's start (it may have been moved up since the counter began).
            cursor.execute(
                f"UPDATE {table} SET next_serial = CASE WHEN next_serial < %s THEN %s ELSE next_serial END + 1 "
                f"WHERE carrier_id = %s AND next_serial <= %s RETURNING next_serial - 1",
                [carrier.s10_serial_first, carrier.s10_serial_first, carrier.pk, carrier.s10_serial_last],
            )
            row = cursor.fetchone()
    if row is None:
        raise TrackingSerialsExhausted(
            f"Carrier {carrier.code} has issued every serial up to {carrier.s10_serial_last:08d}; give it a new serial range.",
        )
    return s10_format(carrier.s10_service_indicator, row[0], carrier.s10_country)


# ---------------------------------------------------------------------------- shipments


def shipment_address_parse(value, what: str) -> tuple[dict, Address]:
    """An address given as a dict: as stored (every key given, country in capitals) and as the
    engine reads it; refused with what to fix (``what`` names it in the message)."""
    if not isinstance(value, Mapping):
        raise InvalidInput(f"The {what} must be an address object with at least a country.", fields={what: ["must be an object"]})
    try:
        parsed = Address(
            str(value.get("country") or ""), str(value.get("postal_code") or ""), bool(value.get("residential", False)),
            pickup_point=bool(str(value.get("pickup_point") or "").strip()),
        )
    except InvalidInput as error:
        raise InvalidInput(f"The {what}: {error.message}", fields={f"{what}.country": [error.message]}) from None
    stored = {**value, "country": parsed.country}
    return stored, parsed


def shipment_parcels_parse(values, declared_value: Decimal = ZERO, *, insured: bool = True) -> tuple[Parcel, ...]:
    """Parcels given as a list of dicts (``weight_kg``, ``length_cm``...), each checked; the first
    carries the declared value (``insured`` or declared only: see :class:`Parcel`)."""
    if not isinstance(values, (list, tuple)) or not values:
        raise InvalidInput("A shipment needs at least one parcel: a list of {weight_kg, length_cm, width_cm, height_cm}.", fields={"parcels": ["empty"]})
    parcels = []
    for index, value in enumerate(values):
        if not isinstance(value, Mapping):
            raise InvalidInput(f"Parcel {index + 1} must be an object with weight_kg.", fields={f"parcels[{index}]": ["must be an object"]})
        try:
            parcels.append(
                Parcel(
                    weight_kg=value.get("weight_kg", 0), length_cm=value.get("length_cm", 0), width_cm=value.get("width_cm", 0),
                    height_cm=value.get("height_cm", 0),
                    # The cover is bought once per shipment: the first parcel carries the declared value.
                    declared_value=declared_value if index == 0 else ZERO, insured=insured,
                )
            )
        except InvalidInput as error:
            fields = {f"parcels[{index}].{name}": [problem] for name, problem in error.fields.items()}
            raise InvalidInput(f"Parcel {index + 1}: {error.message}", fields=fields) from None
    return tuple(parcels)


def shipment_create(
    *,
    carrier_code: str,
    service_code: str,
    origin: Mapping,
    destination: Mapping,
    parcels: Sequence[Mapping],
    reference: str = "",
    declared_value: Decimal | str | int = ZERO,
    declared_currency: str = "",
    insure: bool = True,
    ship_at: datetime.datetime | datetime.date | None = None,
    actor: Actor,
) -> Shipment:
    """Book a shipment with the carrier and record it, with a tracking number per parcel.

    ``declared_value`` is the value of the goods in ``declared_currency`` (blank: the carrier's
    currency); the label prints it and carriers that declare customs get it. With ``insure`` the
    value is also insured with the carrier: its declared-value cover surcharge is part of the
    price, and then the value must be in the carrier's currency (the cover is a share of it).

    Guarantees: the carrier's adapter books it first (the built-in carrier: UPU S10 numbers from
    its serial range, the price and promised delivery date of its quote for exactly these
    parcels); then the shipment and its parcels are recorded in one transaction, status
    ``label_created``. Bad input (unknown carrier or service, a service that cannot carry these
    parcels there, malformed addresses or parcels) is refused with what to fix and records
    nothing. A label the carrier returned is stored as it came; otherwise (the built-in carrier)
    the 4x6 label is rendered after the transaction (:func:`shipment_label_render`). A label
    that fails to render leaves ``label_pdf`` empty (logged): the shipment is booked and the
    admin renders the label again on demand.
    """
    return _shipment_book(
        carrier_code=carrier_code, service_code=service_code, origin=origin, destination=destination, parcels=parcels,
        reference=reference, declared_value=declared_value, declared_currency=declared_currency, insure=insure, ship_at=ship_at,
        actor=actor,
    )


def return_shipment_create(
    *,
    carrier_code: str,
    service_code: str,
    origin: Mapping,
    destination: Mapping,
    parcels: Sequence[Mapping],
    reference: str = "",
    actor: Actor,
    return_of_id: int | None = None,
) -> Shipment:
    """Book a return label: parcels the customer (``origin``) sends back to a returns location
    (``destination``), optionally as the return of our outbound shipment ``return_of_id``.

    Guarantees: the same input checks as :func:`shipment_create` and the same order (the
    carrier's adapter books it outside any transaction, then one transaction records it, then
    the label is rendered); the shipment is ``direction`` return, on no end-of-day manifest
    (the customer hands it over) and never late against its quoted delivery date. Refused with
    what to fix, recording nothing: a carrier whose adapter books no returns
    (:class:`ReturnLabelsUnavailable`), a ``return_of_id`` that is unknown, voided or itself a
    return. Records ``shipment.return_label_created`` (with the sender's address, so a
    notification can send the label to the customer). ``reference`` is the caller's id of the
    return (e.g. an RMA number), not the outbound shipment's: subscribers look shipments up by it.
    """
    original_id = None
    if return_of_id is not None:
        valid_id = isinstance(return_of_id, int) and not isinstance(return_of_id, bool)
        original = Shipment.objects.filter(pk=return_of_id).first() if valid_id else None
        if original is None:
            raise NotFound(f"No shipment {return_of_id!r} to return.")
        _returnable(original)
        original_id = original.pk
    return _shipment_book(
        carrier_code=carrier_code, service_code=service_code, origin=origin, destination=destination, parcels=parcels,
        reference=reference, declared_value=ZERO, declared_currency="", insure=False, ship_at=None, actor=actor, return_of_id=original_id,
        direction=ShipmentDirection.RETURN,
    )


class ReturnLabelsUnavailable(DomainError):
    code = "return_labels_unavailable"
    status_code = 409


def _returnable(shipment: Shipment) -> None:
    """Refuse a return of ``shipment`` when there is nothing to send back, saying why."""
    if shipment.is_return:
        raise InvalidTransition(
            f"Shipment {shipment.tracking_number} is itself a return; create the return label from the outbound shipment instead."
        )
    if shipment.status == ShipmentStatus.VOIDED:
        raise InvalidTransition(f"Shipment {shipment.tracking_number} is voided: it never left, so there is nothing to return.")


def _no_return_labels(carrier: Carrier) -> ReturnLabelsUnavailable:
    return ReturnLabelsUnavailable(
        f"{carrier.name} does not issue return labels through the OMS; book the return with the carrier directly, or choose a carrier that does."
    )


def shipment_return_label_create(
    *, shipment_id: int, actor: Actor, parcels: Sequence[Mapping] | None = None, service_code: str | None = None,
) -> Shipment:
    """Book the return of our outbound shipment: from its recipient back to where it came from,
    with the same carrier, the same service and the same parcels unless ``service_code`` or
    ``parcels`` say otherwise (a customer may send back part of it, in another box).

    Guarantees: what :func:`return_shipment_create` guarantees; refused with the reason (nothing
    booked, nothing recorded) for an unknown shipment, a voided one, a return, or a carrier
    whose adapter books no returns. The return's ``reference`` is ``return:`` and the original's,
    so the same search finds it without it being taken for the outbound parcel.
    """
    from .carriers import carrier_adapter

    original = Shipment.objects.select_related("carrier", "service").prefetch_related("parcels").filter(pk=shipment_id).first()
    if original is None:
        raise NotFound(f"No shipment {shipment_id}.")
    _returnable(original)
    if service_code is not None and not isinstance(service_code, str):
        raise InvalidInput("service_code must be a service's code, e.g. ground.", fields={"service_code": ["must be a string"]})
    if not carrier_adapter(original.carrier.code).offers_return_labels:
        raise _no_return_labels(original.carrier)
    if parcels is None:
        parcels = [
            {"weight_kg": parcel.weight_kg, "length_cm": parcel.length_cm, "width_cm": parcel.width_cm, "height_cm": parcel.height_cm}
            for parcel in original.parcels.all()
        ]
    return return_shipment_create(
        carrier_code=original.carrier.code, service_code=service_code or original.service.code,
        origin=original.destination, destination=original.origin, parcels=parcels,
        reference=f"return:{original.reference}"[:64] if original.reference else "", actor=actor, return_of_id=original.pk,
    )


def _shipment_book(
    *, carrier_code: str, service_code: str, origin, destination, parcels, reference, declared_value, declared_currency: str, insure: bool,
    ship_at, actor: Actor, direction: str = ShipmentDirection.OUTBOUND, return_of_id: int | None = None,
) -> Shipment:
    """What :func:`shipment_create` and :func:`return_shipment_create` guarantee: check, book with
    the carrier (outside any transaction), record, render the label."""
    from .carriers import carrier_adapter  # the adapters use the services above

    try:
        declared = Decimal(str(declared_value))
    except ArithmeticError:
        raise InvalidInput(f"declared_value must be a number, not {declared_value!r}.", fields={"declared_value": ["not a number"]}) from None
    if not declared.is_finite() or declared < 0:
        raise InvalidInput("declared_value must be 0 or more.", fields={"declared_value": ["must be 0 or more"]})
    declared_currency = str(declared_currency or "").strip().upper()
    if declared_currency and not (len(declared_currency) == 3 and declared_currency.isalpha()):
        raise InvalidInput(
            f"declared_currency must be an ISO 4217 code such as USD, not {declared_currency!r}.", fields={"declared_currency": ["not a currency"]}
        )
    origin_stored, origin_address = shipment_address_parse(origin, "origin")
    destination_stored, destination_address = shipment_address_parse(destination, "destination")
    insured = bool(insure) and declared > 0
    parsed_parcels = shipment_parcels_parse(parcels, declared, insured=insured)
    reference = str(reference or "")
    if len(reference) > 64:
        raise InvalidInput("reference is at most 64 characters.", fields={"reference": ["too long"]})
    service = ServiceLevel.objects.select_related("carrier").filter(carrier__code=carrier_code, code=service_code, active=True).first()
    if service is None:
        raise NotFound(f"Carrier {carrier_code!r} has no active service {service_code!r}.")
    declared_currency = declared_currency or service.carrier.currency
    if insured and declared_currency != service.carrier.currency:
        raise InvalidInput(
            f"{service.carrier.name} insures in {service.carrier.currency}, and the value is declared in {declared_currency}: "
            "declare it without insurance, or in the carrier's currency.",
            fields={"declared_currency": [f"must be {service.carrier.currency} to insure"]},
        )
    adapter = carrier_adapter(carrier_code)
    is_return = direction == ShipmentDirection.RETURN
    if is_return and not adapter.offers_return_labels:
        raise _no_return_labels(service.carrier)
    # Outside the transaction: a carrier's API may be slow, and no row lock waits on it.
    created = (adapter.return_label if is_return else adapter.create_shipment)(
        ShipmentRequest(
            service=service_code, origin=origin_address, destination=destination_address, parcels=parsed_parcels,
            reference=reference, ship_at=ship_at or timezone.now(),
        ),
        actor=_actor_label(actor),
    )
    if len(created.tracking_numbers) != len(parsed_parcels) or created.price is None or created.delivery_date is None:
        raise CarrierAnswerIncomplete(
            f"Carrier {carrier_code} answered without a tracking number per parcel, a price or a delivery date; nothing was recorded."
        )
    with transaction.atomic():
        original = None
        if return_of_id is not None:
            # Voided meanwhile? Then the label just booked must not be used (logged, not recorded).
            original = Shipment.objects.select_for_update(no_key=True).get(pk=return_of_id)
            try:
                _returnable(original)
            except DomainError:
                logger.warning("Return %s of %s was booked but not recorded: %s", created.tracking_numbers, original.tracking_number, original.status)
                raise
        shipment = Shipment.objects.create(
            carrier=service.carrier, service=service, tracking_number=created.tracking_numbers[0], reference=reference,
            origin=origin_stored, destination=destination_stored, declared_value=declared,
            declared_currency=declared_currency if declared else "", declared_value_insured=insured,
            price=created.price, currency=created.currency or service.carrier.currency, quote=created.explanation or {},
            collection_date=created.collection_date or created.delivery_date, promised_delivery_date=created.delivery_date,
            created_by_label=_actor_label(actor), label_pdf=created.label_pdf or None,
            label_format=CARRIER_LABEL_FORMAT if created.label_pdf else "", direction=direction, return_of=original,
        )
        ShipmentParcel.objects.bulk_create(
            ShipmentParcel(
                shipment=shipment, sequence=index + 1, tracking_number=number, weight_kg=parcel.weight_kg,
                length_cm=parcel.length_cm, width_cm=parcel.width_cm, height_cm=parcel.height_cm,
            )
            for index, (parcel, number) in enumerate(zip(parsed_parcels, created.tracking_numbers, strict=True))
        )
        if is_return:
            _shipment_event(
                shipment, "return_label_created", return_of_id=return_of_id,
                return_of_tracking_number=original.tracking_number if original else None, tracking_numbers=list(created.tracking_numbers),
                sender=origin_stored, recipient=destination_stored, price=str(shipment.price), currency=shipment.currency,
                created_by=_actor_label(actor),
            )
    # Off (the demo's history), the label is rendered when it is first downloaded or printed.
    if not created.label_pdf and settings.OMS_LABELS_RENDER_ON_BOOKING:
        try:
            shipment = shipment_label_render(shipment_id=shipment.pk, actor=actor)
        except Exception:  # the booking stands; the label can be rendered again from the admin
            logger.exception("The label of shipment %s could not be rendered.", shipment.tracking_number)
    return shipment


def shipment_manual_create(
    *,
    carrier_name: str,
    tracking_number: str,
    origin: Mapping,
    destination: Mapping,
    parcels: Sequence[Mapping],
    reference: str = "",
    tracking_url: str = "",
    currency: str = "USD",
    promised_delivery_date: datetime.date | None = None,
    actor: Actor,
) -> Shipment:
    """Record a shipment booked outside the OMS with the merchant's own carrier: its name, the
    tracking number it gave and, optionally, where the parcel can be followed.

    Guarantees: the carrier is a carrier of the ``manual`` adapter (``own-<name>``, made on first
    use), which is never quoted, booked or polled; the shipment is recorded like a booked one
    (status ``label_created``, parcels with tracking numbers: the first parcel's is the number
    given, further ones get ``-2``, ``-3``...), so tracking events posted for it, voiding, late
    flags and manifests work as for any other; its price is 0 (unknown to the OMS) and its label
    stays with the carrier (``label_format`` manual). Without ``promised_delivery_date`` it is
    expected within ``MANUAL_PROMISE_DAYS`` of today. Refused with what to fix, recording
    nothing: a blank or unusable carrier name, a malformed or already recorded tracking number,
    a tracking URL that is not http(s), malformed addresses or parcels.
    """
    name = " ".join(str(carrier_name or "").split())
    code = "own-" + slugify(name)[:26].strip("-")
    if len(name) < 2 or len(name) > 100 or code == "own-":
        raise InvalidInput(
            "Name the carrier that took the parcel (2 to 100 characters with letters or digits, e.g. PostNL).",
            fields={"carrier_name": ["Required: the carrier's name."]},
        )
    number = "".join(str(tracking_number or "").split()).upper()
    if not _MANUAL_TRACKING.match(number):
        raise InvalidInput(
            "Give the tracking number the carrier issued: 4 to 36 letters, digits or dashes.",
            fields={"tracking_number": ["4 to 36 letters, digits or dashes."]},
        )
    url = str(tracking_url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise InvalidInput("The tracking URL must be a web address (https://...).", fields={"tracking_url": ["Not an http(s) address."]}) from None
        if len(url) > 500:
            raise InvalidInput("The tracking URL is at most 500 characters.", fields={"tracking_url": ["Too long."]})
    if promised_delivery_date is not None and (not isinstance(promised_delivery_date, datetime.date) or isinstance(promised_delivery_date, datetime.datetime)):
        raise InvalidInput("promised_delivery_date must be a date.", fields={"promised_delivery_date": ["Not a date."]})
    origin_stored, _ = shipment_address_parse(origin, "origin")
    destination_stored, _ = shipment_address_parse(destination, "destination")
    parsed_parcels = shipment_parcels_parse(parcels)
    reference = str(reference or "")
    if len(reference) > 64:
        raise InvalidInput("reference is at most 64 characters.", fields={"reference": ["too long"]})
    numbers = [number] + [f"{number}-{index}" for index in range(2, len(parsed_parcels) + 1)]
    taken = ShipmentParcel.objects.filter(tracking_number__in=numbers).values_list("tracking_number", "shipment__reference").first()
    if taken is None:
        taken = Shipment.objects.filter(tracking_number=number).values_list("tracking_number", "reference").first()
    if taken is not None:
        raise _tracking_number_taken(taken[0], taken[1])
    today = timezone.localdate()
    try:
        with transaction.atomic():
            carrier, _ = Carrier.objects.get_or_create(code=code, defaults={"name": name, "adapter": Carrier.Adapter.MANUAL, "currency": currency or "USD"})
            if carrier.adapter != Carrier.Adapter.MANUAL:
                raise InvalidInput(
                    f"{carrier.name} ({carrier.code}) is a carrier the OMS books with; book it through the OMS instead of by hand.",
                    fields={"carrier_name": ["An integrated carrier."]},
                )
            service, _ = ServiceLevel.objects.get_or_create(carrier=carrier, code=MANUAL_SERVICE_CODE, defaults={"name": "Booked outside the OMS"})
            shipment = Shipment.objects.create(
                carrier=carrier, service=service, tracking_number=number, reference=reference, origin=origin_stored,
                destination=destination_stored, price=ZERO, currency=currency or carrier.currency,
                quote={"manual": True, "note": f"Booked with {carrier.name} outside the OMS; tracking {number} entered by {_actor_label(actor)}."},
                collection_date=today, promised_delivery_date=promised_delivery_date or today + datetime.timedelta(days=MANUAL_PROMISE_DAYS),
                created_by_label=_actor_label(actor), label_format=MANUAL_LABEL_FORMAT, tracking_url=url,
            )
            ShipmentParcel.objects.bulk_create(
                ShipmentParcel(
                    shipment=shipment, sequence=index + 1, tracking_number=parcel_number, weight_kg=parcel.weight_kg,
                    length_cm=parcel.length_cm, width_cm=parcel.width_cm, height_cm=parcel.height_cm,
                )
                for index, (parcel, parcel_number) in enumerate(zip(parsed_parcels, numbers, strict=True))
            )
    except IntegrityError:
        # Recorded by someone else meanwhile (the unique tracking numbers caught it).
        raise _tracking_number_taken(number, "") from None
    return Shipment.objects.select_related("carrier", "service").get(pk=shipment.pk)


def _tracking_number_taken(number: str, reference: str) -> InvalidInput:
    of = f" (for {reference})" if reference else ""
    return InvalidInput(
        f"Tracking number {number} is already recorded{of}; check the number the carrier gave.",
        fields={"tracking_number": ["Already recorded."]},
    )


def _no_label_of_ours(shipment: Shipment) -> InvalidTransition:
    return InvalidTransition(
        f"Shipment {shipment.tracking_number} was booked outside the OMS: its label comes from the carrier's own system, not from the OMS."
    )


def shipment_label(*, shipment_id: int, actor: Actor) -> Shipment:
    """The shipment with its label to hand out: the stored one (the OMS's 4x6 PDF or the label
    the carrier supplied), rendered and stored first when there is none. Refused for a voided
    shipment (its label must not be used); reads only the columns a download needs."""
    shipment = Shipment.objects.filter(pk=shipment_id).only("pk", "status", "tracking_number", "label_pdf", "label_format").first()
    if shipment is None:
        raise NotFound(f"No shipment with id {shipment_id}.")
    if shipment.status == ShipmentStatus.VOIDED:
        raise InvalidTransition(f"Shipment {shipment.tracking_number} is voided: its label must not be used.")
    if shipment.label_format == MANUAL_LABEL_FORMAT:
        raise _no_label_of_ours(shipment)
    if not shipment.label_pdf:
        shipment = shipment_label_render(shipment_id=shipment.pk, actor=actor)
    return shipment


def shipment_label_render(*, shipment_id: int, actor: Actor) -> Shipment:
    """Render the shipment's 4x6 label PDF (a page per parcel) and store it in ``label_pdf``.

    Guarantees: the PDF is rendered without opening a transaction or locking a row (a render
    takes from a few hundred milliseconds to seconds); then it is stored with one ``UPDATE``.
    A voided shipment is refused (its label must not be used) and a label the carrier supplied
    is never replaced.
    """
    shipment = Shipment.objects.select_related("carrier", "service", "return_of").prefetch_related("parcels").filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    if shipment.status == ShipmentStatus.VOIDED:
        raise InvalidTransition(f"Shipment {shipment.tracking_number} is voided: its label must not be printed.")
    if shipment.label_format == MANUAL_LABEL_FORMAT:
        raise _no_label_of_ours(shipment)
    if shipment.label_format == CARRIER_LABEL_FORMAT and shipment.label_pdf:
        return shipment
    content = shipments_labels_pdf([shipment])
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=content, label_format=LABEL_FORMAT, updated_at=timezone.now())
    shipment.label_pdf, shipment.label_format = content, LABEL_FORMAT
    return shipment


class CarrierAnswerIncomplete(DomainError):
    code = "carrier_answer_incomplete"
    status_code = 502


def _actor_label(actor: Actor) -> str:
    return actor_fields(actor)["actor_label"]


def _locked(shipment_id: int) -> Shipment:
    shipment = Shipment.objects.select_for_update(no_key=True).select_related("carrier", "service").filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(f"No shipment {shipment_id}.")
    return shipment


def _shipment_event(shipment: Shipment, name: str, **extra) -> None:
    """A domain event about the shipment (the caller holds its row lock, which the numbering needs)."""
    event_record(
        f"shipment.{name}",
        {
            "shipment_id": shipment.pk, "tracking_number": shipment.tracking_number, "reference": shipment.reference,
            "carrier": shipment.carrier.code, "service": shipment.service.code, "status": shipment.status,
            "direction": shipment.direction, **extra,
        },
        stream=f"shipment:{shipment.pk}",
    )


def shipment_void(*, shipment_id: int, actor: Actor) -> Shipment:
    """Void a shipment that the carrier has not scanned yet: its label must not be used.

    Guarantees: only a ``label_created`` shipment without a scan and not on a closed manifest is
    voided (otherwise the error says why: the parcel is with the carrier, ask for a return instead); the carrier's adapter
    cancels it first and a refusal there changes nothing; records ``shipment.voided``.
    Voiding a voided shipment again changes nothing.
    """
    from .carriers import carrier_adapter

    with transaction.atomic():
        shipment = _locked(shipment_id)
        if shipment.status == ShipmentStatus.VOIDED:
            return shipment
        if shipment.last_scan_at is not None or shipment.status != ShipmentStatus.LABEL_CREATED:
            when = f" (first scan {shipment.shipped_at:%Y-%m-%d %H:%M})" if shipment.shipped_at else ""
            raise InvalidTransition(
                f"Shipment {shipment.tracking_number} is {shipment.get_status_display().lower()}{when}: the carrier has it, so it "
                "can no longer be voided; ask the carrier to return it instead."
            )
        if shipment.manifest_id is not None:
            raise InvalidTransition(
                f"Shipment {shipment.tracking_number} is on manifest {shipment.manifest.number}, which was handed to the carrier: "
                "it can no longer be voided; ask the carrier to return it instead."
            )
        if not shipment.is_manual:  # booked outside the OMS: the merchant cancels it with the carrier
            carrier_adapter(shipment.carrier.code).cancel(shipment.tracking_number, actor=_actor_label(actor))
        shipment.void()
        shipment.save(update_fields=["status", "voided_at", "updated_at"])
        _shipment_event(shipment, "voided", voided_by=_actor_label(actor))
    return shipment


# --- tracking events ---------------------------------------------------------------------------

MAX_TRACKING_EVENTS = 1000
# Scans that carry no news of the parcel itself (an electronic notice, the label being made).
NOT_A_SCAN = {TrackingCode.LABEL_CREATED, TrackingCode.INFO}
TRACKING_EVENT_FIELDS = ("event_id", "tracking_number", "code", "status_text", "location", "occurred_at")


@dataclass(frozen=True)
class IncomingTrackingEvent:
    event_id: str
    tracking_number: str
    code: str
    status_text: str
    location: str
    occurred_at: datetime.datetime
    raw: dict


@dataclass(frozen=True)
class TrackingEventResult:
    event_id: str
    tracking_number: str
    outcome: str  # recorded | duplicate | unknown_tracking_number
    status: str  # the shipment's status after the whole batch ("" when unknown)
    message: str


def _text(value, path: str, problems: dict, *, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        problems[path] = ["must be a string"]
        return ""
    value = str(value).strip()
    if required and not value:
        problems[path] = ["This field is required."]
    elif required and len(value) > limit:
        problems[path] = [f"at most {limit} characters"]
    return value[:limit]


def tracking_events_parse(events) -> list[IncomingTrackingEvent]:
    """Check a carrier's events (a list of objects with ``event_id``, ``tracking_number``,
    ``code``, ``status_text``, ``location``, ``occurred_at``); every problem is reported at
    once, by path (``[2].occurred_at``)."""
    if not isinstance(events, list):
        raise InvalidInput("Send a JSON list of tracking events.", fields={"body": ["must be a list"]})
    if len(events) > MAX_TRACKING_EVENTS:
        raise InvalidInput(f"Send at most {MAX_TRACKING_EVENTS} events at once.", fields={"body": [f"{len(events)} events"]})
    parsed, problems = [], {}
    codes = ", ".join(TrackingCode.values)
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            problems[f"[{index}]"] = ["must be an object"]
            continue
        event_id = _text(event.get("event_id"), f"[{index}].event_id", problems, required=True, limit=100)
        number = _text(event.get("tracking_number"), f"[{index}].tracking_number", problems, required=True, limit=40)
        code = _text(event.get("code"), f"[{index}].code", problems, required=True, limit=30)
        if code and code not in TrackingCode.values:
            problems[f"[{index}].code"] = [f"{code!r} is not a tracking code; use one of {codes}."]
        occurred_at = event.get("occurred_at")
        moment = parse_datetime(occurred_at) if isinstance(occurred_at, str) else None
        if moment is None or timezone.is_naive(moment):
            problems[f"[{index}].occurred_at"] = ["an ISO 8601 time with its offset, e.g. 2026-03-02T14:05:00+01:00"]
        parsed.append(
            IncomingTrackingEvent(
                event_id=event_id, tracking_number=number.upper(), code=code,
                status_text=_text(event.get("status_text"), f"[{index}].status_text", problems, required=False, limit=255),
                location=_text(event.get("location"), f"[{index}].location", problems, required=False, limit=255),
                occurred_at=moment, raw=dict(event),
            )
        )
    if problems:
        raise InvalidInput("Some tracking events are malformed; nothing was recorded.", fields=problems)
    return parsed


def _lifecycle() -> dict[str, list[tuple[str, str]]]:
    """status -> [(next status, transition method)], read from the model's FSM (voiding is ours, not a carrier's)."""
    edges: dict[str, list[tuple[str, str]]] = {}
    for move in Shipment._meta.get_field("status").get_all_transitions(Shipment):
        if move.target != ShipmentStatus.VOIDED:
            edges.setdefault(move.source, []).append((move.target, move.name))
    return edges


# A status a carrier skipped may be passed through only along the main path: a parcel that
# reports "delivered" went through transit, never (as far as we know) through an exception.
PASSABLE = {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY}


def _path(edges, start: str, goal: str) -> list[tuple[str, str]] | None:
    """The shortest walk through the lifecycle from ``start`` to ``goal`` (carriers skip scans)."""
    frontier, seen = [(start, [])], {start}
    while frontier:
        following = []
        for status, walk in frontier:
            for target, method in edges.get(status, ()):
                if target == goal:
                    return walk + [(target, method)]
                if target not in seen and target in PASSABLE:
                    seen.add(target)
                    following.append((target, walk + [(target, method)]))
        frontier = following
    return None


def _tracking_apply(shipment: Shipment, event: IncomingTrackingEvent, parcel: ShipmentParcel, edges) -> tuple[str, set[str]]:
    """Apply one new event to the locked shipment: the outcome in words and the fields changed."""
    changed: set[str] = set()
    at = event.occurred_at
    if event.code not in NOT_A_SCAN:
        if shipment.last_scan_at is None or at > shipment.last_scan_at:
            shipment.last_scan_at = at
            changed.add("last_scan_at")
        if shipment.shipped_at is None or at < shipment.shipped_at:
            shipment.shipped_at = at
            changed.add("shipped_at")
    target = STATUS_CODES.get(event.code)
    if target is None and event.code not in NOT_A_SCAN and shipment.status == ShipmentStatus.LABEL_CREATED:
        target = ShipmentStatus.IN_TRANSIT  # any scan means the carrier has the parcel
    current = shipment.get_status_display().lower()
    if target == ShipmentStatus.DELIVERED:
        parcel.delivered_at = parcel.delivered_at or at
        parcel.save(update_fields=["delivered_at"])
        waiting = [p for p in shipment.parcels.all() if p.delivered_at is None]
        if waiting:
            return f"parcel {parcel.sequence} delivered; the shipment is delivered when its last parcel is", changed
    if target is None:
        return f"scan recorded; status stays {current}", changed
    if target == shipment.status:
        return f"already {current}", changed
    if shipment.is_final:
        return f"the shipment is already {current}; status unchanged", changed
    if shipment.status_changed_at is not None and at < shipment.status_changed_at:
        return f"older than the {current} event of {shipment.status_changed_at:%Y-%m-%d %H:%M}; kept in the timeline, status unchanged", changed
    walk = _path(edges, shipment.status, target)
    if walk is None:
        return f"a {current} shipment cannot become {ShipmentStatus(target).label.lower()}; status unchanged", changed
    previous = shipment.status
    for status, method in walk:
        getattr(shipment, method)()
        _shipment_event(
            shipment, status, previous_status=previous, occurred_at=at.isoformat(), event_id=event.event_id,
            location=event.location, status_text=event.status_text, passed_through=status != target,
        )
        previous = status
    shipment.status_changed_at = at
    changed |= {"status", "status_changed_at"}
    if target == ShipmentStatus.DELIVERED:
        shipment.delivered_at = at
        changed.add("delivered_at")
    skipped = f" (through {', '.join(ShipmentStatus(s).label.lower() for s, _ in walk[:-1])})" if len(walk) > 1 else ""
    return f"now {ShipmentStatus(target).label.lower()}{skipped}", changed


def tracking_events_record(*, carrier_code: str, events, actor: Actor) -> list[TrackingEventResult]:
    """Take in a carrier's tracking events (see :func:`tracking_events_parse`); one result per event.

    Guarantees: idempotent (an event id already recorded for its shipment changes nothing and
    answers ``duplicate``); every new event is kept in the shipment's timeline, and events move
    the status only forward in time: each shipment's new events are applied oldest first, and
    an event older than the one that set the current status never moves it back. A status a
    carrier skipped is passed through (each step recorded as a ``shipment.<status>`` domain
    event, ``passed_through`` true). A tracking number this carrier has no shipment for is
    answered ``unknown_tracking_number``, without failing the others. One transaction, the
    shipments locked in primary-key order.
    """
    incoming = tracking_events_parse(events)
    if not Carrier.objects.filter(code=carrier_code).exists():
        raise NotFound(f"No carrier {carrier_code!r}.")
    edges = _lifecycle()
    with transaction.atomic():
        numbers = {event.tracking_number for event in incoming}
        parcel_ids = dict(
            ShipmentParcel.objects.filter(tracking_number__in=numbers, shipment__carrier__code=carrier_code).values_list("tracking_number", "shipment_id")
        )
        shipments = {
            s.pk: s
            for s in Shipment.objects.select_for_update(no_key=True).select_related("carrier", "service").prefetch_related("parcels")
            .filter(pk__in=set(parcel_ids.values())).order_by("pk")
        }
        seen = set(
            TrackingEvent.objects.filter(shipment_id__in=shipments, carrier_event_id__in={e.event_id for e in incoming})
            .values_list("shipment_id", "carrier_event_id")
        )
        verdicts: list[tuple[IncomingTrackingEvent, int | None, str]] = []
        fresh: dict[int, list[tuple[int, IncomingTrackingEvent]]] = {}
        for index, event in enumerate(incoming):
            shipment_id = parcel_ids.get(event.tracking_number)
            if shipment_id is None:
                verdicts.append((event, None, "unknown_tracking_number"))
            elif (shipment_id, event.event_id) in seen:
                verdicts.append((event, shipment_id, "duplicate"))
            else:
                seen.add((shipment_id, event.event_id))
                verdicts.append((event, shipment_id, "recorded"))
                fresh.setdefault(shipment_id, []).append((index, event))
        outcomes: dict[int, str] = {}
        rows = []
        for shipment_id in sorted(fresh):
            shipment = shipments[shipment_id]
            parcels = {p.tracking_number: p for p in shipment.parcels.all()}
            changed: set[str] = set()
            for index, event in sorted(fresh[shipment_id], key=lambda pair: (pair[1].occurred_at, pair[0])):
                outcome, fields = _tracking_apply(shipment, event, parcels[event.tracking_number], edges)
                changed |= fields
                outcomes[index] = outcome
                rows.append(
                    TrackingEvent(
                        shipment=shipment, carrier_event_id=event.event_id, tracking_number=event.tracking_number, code=event.code,
                        status_text=event.status_text, location=event.location, occurred_at=event.occurred_at, outcome=outcome[:255],
                        raw=event.raw,
                    )
                )
            if changed:
                shipment.save(update_fields=sorted(changed | {"updated_at"}))
        TrackingEvent.objects.bulk_create(rows)
    results = []
    for index, (event, shipment_id, verdict) in enumerate(verdicts):
        shipment = shipments.get(shipment_id)
        if verdict == "unknown_tracking_number":
            message = f"Carrier {carrier_code} has no shipment with tracking number {event.tracking_number}; the event was not recorded."
        elif verdict == "duplicate":
            message = "Already recorded; nothing changed."
        else:
            message = outcomes[index]
        results.append(TrackingEventResult(event.event_id, event.tracking_number, verdict, shipment.status if shipment else "", message))
    return results


# --- late shipments ----------------------------------------------------------------------------


def _working_day(carrier: Carrier, day: datetime.date) -> bool:
    return str(day.isoweekday()) in carrier.working_days and day.isoformat() not in {str(h) for h in carrier.holidays or ()}


def _no_scan_since(carrier: Carrier, today: datetime.date, days: int) -> datetime.date:
    """The day such that a parcel last scanned before it has gone ``days`` full working days
    (up to yesterday) without a scan."""
    day, counted = today, 0
    for _ in range(800):  # a calendar with no working day at all stops here
        day -= datetime.timedelta(days=1)
        if _working_day(carrier, day):
            counted += 1
            if counted >= days:
                break
    return day


# Carriers whose adapter only reports what was posted to us: polling them would read our own rows.
PUSH_ONLY_ADAPTERS = frozenset({Carrier.Adapter.TABLE_RATE})
# Not polled: those, and the merchant's own carriers (manual shipments), which have no adapter to ask.
NOT_POLLED_ADAPTERS = PUSH_ONLY_ADAPTERS | {Carrier.Adapter.MANUAL}


def shipments_track_poll(*, actor: Actor, limit: int = 200) -> dict[str, int]:
    """Ask the carriers for news of open shipments (for carriers that do not post their events,
    or to catch a post that was lost) and record it as if posted: same checks, same dedupe.

    The least recently scanned open shipments go first, ``limit`` per run. Each parcel is tracked
    through its carrier's adapter outside any transaction; a carrier that fails for one shipment
    (unreachable, no data yet) is logged and that shipment waits for the next run. Returns counts:
    ``polled`` shipments, ``recorded`` new events, ``failed`` shipments."""
    from .carriers import carrier_adapter

    shipments = (
        Shipment.objects.filter(status__in=OPEN_STATUSES, carrier__active=True)
        .exclude(carrier__adapter__in=NOT_POLLED_ADAPTERS)
        .select_related("carrier").prefetch_related("parcels")
        .order_by(F("last_scan_at").asc(nulls_first=True), "pk")[:limit]
    )
    counts = {"polled": 0, "recorded": 0, "failed": 0}
    adapters: dict[str, object] = {}  # one per carrier for the run (each lookup checks the rate card's version)
    for shipment in shipments:
        counts["polled"] += 1
        try:
            code = shipment.carrier.code
            adapter = adapters.get(code) or adapters.setdefault(code, carrier_adapter(code))
            events = []
            for parcel in shipment.parcels.all():
                for event in adapter.track(parcel.tracking_number):
                    at = event.at.isoformat()
                    events.append({
                        # A carrier without event ids: the event is the same when number, code and time are.
                        "event_id": event.event_id or f"{event.tracking_number}:{event.status}:{at}"[:100],
                        "tracking_number": event.tracking_number or parcel.tracking_number,
                        "code": event.status, "status_text": event.detail[:255], "location": event.location[:255],
                        "occurred_at": at,
                    })
            if events:
                results = tracking_events_record(carrier_code=shipment.carrier.code, events=events, actor=actor)
                counts["recorded"] += sum(1 for result in results if result.outcome == "recorded")
        except DomainError as error:
            counts["failed"] += 1
            logger.warning("Tracking poll of %s (%s) failed: %s", shipment.tracking_number, shipment.carrier.code, error.message)
    return counts


def shipments_flag_late(*, now: datetime.datetime | None = None, actor: Actor) -> int:
    """Flag open shipments that are late; returns how many flags were raised.

    Two reasons, each flagged at most once per shipment: ``past_promised_date`` (the promised
    delivery date has passed in the carrier's time zone and it is not delivered) and ``no_scan``
    (no scan for ``OMS_SHIPPING_NO_SCAN_DAYS`` full working days of the carrier; a shipment never
    scanned counts from its collection date). Delivered, returned and voided shipments are never
    flagged. A return label is the customer's to use when they choose (or never): its quoted date
    is no promise, so a return is flagged only once the carrier has it and then goes silent
    (``no_scan`` after a first scan). Each flag sets ``late`` and its reason and records ``shipment.late``. Safe to run
    twice, also at the same time (rows are locked in primary-key order and re-checked).
    """
    now = now or timezone.now()
    days = max(1, int(getattr(settings, "OMS_SHIPPING_NO_SCAN_DAYS", 3)))
    flagged = 0
    with transaction.atomic():
        carriers = Carrier.objects.filter(pk__in=Shipment.objects.filter(status__in=OPEN_STATUSES).values("carrier_id"))
        wanted = Q()
        context: dict[int, tuple[datetime.date, datetime.date]] = {}
        for carrier in carriers:
            zone = zoneinfo.ZoneInfo(carrier.time_zone)
            today = now.astimezone(zone).date()
            since = _no_scan_since(carrier, today, days)
            since_start = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
            context[carrier.pk] = (today, since)
            past_promise = Q(late_promise_flagged_at__isnull=True, promised_delivery_date__lt=today, direction=ShipmentDirection.OUTBOUND)
            never_scanned = Q(last_scan_at__isnull=True, collection_date__lt=since, direction=ShipmentDirection.OUTBOUND)
            if carrier.adapter == Carrier.Adapter.MANUAL:
                never_scanned = Q(pk__in=[])  # no carrier feed: silence says nothing until a scan was posted once
            silent = Q(late_no_scan_flagged_at__isnull=True) & (Q(last_scan_at__lt=since_start) | never_scanned)
            wanted |= Q(carrier_id=carrier.pk) & (past_promise | silent)
        if not context:
            return 0
        late = Shipment.objects.select_for_update(no_key=True).filter(wanted, status__in=OPEN_STATUSES).select_related("carrier", "service").order_by("pk")
        for shipment in late:
            today, since = context[shipment.carrier_id]
            reasons = []
            if shipment.late_promise_flagged_at is None and not shipment.is_return and shipment.promised_delivery_date < today:
                shipment.late_promise_flagged_at = now
                reasons.append(("past_promised_date", f"not delivered by the promised {shipment.promised_delivery_date:%a %Y-%m-%d}"))
            last = shipment.last_scan_at.astimezone(zoneinfo.ZoneInfo(shipment.carrier.time_zone)).date() if shipment.last_scan_at else None
            expects_scans = last or not (shipment.is_return or shipment.is_manual)
            if shipment.late_no_scan_flagged_at is None and expects_scans and (last or shipment.collection_date) < since:
                shipment.late_no_scan_flagged_at = now
                reasons.append(("no_scan", f"no scan for {days} working days (last: {last or 'never scanned'})"))
            if not reasons:
                continue
            shipment.late = True
            shipment.late_reason = "; ".join([shipment.late_reason, *(text for _, text in reasons)]).strip("; ")[:255]
            shipment.save(update_fields=["late", "late_reason", "late_promise_flagged_at", "late_no_scan_flagged_at", "updated_at"])
            for code, text in reasons:
                _shipment_event(
                    shipment, "late", reason=code, detail=text, promised_delivery_date=shipment.promised_delivery_date.isoformat(),
                    last_scan_at=shipment.last_scan_at.isoformat() if shipment.last_scan_at else None, flagged_by=_actor_label(actor),
                )
                flagged += 1
    return flagged


# ---------------------------------------------------------------------------- manifests


class NothingToManifest(DomainError):
    code = "nothing_to_manifest"
    status_code = 409


def manifest_close(*, carrier_code: str, day: datetime.date, actor: Actor) -> Manifest:
    """Close the carrier's manifest for ``day``: every outbound shipment it collects that day
    (collection date), not voided and on no manifest yet, goes on one new manifest. Returns are
    never on it: the customer hands them over, not the merchant's dock.

    Guarantees: manifests of one carrier close one at a time (the carrier row is locked), and the
    shipments are locked in primary-key order, so a shipment lands on one manifest only. A day
    with nothing left to hand over is refused with that reason and records nothing. The number
    is ``CARRIER-YYYYMMDD-n`` (the n-th manifest of that carrier that day). Records
    ``manifest.closed``.
    """
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        raise InvalidInput(f"day must be a date (YYYY-MM-DD), not {day!r}.", fields={"day": ["not a date"]})
    with transaction.atomic():
        carrier = Carrier.objects.select_for_update(no_key=True).filter(code=carrier_code).first()
        if carrier is None:
            raise NotFound(f"No carrier {carrier_code!r}.")
        shipments = list(
            Shipment.objects.select_for_update(no_key=True)
            .filter(carrier=carrier, collection_date=day, manifest__isnull=True, direction=ShipmentDirection.OUTBOUND)
            .exclude(status=ShipmentStatus.VOIDED)
            .order_by("pk")
        )
        if not shipments:
            raise NothingToManifest(
                f"{carrier.name} has no shipments collected on {day:%Y-%m-%d} that are not voided and not on a manifest already "
                "(returns go on no manifest: the customer hands them over)."
            )
        sequence = Manifest.objects.filter(carrier=carrier, date=day).count() + 1
        manifest = Manifest.objects.create(
            number=f"{carrier.code.upper()}-{day:%Y%m%d}-{sequence}", carrier=carrier, date=day, closed_by_label=_actor_label(actor),
        )
        Shipment.objects.filter(pk__in=[shipment.pk for shipment in shipments]).update(manifest=manifest, updated_at=timezone.now())
        event_record(
            "manifest.closed",
            {
                "manifest_id": manifest.pk, "number": manifest.number, "carrier": carrier.code, "date": day.isoformat(),
                "tracking_numbers": [shipment.tracking_number for shipment in shipments], "closed_by": manifest.closed_by_label,
            },
            stream=f"manifest:{manifest.pk}",
        )
    return manifest
