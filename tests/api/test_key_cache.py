"""A process remembers a key it looked up for a short while; revocation still takes effect."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oms.api import authentication
from oms.models import ApiKey

pytestmark = pytest.mark.django_db


def test_given_a_key_just_used_then_the_next_request_does_not_look_it_up_again(api):
    api.get("/api/v1/locations/")

    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/locations/").status_code == 200

    assert not any("oms_apikey" in q["sql"] for q in queries.captured_queries)


def test_given_a_key_in_use_when_revoked_in_the_console_then_it_is_refused_at_once(api, client):
    assert api.get("/api/v1/locations/").status_code == 200
    manager = User.objects.create_superuser("boss", password="pw-for-tests-only")
    client.force_login(manager)

    response = client.post(
        f"/admin/oms/apikey/{api.key.pk}/change/", {"name": api.key.name, "scopes": [], "is_active": ""}, follow=True
    )

    assert response.status_code == 200
    assert api.get("/api/v1/locations/").status_code == 401


def test_given_a_key_revoked_by_another_process_then_it_is_refused_once_the_lifetime_passes(api, settings, monkeypatch):
    assert api.get("/api/v1/locations/").status_code == 200
    ApiKey.objects.filter(pk=api.key.pk).update(is_active=False)  # another process revoked it
    clock = authentication.time.monotonic()

    monkeypatch.setattr(authentication.time, "monotonic", lambda: clock + settings.OMS_API_KEY_CACHE_SECONDS + 1)

    assert api.get("/api/v1/locations/").status_code == 401


def test_with_the_cache_off_every_request_reads_the_key(api, settings):
    settings.OMS_API_KEY_CACHE_SECONDS = 0
    assert api.get("/api/v1/locations/").status_code == 200
    ApiKey.objects.filter(pk=api.key.pk).update(is_active=False)

    assert api.get("/api/v1/locations/").status_code == 401
