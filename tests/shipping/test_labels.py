"""4x6 shipping labels: what they print, their size, the barcode, the booking hook and the admin."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from oms.pdf import PdfResourceRefused, code128_values, code128_widths, html_layout
from shipping.labels import LABEL_FORMAT, labels_html, shipment_parcel_labels, shipments_labels_pdf
from shipping.models import Shipment
from shipping.services import shipment_label_render, shipment_void

from .test_admin_shipments import login, messages_of
from .test_shipments import book, carriers, fresh  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db

TWO_PARCELS = [{"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}, {"weight_kg": "3.5"}]


def pages_of(content: bytes) -> list:
    assert content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(content)).pages


def loaded(shipment: Shipment) -> Shipment:
    return Shipment.objects.select_related("carrier", "service").prefetch_related("parcels").get(pk=shipment.pk)


def test_booking_with_the_built_in_carrier_stores_a_4x6_label_with_everything_a_driver_needs():
    shipment = fresh(book(reference="FO-0000042-1"))

    assert shipment.label_format == LABEL_FORMAT
    [page] = pages_of(bytes(shipment.label_pdf))
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288, 432)
    text = page.extract_text()
    assert shipment.tracking_number in text
    for printed in ("Chicago DC", "1 Dock St", "CHICAGO, 60601", "Ada Lovelace", "5 Main St", "AUSTIN, 73301"):
        assert printed in text
    assert "UNITED STATES" not in text  # a domestic parcel: no country line
    assert "OMS Post" in text or shipment.carrier.name in text
    assert shipment.service.name in text
    assert "2.000 kg" in text and "FO-0000042-1" in text and "1 of 1" in text and "2026-03-02" in text


def test_only_the_shipped_fonts_are_embedded():
    [page] = pages_of(bytes(loaded(book()).label_pdf))

    fonts = {str(font["/BaseFont"]).split("+")[-1] for font in page["/Resources"]["/Font"].values()}
    assert fonts == {"Document-Sans", "Document-Sans-Bold", "Document-Mono"}  # the @font-face families, nothing from the system


def test_a_multi_piece_shipment_prints_one_label_per_parcel_each_with_its_own_number():
    shipment = loaded(book(parcels=TWO_PARCELS))
    parcels = list(shipment.parcels.order_by("sequence"))

    first, second = [page.extract_text() for page in pages_of(bytes(shipment.label_pdf))]

    assert parcels[0].tracking_number in first and "1 of 2" in first and "2.000 kg" in first
    assert parcels[1].tracking_number in second and "2 of 2" in second and "3.500 kg" in second
    assert f"Shipment {shipment.tracking_number}" in second  # the second piece names the shipment it belongs to


def test_many_shipments_print_as_one_pdf_in_the_order_given():
    shipments = [loaded(book(reference=f"FO-{n}")) for n in range(3)]

    pages = pages_of(shipments_labels_pdf(reversed(shipments)))

    assert [shipment.tracking_number in page.extract_text() for page, shipment in zip(pages, reversed(shipments))] == [True] * 3
    assert {(float(page.mediabox.width), float(page.mediabox.height)) for page in pages} == {(288, 432)}


def _bars_of(svg: str) -> list[tuple[int, int]]:
    """(x, width) of every bar drawn in a Code 128 SVG."""
    return [(int(x), int(width)) for x, width in re.findall(r"M(\d+) 0h(\d+)v", svg)]


def _tracking_heights(content: bytes, number: str) -> list[float]:
    """How far above the bottom edge ``number`` is printed on each page, in points."""
    heights = []
    for page in pages_of(content):
        page.extract_text(visitor_text=lambda text, cm, tm, *_: heights.append(round(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])) if number in text else None)
    return heights


def test_a_very_long_address_is_cut_off_rather_than_moving_the_barcode():
    short = loaded(book())
    long = loaded(book(destination={"name": "Ada Lovelace " * 8, "company": "Analytical Engines Research " * 3, "line1": "5 Main St " * 40,
                                    "line2": "Building 7, Floor 3", "postal_code": "73301", "city": "Austin", "country": "US"}))

    [short_height] = _tracking_heights(shipments_labels_pdf([short]), short.tracking_number)
    [long_height] = _tracking_heights(shipments_labels_pdf([long]), long.tracking_number)

    assert long_height == short_height > 10  # one page, the tracking number where it always is


def test_the_barcode_encodes_the_tracking_number_in_code_128():
    shipment = loaded(book())
    number = shipment.tracking_number
    html = labels_html(shipment_parcel_labels([shipment]))

    # Given the values: start B, one per character (ASCII - 32), the weighted mod-103 check, stop.
    values = code128_values(number)
    assert values[0] == 104 and values[-1] == 106
    assert values[1:-2] == [ord(character) - 32 for character in number]
    assert values[-2] == (104 + sum(position * value for position, value in enumerate(values[1:-2], start=1))) % 103
    # ...and the label draws exactly those bars: decode the drawn widths back into the text.
    svg = re.search(r"<svg class=\"code128\".*?</svg>", html).group(0)
    widths = code128_widths(number)
    drawn, x = [], 10
    for index, width in enumerate(widths):
        if index % 2 == 0:
            drawn.append((x, int(width)))
        x += int(width)
    assert _bars_of(svg) == drawn


def test_an_address_cannot_make_the_label_fetch_anything():
    shipment = loaded(book(destination={"name": '<link rel="stylesheet" href="file:///etc/passwd">Eve', "postal_code": "73301",
                                        "city": "Austin", "country": "US"}))

    text = pages_of(bytes(shipment.label_pdf))[0].extract_text()

    assert "Eve" in text and "<link" in text  # printed as text, not read as markup
    with pytest.raises(PdfResourceRefused):
        html_layout('<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>')


def test_a_voided_shipment_gets_no_new_label():
    shipment = book()
    shipment_void(shipment_id=shipment.pk, actor="test")

    with pytest.raises(Exception) as refused:
        shipment_label_render(shipment_id=shipment.pk, actor="test")

    assert "voided" in str(refused.value)


def label_text(shipment: Shipment) -> str:
    [page] = pages_of(bytes(fresh(shipment).label_pdf))
    return page.extract_text()


def test_a_us_address_prints_town_state_and_zip_on_one_line_as_the_us_postal_service_wants():
    shipment = book(destination={"name": "Ada Lovelace", "line1": "1600 Champa St", "city": "Denver", "region": "Colorado",
                                 "postal_code": "80202", "country": "US"})

    text = label_text(shipment)

    assert "DENVER, CO 80202" in text  # the state written out is printed as its code
    assert "80202 Denver" not in text and "UNITED STATES" not in text


def test_a_parcel_abroad_prints_the_recipient_in_its_countrys_format_and_both_countries_by_name():
    shipment = book(destination={"name": "Hans Meier", "line1": "Invalidenstr. 1", "city": "Berlin", "region": "Berlin",
                                 "postal_code": "10115", "country": "DE"})

    text = label_text(shipment)

    assert "10115 BERLIN" in text and "GERMANY" in text
    assert "UNITED STATES" in text  # the sender's country too, for the way back


def test_a_british_address_puts_the_postcode_on_its_own_line_below_the_town():
    shipment = book(carrier_code="europarcel", service_code="standard",
                    origin={"name": "Venlo DC", "line1": "Celsiusweg 20", "city": "Venlo", "postal_code": "5928 PR", "country": "NL"},
                    destination={"name": "Jane Doe", "line1": "10 Downing Street", "city": "London", "region": "England",
                                 "postal_code": "sw1a 2aa", "country": "GB"})

    lines = label_text(shipment).splitlines()

    assert lines.index("LONDON") + 1 == lines.index("SW1A 2AA") and "UNITED KINGDOM" in lines
    assert "Venlo DC, Celsiusweg 20, 5928 PR VENLO, NETHERLANDS" in lines  # the sender, on one line


def test_the_declared_value_prints_with_its_currency_and_two_decimals_and_is_left_out_when_none_was_declared():
    declared = book(declared_value=Decimal("129"))
    nothing = book()

    assert "Declared value 129.00 USD" in " ".join(label_text(declared).split())
    assert "Declared value" not in label_text(nothing) and "0.000" not in label_text(nothing)


def test_render_again_replaces_a_missing_label():
    shipment = book()
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=None, label_format="")

    shipment_label_render(shipment_id=shipment.pk, actor="test")

    assert fresh(shipment).tracking_number in pages_of(bytes(fresh(shipment).label_pdf))[0].extract_text()


# --- the console ---------------------------------------------------------------------------------


def test_print_labels_action_answers_one_pdf_for_the_selection_and_skips_voided(client):
    kept, other, voided = book(), book(), book()
    shipment_void(shipment_id=voided.pk, actor="test")
    login(client)

    response = client.post(
        reverse("admin:shipping_shipment_changelist"), {"action": "print_labels", "_selected_action": [kept.pk, other.pk, voided.pk]}
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    texts = [page.extract_text() for page in pages_of(response.content)]
    assert len(texts) == 2 and kept.tracking_number in texts[0] and other.tracking_number in texts[1]
    assert voided.tracking_number in " ".join(messages_of(response))


def test_the_shipment_page_links_its_label_which_downloads_as_pdf(client):
    shipment = book()
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=None, label_format="")  # e.g. rendering failed at booking
    login(client)
    page = client.get(reverse("admin:shipping_shipment_change", args=[shipment.pk])).content.decode()
    url = reverse("admin:shipping_shipment_label", args=[shipment.pk])

    response = client.get(url)

    assert url in page
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert shipment.tracking_number in pages_of(response.content)[0].extract_text()
    assert fresh(shipment).label_format == LABEL_FORMAT  # stored for the next reprint


def test_a_voided_shipments_label_download_is_refused_with_the_reason(client):
    shipment = book()
    shipment_void(shipment_id=shipment.pk, actor="test")
    login(client)

    response = client.get(reverse("admin:shipping_shipment_label", args=[shipment.pk]))

    assert response.status_code == 409 and b"voided" in response.content
