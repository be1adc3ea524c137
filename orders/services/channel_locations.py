"""A Shopify channel's locations and the OMS locations whose stock each shows (stock out to channels).

The OMS locations mapped to a platform location must be ones the channel's stock rule sells from:
a location outside the rule would publish stock the channel's orders cannot reserve.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.models import Location
from inventory.selectors import channel_sells_from
from oms.actors import Actor
from oms.config_audit import config_change_record, config_values
from oms.errors import DomainError, InvalidInput, NotFound
from oms.models import ConfigChange

from ..models import Channel, ChannelLocationMap
from .stock_sync import channel_stock_resync_request


def channel_location_map_refusal(*, channel: Channel, location_ids) -> str:
    """Why these OMS locations cannot feed a platform location of the channel ("" when they may)."""
    location_ids = list(location_ids)
    if not location_ids:
        return "Choose at least one OMS location whose stock this Shopify location shows."
    _allowed, refused = channel_sells_from(channel.code, location_ids)
    if not refused:
        return ""
    codes = ", ".join(location.code for location in refused)
    return (
        f"The stock rule of channel {channel.code} does not sell from {codes}: choose among the locations it sells from, "
        "or add them to the channel's stock rule first (Inventory → Channel stock rules; inactive locations never sell)."
    )


def channel_location_map_save(
    *, channel: str, platform_location_id: str, name: str, location_codes: list[str], is_active: bool = True, actor: Actor,
) -> ChannelLocationMap:
    """Map a Shopify location of the channel to the OMS locations whose stock it shows (creating
    the map, or changing the one for that Shopify location). Refuses, changing nothing, a channel
    that is not Shopify, a malformed location id and OMS locations the channel's rule does not sell
    from. Records the change in the configuration audit trail and, when the channel pushes stock,
    queues a resync so every platform location gets its figure."""
    found = Channel.objects.filter(code=channel).first()
    if found is None:
        raise NotFound(f"There is no channel {channel}.")
    locations = list(Location.objects.filter(code__in=location_codes).order_by("pk"))
    missing = sorted(set(location_codes) - {location.code for location in locations})
    if missing:
        raise InvalidInput(f"There is no OMS location {', '.join(missing)}.", fields={"locations": f"Unknown: {', '.join(missing)}."})
    refusal = channel_location_map_refusal(channel=found, location_ids=[location.pk for location in locations])
    if refusal:
        raise InvalidInput(refusal, code="location_not_allowed", fields={"locations": refusal})
    try:
        return _map_write(found, platform_location_id=platform_location_id, name=name, locations=locations, is_active=is_active, actor=actor)
    except IntegrityError:  # the same Shopify location was mapped by someone else meanwhile
        raise DomainError(
            f"Shopify location {platform_location_id} of channel {channel} was mapped by someone else meanwhile; look at it and save again.",
            code="location_map_conflict",
        ) from None


def _map_write(found: Channel, *, platform_location_id: str, name: str, locations: list[Location], is_active: bool, actor: Actor):
    with transaction.atomic():
        candidate = ChannelLocationMap(channel=found, platform_location_id=platform_location_id, name=name, is_active=is_active)
        try:
            candidate.full_clean(validate_unique=False, validate_constraints=False)  # the same Shopify location is updated below
        except ValidationError as error:
            messages = {field: " ".join(errors) for field, errors in error.message_dict.items()}
            raise InvalidInput(" ".join(messages.values()), fields=messages) from None
        current = ChannelLocationMap.objects.select_for_update().filter(
            channel=found, platform_location_id=candidate.platform_location_id,
        ).first()
        before = {**config_values(current), "locations": sorted(current.locations.values_list("pk", flat=True))} if current else {}
        location_map = current or candidate
        location_map.name, location_map.is_active = name, is_active
        location_map.save()
        location_map.locations.set(locations)
        after = {**config_values(location_map), "locations": [location.pk for location in locations]}
        changes = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
        config_change_record(
            instance=location_map, action=ConfigChange.Action.UPDATE if current else ConfigChange.Action.CREATE, changes=changes, actor=actor,
        )
        if changes and hasattr(found, "connection") and found.connection.stock_push_enabled:
            channel_stock_resync_request(channel=found.code, actor=actor)
    return location_map


__all__ = ["channel_location_map_refusal", "channel_location_map_save"]
