"""A channel's logo uploaded in the console: kept in the database, served from a public address
that carries its digest (cached for good, 304 on a repeat), and loaded by the channel's messages."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import LOGO_MAX_BYTES, ChannelBranding

from ..factories import ChannelFactory
from .smtp import html_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 20


@pytest.fixture
def operations(db, client):
    user = get_user_model().objects.create_user(username="ops", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Operations manager"))
    client.force_login(user)
    return client


def _branding_form(channel, **extra) -> dict:
    return {"channel": channel.pk, "shop_name": "Nordlicht Wear", "primary_colour": "#0b3d2e", "accent_colour": "#e4572e", **extra}


def test_an_operator_uploads_a_png_logo_and_the_console_shows_it(operations, client):
    channel = ChannelFactory(code="nord")

    response = operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(channel, logo_upload=SimpleUploadedFile("logo.png", PNG)))

    assert response.status_code == 302
    branding = ChannelBranding.objects.get()
    digest = hashlib.sha256(PNG).hexdigest()
    assert (bytes(branding.logo), branding.logo_content_type, branding.logo_digest) == (PNG, "image/png", digest)
    page = operations.get(reverse("admin:portal_channelbranding_change", args=[branding.pk])).content.decode()
    assert f'src="/portal/brand/nord/logo/{digest}.png"' in page and 'alt="Logo of Nordlicht Wear"' in page


@pytest.mark.parametrize(("content", "said"), [
    (b"%PDF-1.7 not a picture", "must be a PNG, JPEG or GIF"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "must be a PNG, JPEG or GIF"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * LOGO_MAX_BYTES, "at most 256 KB"),
], ids=["pdf", "svg", "too-large"])
def test_a_file_that_is_not_a_small_picture_is_refused_with_a_form_error(operations, content, said):
    channel = ChannelFactory(code="nord")

    response = operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(channel, logo_upload=SimpleUploadedFile("logo.png", content)))

    assert response.status_code == 200
    assert said in str(response.context["adminform"].form.errors["logo_upload"])
    assert not ChannelBranding.objects.exists()


def test_the_logo_is_served_with_long_caching_an_etag_and_304_and_unknown_ones_are_404(operations, client):
    channel = ChannelFactory(code="nord")
    operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(channel, logo_upload=SimpleUploadedFile("logo.gif", GIF)))
    digest = hashlib.sha256(GIF).hexdigest()
    url = f"/portal/brand/nord/logo/{digest}.gif"

    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "image/gif" and response.content == GIF
    assert "max-age=31536000" in response["Cache-Control"] and response["ETag"] == f'"{digest}"'
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"{digest}"').status_code == 304
    for unknown in (f"/portal/brand/nord/logo/{digest}.png", f"/portal/brand/other/logo/{digest}.gif", f"/portal/brand/nord/logo/{'0' * 64}.gif",
                    "/portal/brand/nord/logo/..%2F..%2Fetc.gif"):
        assert client.get(unknown).status_code == 404, unknown


def test_the_operator_removes_the_logo_and_its_address_stops_answering(operations, client):
    channel = ChannelFactory(code="nord")
    operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(channel, logo_upload=SimpleUploadedFile("logo.png", PNG)))
    branding = ChannelBranding.objects.get()

    response = operations.post(reverse("admin:portal_channelbranding_change", args=[branding.pk]), _branding_form(channel, logo_remove="on"))

    assert response.status_code == 302
    branding.refresh_from_db()
    assert (branding.logo, branding.logo_digest) == (None, "")
    assert client.get(f"/portal/brand/nord/logo/{hashlib.sha256(PNG).hexdigest()}.png").status_code == 404


def test_editing_the_branding_without_a_new_file_keeps_the_logo(operations):
    channel = ChannelFactory(code="nord")
    operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(channel, logo_upload=SimpleUploadedFile("logo.png", PNG)))
    branding = ChannelBranding.objects.get()

    operations.post(reverse("admin:portal_channelbranding_change", args=[branding.pk]), _branding_form(channel, shop_name="Nordlicht"))

    branding.refresh_from_db()
    assert branding.shop_name == "Nordlicht" and bytes(branding.logo) == PNG


def test_a_message_of_the_channel_loads_the_uploaded_logo_from_the_portal(smtp, operations, web_channel, settings, django_capture_on_commit_callbacks, stocked):
    from ..factories import place_order

    settings.OMS_PORTAL_BASE_URL = "https://shop.example"
    operations.post(reverse("admin:portal_channelbranding_add"), _branding_form(
        web_channel, logo_url="https://cdn.example/old.png", logo_upload=SimpleUploadedFile("logo.png", PNG),
    ))
    stocked("SKU-A", 1)

    with django_capture_on_commit_callbacks(execute=True):
        place_order([("SKU-A", 1)], email="buyer@example.com")

    (message,) = smtp.messages
    html = html_of(message)
    assert f'src="https://shop.example/portal/brand/web/logo/{hashlib.sha256(PNG).hexdigest()}.png"' in html
    assert "cdn.example/old.png" not in html
