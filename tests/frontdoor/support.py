import re

# What a Content-Security-Policy without 'unsafe-inline' blocks in a page: inline <script> blocks
# (a JSON data block is not run, so it is fine), style="..." and <style> without a nonce, onclick=...
_INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")(?![^>]*\bnonce=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I), "<style> block"),
    (re.compile(r"<[a-z][^>]*\sstyle=[\"']", re.I), "style attribute"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+=[\"']", re.I), "event handler attribute"),
]


def inline_code(html: str) -> list[str]:
    """The pieces of ``html`` the console's Content-Security-Policy would refuse to apply."""
    return [f"{what}: {match.group(0)[:120]}" for pattern, what in _INLINE for match in pattern.finditer(html)]
