"""How long an SMS is: its encoding (GSM-7 or UCS-2) and the number of segments it costs.

A text goes as GSM-7 when every character is in the GSM 03.38 (3GPP TS 23.038) default alphabet
or its extension table; the extension characters (``^ { } \\ [ ~ ] | €`` and form feed) are sent
as an escape plus the character, so they count two septets. Anything else (a Polish ``ł``, a
curly quote, an emoji) sends the whole text as UCS-2, counted in UTF-16 code units, where a
character beyond the Basic Multilingual Plane (most emoji) is a surrogate pair: two units.

One segment holds 160 septets or 70 UCS-2 units. A longer text is split into parts that each
carry a user-data header (concatenation), leaving 153 septets or 67 units per part; a part never
splits an escape sequence, a surrogate pair or a character the reader sees as one (an emoji with
its skin tone, a ZWJ family, a letter with its accent), so what would straddle the boundary starts
the next part. That is how Twilio's own segment calculator (TwilioDevEd/message-segment-calculator)
packs parts, grapheme by grapheme.
"""

import re
import unicodedata

from django.conf import settings

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet (the 128 positions; 0x1B, the escape, is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + character, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (characters in one segment, characters per part of a longer message)
_CAPACITY = {GSM7: (160, 153), UCS2: (70, 67)}


def sms_encoding(text: str) -> str:
    """``GSM-7`` when every character is in the GSM 03.38 alphabet or its extension, else ``UCS-2``."""
    return GSM7 if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text) else UCS2


def _units(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1  # a surrogate pair in UTF-16


def sms_length(text: str) -> tuple[int, str]:
    """(septets or UTF-16 units, encoding) of ``text``."""
    encoding = sms_encoding(text)
    return sum(_units(char, encoding) for char in text), encoding


_ZWJ = "\u200d"


def _joins_previous(char: str, previous: str) -> bool:
    """Whether ``char`` belongs to the same visible character as ``previous`` (an approximation
    of Unicode grapheme clusters that covers accents, emoji modifiers, ZWJ sequences and flags)."""
    code = ord(char)
    return (
        previous == _ZWJ or char == _ZWJ
        or unicodedata.category(char) in ("Mn", "Me")  # combining accents, enclosing keycap
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji or text presentation)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (subdivision flags)
    )


def _clusters(text: str) -> list[str]:
    clusters: list[str] = []
    for char in text:
        regional = 0x1F1E6 <= ord(char) <= 0x1F1FF
        last = clusters[-1] if clusters else ""
        pairs_flag = regional and len(last) == 1 and 0x1F1E6 <= ord(last) <= 0x1F1FF  # two regional indicators: a flag
        if last and (pairs_flag or _joins_previous(char, last[-1])):
            clusters[-1] = last + char
        else:
            clusters.append(char)
    return clusters


def segment_count(text: str) -> tuple[int, str]:
    """(segments, encoding) that sending ``text`` costs; an empty text is 0 segments."""
    length, encoding = sms_length(text)
    single, per_part = _CAPACITY[encoding]
    if length <= single:
        return (1 if text else 0), encoding
    parts, used = 1, 0
    for cluster in _clusters(text):
        units = sum(_units(char, encoding) for char in cluster)
        if used + units > per_part and used:  # what the reader sees as one character stays in one part
            parts, used = parts + 1, 0
        used += units
    return parts, encoding


_TRAILING_LINK = re.compile(r"\s+(https?://\S+)\s*$")


def _shortened(head: str, tail: str, fits) -> str | None:
    """``head`` cut at the last word boundary that lets ``head… tail`` fit, or None."""
    cuts = [match.start() for match in re.finditer(r"\s+", head)]
    for cut in reversed(cuts):
        kept = head[:cut].rstrip(" ,;:-–")
        if not kept:
            continue
        # The three-dot ellipsis keeps a GSM-7 text GSM-7 (the single character … is not in
        # the alphabet and would turn the whole message into UCS-2, halving what fits).
        ellipsis = "..." if sms_encoding(kept + tail) == GSM7 else "…"
        candidate = kept + ellipsis + tail
        if fits(candidate):
            return candidate
    return None


def sms_fit(text: str, *, max_segments: int | None = None) -> str:
    """``text`` unchanged when it fits ``max_segments`` (default ``OMS_SMS_MAX_SEGMENTS``), else
    shortened at a word boundary with an ellipsis, a trailing link kept whole (the link is what
    the customer needs). A text with no boundary that fits is cut character by character."""
    limit = max_segments if max_segments is not None else settings.OMS_SMS_MAX_SEGMENTS
    if limit < 1:
        raise ValueError("An SMS needs at least one segment.")

    def fits(candidate: str) -> bool:
        return segment_count(candidate)[0] <= limit

    text = text.strip()
    if fits(text):
        return text
    link = _TRAILING_LINK.search(text)
    if link and fits("... " + link.group(1)):
        head, tail = text[: link.start()], " " + link.group(1)
        return _shortened(head, tail, fits) or _cut(head, tail, fits)
    return _shortened(text, "", fits) or _cut(text, "", fits)


def _cut(head: str, tail: str, fits) -> str:
    """The longest prefix of ``head`` (one visible character at a time) with an ellipsis and ``tail`` that fits."""
    clusters = _clusters(head)  # never cut an emoji or an accented letter in two
    low, high = 0, len(clusters)
    best = ("..." + tail).strip()
    while low <= high:  # longer prefixes never take fewer segments, so a binary search finds the longest
        middle = (low + high) // 2
        kept = "".join(clusters[:middle]).rstrip()
        ellipsis = "..." if sms_encoding(kept + tail) == GSM7 else "…"
        candidate = kept + ellipsis + tail
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best
