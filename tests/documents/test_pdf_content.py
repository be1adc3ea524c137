"""What a person reads on the printed pick lists and packing slips (text extracted from the PDF)."""

import re

import pytest

from fulfillment.documents import packing_slips_pdf, pick_lists_pdf
from fulfillment.documents.data import DocumentAddress
from fulfillment.documents.rendering import documents_html

from .conftest import packing_slip_make, pdf_pages, pick_list_make

WALK = [
    ("A-01-01", "A", "SKU-KETTLE", "Steel kettle", 1, "T-01", "1"),
    ("A-01-04", "A", "SKU-MUG", "Stoneware mug", 6, "T-02", "3"),
    ("C-07-02", "C", "SKU-TOWEL", "Linen towel", 12, "T-01", "2"),
]


def test_a_batch_pick_list_shows_bins_in_walking_order_with_skus_names_quantities_and_totes():
    # Given a batch pick list whose lines the picking service sorted along the walk
    document = pick_list_make(lines=WALK, number="PL-00042", kind="batch", location="Chicago DC")

    # When it is printed
    [page] = pdf_pages(pick_lists_pdf([document]))

    # Then the bins appear in walking order, each with its SKU, name, quantity and tote/slot
    positions = [page.index(bin_code) for bin_code, *_ in WALK]
    assert positions == sorted(positions)
    for bin_code, zone, sku, name, quantity, tote, slot in WALK:
        row = page[page.index(bin_code):]
        assert re.search(rf"{sku}\s+{name}\s+{quantity}\s+{tote} / {slot}", row), row[:200]
    assert "PL-00042" in page and "Chicago DC" in page and "batch" in page
    assert "3 lines, 19 units" in page


def test_a_single_order_pick_list_has_no_tote_column():
    [page] = pdf_pages(pick_lists_pdf([pick_list_make()]))

    assert "Tote" not in page
    assert "SKU-RED" in page and "Red mug" in page


def test_many_pick_lists_make_one_pdf_with_each_list_on_its_own_page():
    documents = [pick_list_make(number=f"PL-9{n}") for n in range(3)]

    pages = pdf_pages(pick_lists_pdf(documents))

    assert len(pages) == 3
    for page, document in zip(pages, documents):
        assert document.number in page


def test_a_long_pick_list_flows_onto_more_pages_and_the_next_list_still_starts_on_a_new_one():
    # Given a wave of 60 stops and a short list after it
    long = pick_list_make(number="PL-LONG", lines=[(f"D-{n:02d}-01", "D", f"SKU-{n:03d}", f"Item {n}", 1) for n in range(60)])
    short = pick_list_make(number="PL-SHORT")

    pages = pdf_pages(pick_lists_pdf([long, short]))

    # Then the long list covers several pages, its heading repeated, every stop printed once in order
    assert len(pages) >= 3
    assert all("PL-LONG" in page for page in pages[:-1])
    text = "".join(pages[:-1])
    assert [text.index(f"D-{n:02d}-01") for n in range(60)] == sorted(text.index(f"D-{n:02d}-01") for n in range(60))
    assert "PL-SHORT" in pages[-1] and "PL-LONG" not in pages[-1]


def test_a_packing_slip_shows_numbers_addresses_lines_note_and_returns_instructions():
    document = packing_slip_make(
        number="FO-00077", order_number="1000123", customer_note="Please leave it with the neighbour.",
        lines=[("SKU-RED", "Red mug", 2, 2), ("SKU-BLUE", "Blue plate", 3, 1)],
    )

    [page] = pdf_pages(packing_slips_pdf([document]))

    assert "Packing slip FO-00077" in page
    assert "Order 1000123" in page
    # A parcel from the US to the UK: each address in its country's layout, each country named.
    for line in ("Ada Lovelace", "12 Analytical Street", "Flat 3", "LONDON\nN1 9GU\nUNITED KINGDOM"):
        assert line in page
    for line in ("Chicago DC", "Acme Goods", "1200 W Dock Rd", "CHICAGO, IL 60607\nUNITED STATES"):
        assert line in page
    assert re.search(r"SKU-RED\s+Red mug\s+2\s+2", page)
    assert re.search(r"SKU-BLUE\s+Blue plate\s+3\s+1", page)
    assert "Items not in this parcel follow in a separate shipment." in page
    assert "Please leave it with the neighbour." in page
    assert "Send it back within 30 days with this slip; we refund on arrival." in page


