"""Every kind of message has an SMS text, in English and German, that fits two segments with a
typical context (real signed links included)."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from portal.links import preferences_url, tracking_url
from portal.models import NotificationKind
from portal.sms import sms_segments


@pytest.fixture
def context(settings):
    settings.OMS_PORTAL_BASE_URL = "https://shop.example.com"
    return {
        "shop_name": "Nordic Outdoor & Co", "order_number": "1000123", "carrier": "DHL Paket",
        "tracking_number": "JJD000390007612345678", "tracking_url": tracking_url(1234567), "estimated_delivery": "11.12.2026",
        "rma_number": "RMA-2026-000123", "refund_amount": "€1,234.50", "preferences_url": preferences_url(987654),
    }


def _render(kind: str, language: str, context: dict) -> str:
    with translation.override(language):
        return render_to_string(f"portal/sms/{kind}.txt", context).strip()


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("kind", NotificationKind.values)
def test_given_a_typical_context_then_every_text_fits_two_segments(kind, language, context):
    text = _render(kind, language, context)
    assert sms_segments(text)[0] <= 2, (kind, language, len(text), text)
    assert "{" not in text and "&amp;" not in text  # all filled in, nothing HTML-escaped
    assert text.endswith(context["preferences_url"])  # every message carries the link to the choices


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_given_german_then_the_text_is_translated(kind, context):
    assert _render(kind, "de", context) != _render(kind, "en", context)


@pytest.mark.parametrize("kind", ["backordered", "delayed"])
def test_given_no_estimate_then_the_text_does_not_promise_a_date(kind, context):
    context["estimated_delivery"] = ""
    for language in ("en", "de"):
        text = _render(kind, language, context)
        assert "11.12.2026" not in text and sms_segments(text)[0] <= 2


def test_given_parcel_messages_then_they_carry_the_tracking_link(context):
    for kind in ("shipped", "out_for_delivery", "delivered", "delayed", "exchange_shipped"):
        assert context["tracking_url"] in _render(kind, "de", context)


def test_given_a_refund_then_the_text_says_it_is_always_sent(context):
    assert "always sent" in _render("refund_issued", "en", context)
    assert "immer" in _render("refund_issued", "de", context)
