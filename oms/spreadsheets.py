"""Text cells that a spreadsheet opens safely.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (CSV injection): a customer's name or a reference
such as ``=HYPERLINK(...)`` would become a live link or a command. Such text is prefixed with a
single quote, which the spreadsheet shows as plain text. Numbers are never passed through here: a
negative quantity stays a number.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value) -> str:
    """``value`` as text a spreadsheet will not run; ``None`` is the empty cell."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
