"""What a message says: its context (read when it is sent), the templates, branding and language.

The default templates are ``portal/email/<kind>.html.j2`` and ``.txt.j2`` (Jinja2, see
:mod:`.templating`; SMS: ``portal/sms/<kind>.txt``, Django templates). A channel may override the
subject and either body per kind and language (:class:`~portal.models.NotificationTemplateOverride`,
the same syntax, sandboxed); the override is rendered inside the same branded frame, so the
preferences link and the "always sent" line are never lost.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

import jinja2

from django.conf import settings
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy as _
from markupsafe import Markup

from ..branding import logo_absolute_url
from ..links import preferences_url, tracking_url
from ..models import ALWAYS_SENT, ChannelBranding, Notification, NotificationKind, NotificationTemplateOverride
from .templating import override_templates, template_render

SUBJECTS = {
    NotificationKind.ORDER_CONFIRMED: _("Thank you for your order %(order_number)s"),
    NotificationKind.ORDER_ON_HOLD: _("Order %(order_number)s is waiting for you"),
    NotificationKind.BACKORDERED: _("Part of order %(order_number)s is on backorder"),
    NotificationKind.SHIPPED: _("Order %(order_number)s is on its way"),
    NotificationKind.OUT_FOR_DELIVERY: _("Order %(order_number)s is out for delivery today"),
    NotificationKind.DELIVERED: _("Order %(order_number)s has been delivered"),
    NotificationKind.DELAYED: _("Order %(order_number)s is delayed"),
    NotificationKind.CANCELLED: _("Order %(order_number)s has been cancelled"),
    NotificationKind.RETURN_APPROVED: _("Your return %(rma_number)s is approved"),
    NotificationKind.RETURN_RECEIVED: _("We have received your return %(rma_number)s"),
    NotificationKind.REFUND_ISSUED: _("Your refund for order %(order_number)s"),
    NotificationKind.EXCHANGE_SHIPPED: _("Your exchange for order %(order_number)s is on its way"),
}

HOLD_REASONS = {
    "payment": _("We could not take the payment for this order. Please check your payment method with us."),
    "address": _("We could not confirm the delivery address. Please check it with us."),
}

DEFAULT_BRANDING = {"shop_name": "", "logo_url": "", "primary_colour": "#1f2937", "accent_colour": "#2563eb", "footer_text": ""}


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    template: str  # "default" or "override:<id>"
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


def _branding_dict(branding: ChannelBranding | None) -> dict:
    if branding is None:
        return {**DEFAULT_BRANDING, "shop_name": settings.OMS_NOTIFICATION_SHOP_NAME}
    return {
        "shop_name": branding.shop_name, "logo_url": logo_absolute_url(branding) or branding.logo_url, "primary_colour": branding.primary_colour,
        "accent_colour": branding.accent_colour, "footer_text": branding.footer_text,
        "sender_email": branding.sender_email, "sender_name": branding.sender_name, "reply_to": branding.reply_to,
    }


def branding_of(channel_id: int | None) -> dict:
    return _branding_dict(ChannelBranding.objects.select_related("channel").defer("logo").filter(channel_id=channel_id).first() if channel_id else None)


class MessageFacts:
    """What a batch of logged messages needs from the database, read in a fixed number of
    queries whatever the batch's size (orders and lines, parcels, returns, brandings, overrides).
    Plain values, not model instances: a worker reads these for every message it sends."""

    def __init__(self, notifications: list[Notification]):
        from fulfillment.models import FulfillmentLine
        from orders.models import Order, OrderLine
        from returns.models import ReturnRequest
        from shipping.models import Shipment

        order_ids = {n.order_id for n in notifications if n.order_id}
        shipment_ids = {n.context.get("shipment_id") for n in notifications if (n.context or {}).get("shipment_id")}
        return_ids = {n.context.get("return_id") for n in notifications if (n.context or {}).get("return_id")}
        channel_ids = {n.channel_id for n in notifications if n.channel_id}
        self.orders = {
            row["pk"]: row for row in Order.objects.filter(pk__in=order_ids).values(
                "pk", "number", "shipping_address", "promised_delivery_date", customer_first_name=F("customer__first_name"),
            )
        } if order_ids else {}
        self.shipments = {
            row["pk"]: row for row in Shipment.objects.filter(pk__in=shipment_ids).values(
                "pk", "tracking_number", "promised_delivery_date", carrier_name=F("carrier__name"),
            )
        } if shipment_ids else {}
        # The items of a parcel, by shipment: what it carries, not the whole order.
        self.parcel_items: dict[int, list[dict]] = {}
        if shipment_ids:
            for row in FulfillmentLine.objects.filter(fulfillment_order__shipment_id__in=shipment_ids).order_by(
                "fulfillment_order_id", "order_line_id",
            ).values("quantity", "quantity_shipped", "order_line__name", "order_line__sku", shipment_id=F("fulfillment_order__shipment_id")):
                self.parcel_items.setdefault(row["shipment_id"], []).append({
                    "name": row["order_line__name"] or row["order_line__sku"], "sku": row["order_line__sku"],
                    "quantity": row["quantity_shipped"] or row["quantity"],
                })
        # An order's items are read only for the messages that are not about one parcel.
        whole_orders = {n.order_id for n in notifications if n.order_id and (n.context or {}).get("shipment_id") not in self.parcel_items}
        self.order_items: dict[int, list[dict]] = {}
        if whole_orders:
            for row in OrderLine.objects.filter(order_id__in=whole_orders).values("order_id", "name", "sku", "quantity"):
                self.order_items.setdefault(row["order_id"], []).append({"name": row["name"] or row["sku"], "sku": row["sku"], "quantity": row["quantity"]})
        self.returns = dict(ReturnRequest.objects.filter(pk__in=return_ids).values_list("pk", "number")) if return_ids else {}
        brandings = {b.channel_id: b for b in ChannelBranding.objects.select_related("channel").defer("logo").filter(channel_id__in=channel_ids)} if channel_ids else {}
        self.brandings = {channel_id: _branding_dict(brandings.get(channel_id)) for channel_id in channel_ids}
        self.overrides = (
            {(o.channel_id, o.kind, o.language): o for o in NotificationTemplateOverride.objects.filter(channel_id__in=channel_ids, active=True)}
            if channel_ids else {}
        )

    def branding(self, channel_id: int | None) -> dict:
        return self.brandings.get(channel_id) or _branding_dict(None)

    def override(self, notification: Notification) -> NotificationTemplateOverride | None:
        return self.overrides.get((notification.channel_id, notification.kind, notification.language or "en"))

    def context(self, notification: Notification) -> dict:
        """The context of one logged message, read now from the order, its parcels and returns
        (what the event recorded in ``notification.context`` says which ones)."""
        facts = notification.context or {}
        context = {"kind": notification.kind, "customer_name": "", "items": [], **facts}
        order = self.orders.get(notification.order_id)
        if order is not None:
            context["order_number"] = order["number"]
            context["customer_name"] = order["customer_first_name"] or (order["shipping_address"] or {}).get("name", "")
            context["items"] = self.order_items.get(order["pk"], [])
            context["estimated_delivery"] = order["promised_delivery_date"]
        shipment = self.shipments.get(facts.get("shipment_id"))
        if shipment is not None:
            context.update(
                carrier=shipment["carrier_name"], tracking_number=shipment["tracking_number"], tracking_link=tracking_url(shipment["pk"]),
                estimated_delivery=shipment["promised_delivery_date"],
            )
            if shipment["pk"] in self.parcel_items:  # the items in this parcel, not the whole order
                context["items"] = self.parcel_items[shipment["pk"]]
        if facts.get("new_estimate"):
            context["new_estimate"] = datetime.date.fromisoformat(facts["new_estimate"])
        if facts.get("return_id") in self.returns:
            context["rma_number"] = self.returns[facts["return_id"]]
        for key in ("refund_amount", "refund_paid_back", "refund_off_invoice", "refund_store_credit"):
            # The refund and how it was settled; a part that is zero is not mentioned.
            value = Decimal(facts.get(key) or 0)
            if value:
                context[key] = money_text(value, facts.get("refund_currency", ""))
            else:
                context.pop(key, None)
        return context


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as the active language writes it (59.90 EUR, 59,90 EUR)."""
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}".strip()


