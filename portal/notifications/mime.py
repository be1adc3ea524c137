"""The bytes of a notification e-mail for an SMTP server, written directly.

A notification is always the same shape: a plain-text part and an HTML part as
``multipart/alternative``, UTF-8, a handful of headers. Python's ``email`` package builds and
flattens a tree of message objects with its header policies for that, which costs a worker more
than rendering both templates. :func:`message_bytes` writes the same MIME (as Django's SMTP
backend would send it: 8bit bodies, quoted-printable when a line is longer than RFC 5322 allows,
RFC 2047 encoded words for headers that are not ASCII) and answers ``None`` for any message
outside that shape (attachments, addresses that are not ASCII, copies), which then goes the
ordinary way.
"""

import binascii
import uuid
from functools import lru_cache
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

LINE_LIMIT = 998  # octets per line, RFC 5322 section 2.1.1
HEADER_LIMIT = 78  # a header line longer than this is folded


def _header_value(name: str, value: str) -> str:
    """A header's value, as encoded words when it is not ASCII, folded when it is long."""
    if value.isascii() and len(name) + 2 + len(value) <= HEADER_LIMIT:
        return value
    return Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name).encode(linesep="\r\n")


@lru_cache(maxsize=4096)  # a batch repeats its channel's sender and reply-to on every message
def _address(text: str) -> str | None:
    """An address header's value; ``None`` for an address this writer leaves to the email package
    (a mailbox or domain that is not ASCII needs IDNA or SMTPUTF8)."""
    name, address = parseaddr(text)
    if not address or not address.isascii() or "\r" in text or "\n" in text:
        return None
    return formataddr((name, address), charset="utf-8")


def _part(content_type: str, body: str) -> bytes:
    data = body.replace("\r\n", "\n").replace("\r", "\n")
    raw = data.encode("utf-8")
    if any(len(line) > LINE_LIMIT for line in raw.split(b"\n")):
        payload = binascii.b2a_qp(raw, istext=True).replace(b"\n", b"\r\n")
        encoding = b"quoted-printable"
    else:
        payload = raw.replace(b"\n", b"\r\n")
        encoding = b"8bit" if not raw.isascii() else b"7bit"
    return b"Content-Type: " + content_type.encode() + b'; charset="utf-8"\r\nContent-Transfer-Encoding: ' + encoding + b"\r\n\r\n" + payload


@lru_cache(maxsize=4096)
def envelope_address(text: str) -> str:
    """The bare address of a header's mailbox (``Shop <hello@shop.example>``: ``hello@shop.example``)."""
    return parseaddr(text)[1]


def message_bytes(message: EmailMultiAlternatives) -> bytes | None:
    """The message as an SMTP server receives it (CRLF lines), or ``None`` when it is not a plain
    text + HTML message with one recipient and ASCII addresses."""
    if message.attachments or message.cc or message.bcc or len(message.to) != 1 or message.content_subtype != "plain":
        return None
    if len(message.alternatives) != 1 or message.alternatives[0][1] != "text/html":
        return None
    sender, recipient = _address(message.from_email), _address(message.to[0])
    reply_to = [_address(address) for address in message.reply_to]
    if sender is None or recipient is None or None in reply_to:
        return None
    headers = {
        "Subject": _header_value("Subject", message.subject),
        "From": sender,
        "To": recipient,
        "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        "Message-ID": f"<{uuid.uuid4().hex}@{settings.DEFAULT_FROM_EMAIL.rsplit('@', 1)[-1].strip('<> ') or 'localhost'}>",
    }
    if reply_to:
        headers["Reply-To"] = ", ".join(reply_to)
    for name, value in message.extra_headers.items():
        if "\r" in str(value) or "\n" in str(value):
            return None
        headers[name if name.lower() != "message-id" else "Message-ID"] = _header_value(name, str(value))
    boundary = f"=_oms_{uuid.uuid4().hex}"
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
    delimiter = f"--{boundary}\r\n".encode()
    return b"".join((
        head.encode("ascii"),
        delimiter, _part("text/plain", message.body), b"\r\n",
        delimiter, _part("text/html", message.alternatives[0][0]), b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ))
