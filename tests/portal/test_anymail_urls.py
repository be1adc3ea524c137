"""Only the e-mail provider the project sends through has delivery-report URLs."""

import importlib

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import config.urls


@pytest.fixture
def urls_with(settings):
    def build(backend: str):
        settings.EMAIL_BACKEND = backend
        clear_url_caches()
        importlib.reload(config.urls)

    yield build
    clear_url_caches()
    importlib.reload(config.urls)


def test_given_smtp_then_no_provider_webhook_exists(urls_with):
    urls_with("django.core.mail.backends.smtp.EmailBackend")

    with pytest.raises(NoReverseMatch):
        reverse("anymail:postmark_tracking_webhook")


def test_given_postmark_then_only_postmarks_webhooks_exist(urls_with):
    urls_with("anymail.backends.postmark.EmailBackend")

    assert reverse("anymail:postmark_tracking_webhook") == "/anymail/postmark/tracking/"
    with pytest.raises(NoReverseMatch):
        reverse("anymail:sendgrid_tracking_webhook")
