"""A real SMTP server on localhost for the notification tests and bench (aiosmtpd)."""

import email
import threading
from email import policy

from aiosmtpd.controller import Controller

from ..processes import free_port


class Mailbox:
    """Collects every message the server accepts. ``refuse`` answers the next n messages with
    a temporary failure (451), or with ``refuse_code`` when given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.port = 0
        self.refuse = 0
        self.refuse_code = "451 4.3.0 Try again later"
        self.refused = 0
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            return self.refuse_code
        with self._arrived:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


class SmtpServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.mailbox.port = self.port
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