def frame_context(context: dict, *, kind: str, customer_id: int | None, channel_id: int | None, branding: dict | None = None) -> dict:
    """What every message carries around its body: the shop's branding, the one-click
    preferences link and whether the message always goes."""
    return {
        **context,
        "shop": branding if branding is not None else branding_of(channel_id),
        "preferences_link": preferences_url(customer_id) if customer_id else "",
        "always_sent": kind in ALWAYS_SENT,
        "hold_reason_text": HOLD_REASONS.get(context.get("hold_reason", ""), ""),
    }


def _text_tidy(text: str) -> str:
    """Plain text as templates leave it, without runs of blank lines."""
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines())) + "\n"


def _subject(kind: str, context: dict) -> str:
    values = {"order_number": context.get("order_number", ""), "rma_number": context.get("rma_number", "")}
    return gettext(SUBJECTS[kind]) % values


def override_for(*, channel_id: int | None, kind: str, language: str) -> NotificationTemplateOverride | None:
    if not channel_id:
        return None
    return NotificationTemplateOverride.objects.filter(channel_id=channel_id, kind=kind, language=language, active=True).first()


def message_render(*, kind: str, context: dict, language: str, override: NotificationTemplateOverride | None = None) -> Rendered:
    """Subject, text and HTML of one e-mail in ``language``; ``context`` has gone through
    :func:`frame_context`. Template errors raise (the caller logs them)."""
    with translation.override(language):
        context = {**context, "language": language}
        if override is None:
            return Rendered(
                subject=_subject(kind, context), text=_text_tidy(template_render(f"email/{kind}.txt.j2", context)),
                html=template_render(f"email/{kind}.html.j2", context), template="default",
            )
        subject = override_templates(html=False).from_string(override.subject).render(context).strip()
        html_body = override_templates(html=True).from_string(override.html_body).render(context) if override.html_body.strip() else None
        text_body = override_templates(html=False).from_string(override.text_body).render(context) if override.text_body.strip() else None
        html = (
            template_render("email/override.html.j2", {**context, "body": Markup(html_body)})  # the operator's template, escaped by its own rendering
            if html_body is not None else template_render(f"email/{kind}.html.j2", context)
        )
        text = (
            template_render("email/override.txt.j2", {**context, "body": text_body})
            if text_body is not None else template_render(f"email/{kind}.txt.j2", context)
        )
        return Rendered(subject=" ".join(subject.split()), text=_text_tidy(text), html=html, template=f"override:{override.pk}" if override.pk else "override")


