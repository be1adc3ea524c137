"""Every page of the operator console renders: each registered model's list, its add form
(where adding is allowed) and the change page of one of its rows, with data in every table an
integration touches (orders, holds, webhooks, receipts, channel rules); and none carries inline
code the Content-Security-Policy would block (inline scripts, style or onclick attributes)."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from oms.models import Integration, WebhookDelivery
from oms.webhooks import webhook_subscription_create
from orders.models import OrderHold

from ..factories import place_order
from ..frontdoor.support import inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything(stocked, django_capture_on_commit_callbacks):
    stocked("SKU-A", 5)
    integration = Integration.objects.create(code="shop", name="Shop")
    # Port 9 on this machine: nothing listens, so each attempt is refused at once and logged.
    webhook_subscription_create(integration=integration, url="http://127.0.0.1:9/hooks", events=["*"], actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        place_order([("SKU-A", 1)])
        place_order([("SKU-UNKNOWN", 1)])  # held: unknown SKU
    assert OrderHold.objects.exists() and WebhookDelivery.objects.exists()


def test_every_console_page_renders_for_a_superuser(client, everything):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        pages = [reverse(f"{name}_changelist")]
        if model_admin.has_add_permission(_request_for(client)):
            pages.append(reverse(f"{name}_add"))
        row = model_admin.get_queryset(_request_for(client)).first()
        if row is not None:
            try:
                pages.append(reverse(f"{name}_change", args=[row.pk]))
            except NoReverseMatch:
                pass
        for page in pages:
            response = client.get(page)
            if response.status_code not in (200, 302):
                failures.append(f"{page}: {response.status_code}")
            elif response.status_code == 200:
                failures += [f"{page}: {blocked}" for blocked in inline_code(response.content.decode())]
    assert failures == []


def _request_for(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="root")
    return request
