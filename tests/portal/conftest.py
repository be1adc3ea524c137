import pytest

from portal.notifications import delivery

from .smtp import SmtpServer


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost that the project's SMTP backend delivers to; yields its mailbox."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.OMS_NOTIFICATION_RETRY_SECONDS = 0  # in-process tasks retry at once (a worker would wait)
        delivery._connection_drop()  # the process's open session belongs to the previous server
        yield server.mailbox
        delivery._connection_drop()
