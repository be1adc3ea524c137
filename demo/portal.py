"""What the demo's customers would see: each selling channel's branding on messages and portal
pages. The demo writes to no customer (its seeding mutes notifications: the customers are made
up); the notification log's preview in the console shows every message with it."""

from orders.models import Channel
from portal.models import ChannelBranding

from .report import DemoReport

# Per channel code: shop name, primary and accent colours, sender, reply-to, footer.
BRANDING = {
    "web": ("Larkspur & Co.", "#1f3a5f", "#c2410c", "orders@larkspur.example", "care@larkspur.example",
            "Larkspur & Co. · 300 Raritan Center Pkwy · Edison, NJ 08837 · USA"),
    "outlet": ("Larkspur Outlet", "#374151", "#b45309", "outlet@larkspur.example", "care@larkspur.example",
               "Larkspur Outlet · second-season pieces at outlet prices"),
    "b2b": ("Larkspur Trade", "#14532d", "#0f766e", "trade@larkspur.example", "accounts@larkspur.example",
            "Larkspur Trade · accounts on terms · VAT registered"),
}


def branding_seed(report: DemoReport) -> None:
    """Branding of the channels customers buy from directly (idempotent, by channel)."""
    channels = dict(Channel.objects.filter(code__in=list(BRANDING)).values_list("code", "pk"))
    for code, (name, primary, accent, sender, reply_to, footer) in BRANDING.items():
        if code not in channels:
            continue
        _, created = ChannelBranding.objects.get_or_create(channel_id=channels[code], defaults={
            "shop_name": name, "primary_colour": primary, "accent_colour": accent, "sender_email": sender,
            "sender_name": name, "reply_to": reply_to, "footer_text": footer,
        })
        report.created["channel brandings"] += created