def sms_render(*, kind: str, context: dict, language: str) -> str:
    """The SMS text of one kind: ``portal/sms/<kind>.txt`` when it exists, else the subject and the tracking link."""
    with translation.override(language):
        try:
            template = get_template(f"portal/sms/{kind}.txt")
        except TemplateDoesNotExist:
            link = context.get("tracking_link") or ""
            return f"{context['shop']['shop_name']}: {_subject(kind, context)} {link}".strip()
        # The SMS texts (portal/sms) name the links and the shop plainly.
        plain = {**context, "shop_name": context["shop"]["shop_name"], "tracking_url": context.get("tracking_link") or "",
                 "preferences_url": context.get("preferences_link") or ""}
        return " ".join(template.render(plain).split())


# --- demo data: the admin's preview and the check of an override ---------------------------


def demo_context(kind: str) -> dict:
    """A realistic message context built without touching the database."""
    today = datetime.date.today()
    return {
        "kind": kind, "customer_name": "Ada", "order_number": "WEB-100042",
        "items": [{"name": "Merino crew jumper, navy, M", "sku": "MER-NAVY-M", "quantity": 1},
                  {"name": "Organic cotton socks, 3 pairs", "sku": "SOCK-3", "quantity": 2}],
        "carrier": "OMS Post", "tracking_number": "CP123456785US", "tracking_link": tracking_url(1),
        "estimated_delivery": today + datetime.timedelta(days=2), "new_estimate": today + datetime.timedelta(days=4),
        "hold_reason": "payment", "delay_reason": "late", "expected_date": today + datetime.timedelta(days=10),
        "rma_number": "RMA-000042", "refund_amount": money_text(Decimal("59.90"), "EUR"), "exchange_order_number": "EXC-100042",
    }


def demo_frame(kind: str, *, channel_id: int | None, branding: dict | None = None) -> dict:
    return frame_context(demo_context(kind), kind=kind, customer_id=1, channel_id=channel_id, branding=branding)


def override_check(override: NotificationTemplateOverride) -> dict[str, list[str]]:
    """Render an override with demo data; the problems per field (empty: it renders)."""
    problems: dict[str, list[str]] = {}
    if override.kind not in NotificationKind.values:
        return {"kind": ["Choose a kind of message."]}
    context = demo_frame(override.kind, channel_id=None)
    for name in ("subject", "html_body", "text_body"):
        source = getattr(override, name) or ""
        try:
            with translation.override(override.language or "en"):
                override_templates(html=name == "html_body").from_string(source).render(context)
        except jinja2.TemplateSyntaxError as error:
            problems[name] = [f"The template does not render: {error} (line {error.lineno})"]
        except Exception as error:  # a filter that fails on the demo data, the sandbox refusing: the same message to fix
            problems[name] = [f"The template fails with the demo data: {error.__class__.__name__}: {error}"]
    return problems