def test_a_complete_shipment_says_nothing_about_a_second_parcel():
    [page] = pdf_pages(packing_slips_pdf([packing_slip_make(lines=[("SKU-RED", "Red mug", 2, 2)])]))

    assert "separate shipment" not in page


def test_many_packing_slips_make_one_page_each_in_the_order_given():
    documents = [packing_slip_make(number=f"FO-5{n:04d}") for n in range(5)]

    pages = pdf_pages(packing_slips_pdf(documents))

    assert len(pages) == 5
    assert [re.search(r"Packing slip (FO-\d+)", page).group(1) for page in pages] == [d.fulfillment_order_number for d in documents]


def test_barcodes_are_drawn_with_their_human_readable_line_under_them():
    # Given a pick list and a packing slip
    pick_list = pick_list_make(lines=WALK, number="PL-00043")
    slip = packing_slip_make(number="FO-00078", order_number="1000124")

    # Then the HTML draws a Code 128 per bin, SKU and document number and a QR of the order number
    pick_html = documents_html("pick_lists", [pick_list])
    slip_html = documents_html("packing_slips", [slip])
    assert pick_html.count('class="code128"') == 2 * len(WALK) + 1
    assert slip_html.count('class="code128"') == 1 and slip_html.count('class="qr"') == 1
    # And the PDF carries the codes as text right under each barcode, and the bars as vector paths
    [pick_page] = pdf_pages(pick_lists_pdf([pick_list]))
    for bin_code, zone, sku, *_ in WALK:
        assert bin_code in pick_page and sku in pick_page
    content = packing_slips_pdf([slip])
    [slip_page] = pdf_pages(content)
    assert slip_page.count("1000124") >= 2  # in the heading and under the QR code
    assert slip_page.count("FO-00078") >= 2  # in the heading and under the Code 128


def test_customer_text_is_printed_as_text_never_as_markup():
    document = packing_slip_make(customer_note='<img src="http://127.0.0.1:9/x.png"> <b>urgent</b>')

    html = documents_html("packing_slips", [document])
    [page] = pdf_pages(packing_slips_pdf([document]))

    assert "<img" not in html and "&lt;img" in html
    assert '<b>urgent</b>' in page


VENLO = DocumentAddress(name="Venlo DC", line1="Celsiusweg 20", city="Venlo", region="Limburg", postal_code="5928 PR", country="NL")


@pytest.mark.parametrize(
    ("address", "printed"),
    [
        # The US: town, state code and ZIP on one line (the state as entered, written out or not).
        (DocumentAddress(name="Ann Lee", line1="1 Market St", city="San Francisco", region="California", postal_code="94105", country="US"),
         "1 Market St\nSAN FRANCISCO, CA 94105\nUNITED STATES"),
        # Germany and France: postal code before the town; no region line.
        (DocumentAddress(name="Hans Meier", line1="Invalidenstr. 1", city="Berlin", region="Berlin", postal_code="10115", country="DE"),
         "Invalidenstr. 1\n10115 BERLIN\nGERMANY"),
        (DocumentAddress(name="Marie Curie", line1="1 rue de Rivoli", city="Paris", region="Île-de-France", postal_code="75001", country="FR"),
         "1 rue de Rivoli\n75001 PARIS\nFRANCE"),
        # Japan (in Latin script): the town and prefecture after the street, the postal code below.
        (DocumentAddress(name="Taro Yamada", line1="1-1 Chiyoda", city="Chiyoda-ku", region="Tokyo", postal_code="100-0001", country="JP"),
         "1-1 Chiyoda\nChiyoda-ku, TOKYO\n100-0001\nJAPAN"),
    ],
    ids=["US", "DE", "FR", "JP"],
)
def test_a_packing_slip_prints_the_ship_to_address_in_its_countrys_format(address, printed):
    [page] = pdf_pages(packing_slips_pdf([packing_slip_make(ship_to=address, ship_from=VENLO)]))

    assert printed in page


def test_a_domestic_packing_slip_names_no_country():
    home = DocumentAddress(name="Jan Jansen", line1="Damrak 1", city="Amsterdam", region="North Holland", postal_code="1012 AB", country="NL")

    [page] = pdf_pages(packing_slips_pdf([packing_slip_make(ship_to=home, ship_from=VENLO)]))

    assert "Damrak 1\n1012 AB AMSTERDAM" in page and "5928 PR VENLO" in page
    assert "NETHERLANDS" not in page and "94105" not in page
