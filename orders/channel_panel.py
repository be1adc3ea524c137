"""The order page's "Channel" panel: what was passed on to the shop the order came from (each
shipment, delivery and cancellation, refused ones with the platform's reason) and cancellations
made there after the OMS shipped that wait for a person."""

from django.http import HttpRequest
from django.urls import reverse

from .admin_panels import OrderPagePanel
from .models import ChannelFulfillmentSync, Order, PlatformCancellation


def order_channel_panel(request: HttpRequest, order: Order) -> OrderPagePanel | None:
    """What was passed on to the order's channel (and what the channel did that waits for a
    person); None when there is nothing. Two queries."""
    syncs = list(ChannelFulfillmentSync.objects.filter(order=order).order_by("pk"))
    cancellations = list(PlatformCancellation.objects.filter(order=order).order_by("pk"))
    if not syncs and not cancellations:
        return None
    may_retry = request.user.has_perm("orders.retry_channelfulfillmentsync")
    may_handle = request.user.has_perm("orders.handle_platformcancellation")
    return OrderPagePanel(
        title="Channel", template="admin/orders/order/channel_panel.html",
        context={
            "channel_syncs": syncs, "platform_cancellations": cancellations,
            "sync_list_url": f"{reverse('admin:orders_channelfulfillmentsync_changelist')}?q={order.number}" if may_retry else "",
            "may_handle": may_handle,
        },
    )
