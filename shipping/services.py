"""Writes of the shipping app. For now: issuing tracking numbers."""

from django.db import connection, transaction

from oms.errors import DomainError, InvalidInput, NotFound

from .models import Carrier, TrackingSerial
from .s10 import s10_format


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
