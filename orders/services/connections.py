"""Channel connections: checking that the OMS can call the platform back."""

import logging

from django.db import transaction
from django.utils import timezone

from oms.errors import NotFound

from ..models import ChannelConnection
from ..platforms import PlatformError, RetryPolicy, client_for, connection_check

logger = logging.getLogger(__name__)

# A person is waiting in front of the page: one try, and no sleeping through a long Retry-After.
CHECK_POLICY = RetryPolicy(attempts=1, longest_wait=0)


def channel_connection_test(*, channel_id: int, actor, **client_options) -> ChannelConnection:
    """Make one cheap authenticated call to the channel's platform and record the outcome (time,
    success, what was said) on the connection. The call runs outside any transaction; a platform
    failure is an outcome, not an error. Raises ``NotFound`` when the channel has no connection."""
    connection = ChannelConnection.objects.select_related("channel").filter(channel_id=channel_id).first()
    if connection is None:
        raise NotFound("This channel has no platform connection yet: fill in the connection settings and save first.")
    try:
        message, ok = connection_check(client_for(connection, policy=CHECK_POLICY, **client_options)), True
    except PlatformError as error:
        message, ok = error.message, False
    with transaction.atomic():
        connection.last_tested_at = timezone.now()
        connection.last_test_ok = ok
        connection.last_test_message = message[:500]
        connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_message"])
    logger.info("Connection test of channel %s by %s: %s", connection.channel.code, actor, "ok" if ok else "failed")
    return connection
