"""Code 128 (subset B): the encoder against encodings made by an independent implementation."""

import pytest

from fulfillment.documents import BarcodeError, code128_svg, code128_values, code128_widths
from oms.pdf.barcodes import CODE128_PATTERNS

# Module strings (1 = bar, 0 = space) for subset B as produced by a reference encoder, quiet zones excluded.
KNOWN = {
    "PJJ123C": "1101001000011101110110101101110001011011100010011100110110011100101100101110010001000110111010001101100011101011",
    "A-01-3b": "1101001000010100011000100110111001001110110010011100110100110111001100101110010010000110101111000101100011101011",
    "Zz 9~": "110100100001110110001011011110110110110011001110010110010001011110111100100101100011101011",
}


def _modules(widths: str) -> str:
    return "".join(("1" if index % 2 == 0 else "0") * int(width) for index, width in enumerate(widths))


@pytest.mark.parametrize("text", KNOWN)
def test_encodings_match_a_reference_encoder_module_for_module(text):
    assert _modules(code128_widths(text)) == KNOWN[text]


def test_the_check_character_is_the_weighted_sum_modulo_103():
    # Given the textbook example; start B 104 + P(48)x1 + J(42)x2 + J x3 + 1(17)x4 + 2(18)x5 + 3(19)x6 + C(35)x7 = 879
    values = code128_values("PJJ123C")

    assert values[0] == 104 and values[-1] == 106
    assert values[-2] == 879 % 103 == 55


def test_every_symbol_is_eleven_modules_with_even_bars_and_all_are_distinct():
    assert len(CODE128_PATTERNS) == 107 and len(set(CODE128_PATTERNS)) == 107
    for pattern in CODE128_PATTERNS[:-1]:
        widths = [int(width) for width in pattern]
        assert len(widths) == 6 and sum(widths) == 11
        assert sum(widths[0::2]) % 2 == 0  # bar modules even, space modules odd: the parity rule
    assert sum(int(width) for width in CODE128_PATTERNS[-1]) == 13


@pytest.mark.parametrize("text", ["", "café", "tab\there", "line\n"])
def test_text_outside_printable_ascii_is_refused_with_a_reason(text):
    with pytest.raises(BarcodeError) as refused:
        code128_values(text)

    assert "Code 128" in str(refused.value) or "at least one" in str(refused.value)


def test_the_svg_draws_one_bar_per_bar_of_the_symbol_inside_its_quiet_zones():
    svg = code128_svg("A-01-3b")
    widths = code128_widths("A-01-3b")

    assert svg.count("h-") == len(widths[0::2])
    assert 'viewBox="0 0 {} '.format(sum(int(width) for width in widths) + 20) in svg
