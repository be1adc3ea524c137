"""SMS length: GSM-7 or UCS-2 (GSM 03.38), segments as carriers and Twilio count them, and
fitting a long text to the segment limit without breaking its link."""

import pytest
from django.test import override_settings

from portal.sms import sms_segments
from portal.sms.segments import GSM7, UCS2, segment_count, sms_encoding, sms_fit, sms_length

LINK = "https://shop.example.com/portal/track/MTIzNDU2:1kXyZa:abcdefghijklmnopqrstuvwxyz0123/"


@pytest.mark.parametrize("text", ["Hello", "Grüße aus München: ÄÖÜäöüß", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡§¿à", "line one\nline two\r", "€[]{}^~\\|"])
def test_given_only_gsm_characters_then_the_text_goes_as_gsm7(text):
    assert sms_encoding(text) == GSM7


@pytest.mark.parametrize("text", ["Łódź", "ça va", "it’s", "Ελληνικά ά", "ok 👍", "naïve", "…"])
def test_given_one_character_outside_gsm_then_the_whole_text_goes_as_ucs2(text):
    assert sms_encoding(text) == UCS2


def test_given_extension_characters_then_each_counts_two_septets():
    assert sms_length("€") == (2, GSM7)
    assert sms_length("a[b]c{d}e^f~g\\h|i") == (9 + 2 * 8, GSM7)


def test_given_emoji_then_each_counts_two_utf16_units():
    assert sms_length("😀") == (2, UCS2)
    assert sms_length("a😀ł") == (4, UCS2)


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_given_gsm7_text_then_160_fit_one_segment_and_153_each_part_beyond(length, segments):
    assert segment_count("a" * length) == (segments, GSM7)


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_given_ucs2_text_then_70_fit_one_segment_and_67_each_part_beyond(length, segments):
    assert segment_count("ł" * length) == (segments, UCS2)


def test_given_no_text_then_no_segment():
    assert segment_count("") == (0, GSM7)


def test_given_80_euro_signs_then_one_segment_and_81_need_two():
    assert segment_count("€" * 80) == (1, GSM7)
    assert segment_count("€" * 81) == (2, GSM7)


def test_given_an_escape_at_a_part_boundary_then_it_moves_whole_to_the_next_part():
    # 306 septets would be two parts of 153, but the € cannot start at septet 153 of part one.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_length(text) == (306, GSM7)
    assert segment_count(text) == (3, GSM7)


def test_given_an_emoji_at_a_part_boundary_then_the_surrogate_pair_is_not_split():
    text = "ł" * 66 + "😀" + "ł" * 66
    assert sms_length(text) == (134, UCS2)
    assert segment_count(text) == (3, UCS2)


def test_given_35_emoji_then_one_segment_and_36_need_two():
    assert segment_count("😀" * 35) == (1, UCS2)
    assert segment_count("😀" * 36) == (2, UCS2)


def test_given_a_gsm_text_with_one_curly_quote_then_it_costs_ucs2_segments():
    assert segment_count("a" * 100) == (1, GSM7)
    assert segment_count("a" * 99 + "’") == (2, UCS2)


def test_given_the_public_counter_then_it_answers_segments_and_encoding():
    assert sms_segments("Ihr Paket ist unterwegs") == (1, GSM7)


# --- fitting a text to the limit ---


def _words(count: int) -> str:
    return " ".join(f"word{number}" for number in range(count))


def test_given_a_text_that_fits_then_it_is_unchanged():
    text = "Your parcel is on its way: " + LINK
    assert sms_fit(text, max_segments=1) == text


def test_given_a_long_text_with_a_trailing_link_then_it_is_cut_at_a_word_and_the_link_kept():
    text = _words(80) + " Track it: " + LINK
    fitted = sms_fit(text, max_segments=2)
    assert segment_count(fitted) == (2, GSM7)
    assert fitted.endswith("... " + LINK)
    kept = fitted[: -len("... " + LINK)]
    assert text.startswith(kept) and text[len(kept)] == " "  # ends where a word ended
    assert segment_count(kept + " word99... " + LINK)[0] > 2  # and no further word would have fitted


def test_given_a_gsm_text_then_the_ellipsis_keeps_it_gsm():
    fitted = sms_fit(_words(100), max_segments=1)
    assert fitted.endswith("...") and sms_encoding(fitted) == GSM7
    assert segment_count(fitted) == (1, GSM7)


def test_given_a_ucs2_text_then_the_ellipsis_is_one_character():
    text = " ".join(["Łódź"] * 60) + " " + LINK
    fitted = sms_fit(text, max_segments=2)
    assert fitted.endswith("Łódź… " + LINK)
    assert segment_count(fitted) == (2, UCS2)


def test_given_one_endless_word_then_it_is_cut_between_characters():
    fitted = sms_fit("x" * 500, max_segments=1)
    assert fitted == "x" * 157 + "..."


def test_given_a_link_that_alone_exceeds_the_limit_then_the_text_is_cut_without_it():
    fitted = sms_fit("See https://example.com/" + "a" * 300, max_segments=1)
    assert segment_count(fitted)[0] == 1 and fitted.endswith("...")


def test_given_emoji_near_the_cut_then_no_surrogate_is_broken():
    text = "😀 " * 100 + LINK
    fitted = sms_fit(text, max_segments=2)
    assert segment_count(fitted)[0] <= 2 and fitted.endswith(LINK)
    fitted.encode("utf-8")  # a lone surrogate would not encode


@override_settings(OMS_SMS_MAX_SEGMENTS=1)
def test_given_no_limit_then_the_setting_decides():
    assert segment_count(sms_fit(_words(100)))[0] == 1


def test_given_a_limit_below_one_then_it_is_refused():
    with pytest.raises(ValueError):
        sms_fit("hello", max_segments=0)


def test_given_an_emoji_with_a_skin_tone_at_a_part_boundary_then_it_stays_in_one_part():
    thumbs = "👍🏽"  # two code points, four UTF-16 units
    assert segment_count("ł" * 65 + thumbs + "ł" * 65) == (3, UCS2)  # 134 units, but 65 + 4 > 67
    assert segment_count("ł" * 63 + thumbs + "ł" * 67) == (2, UCS2)


def test_given_a_zwj_family_or_a_flag_then_it_is_counted_as_one_visible_character():
    family = "👨\u200d👩\u200d👧"  # UTF-16 units: 2 + 1 + 2 + 1 + 2
    assert sms_length(family) == (8, UCS2)
    # 134 units: split between code points it would fill two parts exactly; kept whole, it needs three.
    assert segment_count("ł" * 62 + family + "ł" * 64) == (3, UCS2)
    assert segment_count("ł" * 59 + family + "ł" * 67) == (2, UCS2)
    flag = "🇩🇪"  # two regional indicators
    assert segment_count("ł" * 65 + flag + "ł" * 65) == (3, UCS2)
    assert segment_count("ł" * 63 + flag + "ł" * 67) == (2, UCS2)


def test_given_an_accent_written_as_a_combining_mark_then_it_stays_with_its_letter():
    text = "ł" * 66 + "e\u0301" + "ł" * 66  # é as e + combining acute: 2 units, 134 in all
    assert segment_count(text) == (3, UCS2)


def test_given_a_text_cut_between_characters_then_no_emoji_is_cut_in_two():
    fitted = sms_fit("👍🏽" * 40, max_segments=1)
    assert fitted == "👍🏽" * 17 + "…"  # 17 × 4 + 1 = 69 units; one more would need 73
