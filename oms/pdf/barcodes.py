"""Barcodes as inline SVG: Code 128 (subset B) for bins, SKUs, document and tracking numbers, QR for order numbers.

Drawn as vector paths inside the HTML, so WeasyPrint never fetches an image and the bars stay
sharp at any printer resolution.
"""

from functools import lru_cache

import segno

# Bar and space widths (in modules) of every Code 128 symbol value, bar first. Each symbol is 11
# modules wide with 3 bars and 3 spaces; the stop symbol has a 4th bar and is 13 modules wide.
CODE128_PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)
CODE128_START_B = 104
CODE128_STOP = 106
# The standard asks for a quiet zone of at least ten modules on each side of the symbol.
QUIET_ZONE_MODULES = 10


class BarcodeError(ValueError):
    """The text cannot be drawn as this kind of barcode."""


def code128_values(text: str) -> list[int]:
    """The symbol values of ``text`` in subset B: start B, one value per character, the mod-103
    check value, stop. Subset B covers printable ASCII (space to ``~``), which is what bin codes,
    SKUs and document numbers are made of."""
    if not text:
        raise BarcodeError("A barcode needs at least one character.")
    values = [CODE128_START_B]
    for character in text:
        code = ord(character)
        if not 32 <= code <= 126:
            raise BarcodeError(f"{character!r} in {text!r} cannot be encoded in Code 128 subset B (printable ASCII only).")
        values.append(code - 32)
    check = (values[0] + sum(position * value for position, value in enumerate(values[1:], start=1))) % 103
    return [*values, check, CODE128_STOP]


def code128_widths(text: str) -> str:
    """Alternating bar and space widths of the whole symbol, starting and ending with a bar."""
    return "".join(CODE128_PATTERNS[value] for value in code128_values(text))


@lru_cache(maxsize=4096)
def code128_svg(text: str, *, height: float = 10.0) -> str:
    """An inline ``<svg>`` of ``text`` as Code 128 (width in modules, ``height`` in the same
    units; CSS sizes it). One path for all bars keeps the drawing cheap to lay out."""
    x = QUIET_ZONE_MODULES
    bars = []
    for index, width in enumerate(code128_widths(text)):
        width = int(width)
        if index % 2 == 0:
            bars.append(f"M{x} 0h{width}v{height:g}h-{width}z")
        x += width
    total = x + QUIET_ZONE_MODULES
    return (
        f'<svg class="code128" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {height:g}" '
        f'preserveAspectRatio="none" role="img"><path d="{"".join(bars)}" fill="#000"/></svg>'
    )


@lru_cache(maxsize=4096)
def qr_svg(text: str) -> str:
    """An inline ``<svg>`` QR code of ``text`` (error correction M, with its quiet zone)."""
    if not text:
        raise BarcodeError("A QR code needs at least one character.")
    code = segno.make_qr(text, error="m")
    return code.svg_inline(scale=1, border=4, dark="#000", svgclass="qr", omitsize=True)
