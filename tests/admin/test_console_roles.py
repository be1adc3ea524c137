"""Every console page as every role: no page fails, and no action a role is shown is then refused.

For each role, the walk opens every registered model's list and (where the role may add) its add
form, and the change page of a row of it. It then uses what the role is shown:
- every action of the list's action dropdown is posted with a row selected;
- every button on a page that posts to its own address (``formaction``) is pressed;
- every link to an action on a change page (a console address other than a list, a change page or
  a history: add, import, pack, download a label...), and the list's object tools, are followed.
None may answer 403 or say that the role may not; no page may answer 5xx.
"""

import re
from html import unescape

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import RequestFactory
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from fulfillment.models import FulfillmentOrder
from fulfillment.services.picking import pick_list_build
from inventory.services import stock_transfer_create
from oms.models import Integration
from oms.webhooks import webhook_subscription_create
from orders.services import order_start_fulfillment
from shipping.demo import demo_shipping_seed
from shipping.selectors import rate_card_forget

from ..factories import CustomerFactory, LocationFactory, place_order
from .conftest import ROLES, ship_with_a_scan

pytestmark = pytest.mark.django_db

REFUSALS = re.compile(r"\bmay not\b|\bpermission\b|\bnot allowed\b", re.I)
FORMACTION = re.compile(r'formaction="([^"]+)"')
LINK = re.compile(r'<a\b[^>]*\bhref="(/admin/[^"#]*)"')
OBJECT_TOOLS = re.compile(r'<ul class="object-tools">(.*?)</ul>', re.S)
# Addresses that are navigation rather than actions (or sign the user out).
NAVIGATION = {"index", "app_list", "logout", "password_change", "jsi18n", "view_on_site"}
NAVIGATION_SUFFIXES = ("_changelist", "_change", "_history")


@pytest.fixture
def floor(stocked, warehouse, django_capture_on_commit_callbacks):
    """A day's data in every table the console shows: held, allocated and shipping orders, a
    fulfillment order on a pick list, one shipped with a tracked shipment, a draft transfer, a
    customer, a webhook subscription and its deliveries."""
    rate_card_forget()
    demo_shipping_seed()
    stocked("SKU-A", 50)
    LocationFactory(code="newark", name="Newark DC", city="Newark")
    CustomerFactory(email="ada@example.com")
    integration = Integration.objects.create(code="shop", name="Shop")
    webhook_subscription_create(integration=integration, url="http://127.0.0.1:9/hooks", events=["*"], actor="test")
    stock_transfer_create(source=warehouse.code, destination="newark", lines=[("SKU-A", 1)], actor="test")
    with django_capture_on_commit_callbacks(execute=True):
        place_order([("SKU-A", 1)], payment_status="pending")  # held: payment
        place_order([("SKU-UNKNOWN", 1)])  # held: unknown SKU
        place_order([("SKU-A", 1)])  # allocated
        picking, shipped = place_order([("SKU-A", 1)]), place_order([("SKU-A", 2)])
        for order in (picking, shipped):
            order_start_fulfillment(order_id=order.pk, actor="test")
    on_list = FulfillmentOrder.objects.get(order=picking)
    pick_list_build(location=warehouse.code, fulfillment_order_ids=[on_list.pk], kind="single", actor="lead")
    ship_with_a_scan(FulfillmentOrder.objects.get(order=shipped), django_capture_on_commit_callbacks, location="Chicago IL")
    yield
    rate_card_forget()


def refusals(response) -> list[str]:
    """What in this answer says the role was refused."""
    found = [f"HTTP {response.status_code}"] if response.status_code == 403 else []
    found += [str(m) for m in get_messages(response.wsgi_request) if REFUSALS.search(str(m))]
    return found


def is_action(url: str) -> bool:
    try:
        name = resolve(url.split("?", 1)[0]).url_name or ""
    except Resolver404:
        return False
    return name not in NAVIGATION and not name.endswith(NAVIGATION_SUFFIXES)


@pytest.mark.parametrize("role", ROLES)
def test_every_console_page_renders_for_the_role_and_every_action_it_shows_is_permitted(console, floor, role):
    client = console(role)
    request = RequestFactory().get("/admin/")
    request.user = client.user
    problems, links, seen = [], [], set()

    def visit(url: str, method: str = "get", data=None, what: str = ""):
        response = getattr(client, method)(url, data or {})
        if response.status_code >= 500:
            problems.append(f"{what or url}: HTTP {response.status_code}")
        problems.extend(f"{what or url}: {refusal}" for refusal in refusals(response))
        return response

    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue  # not shown to the role at all (the index hides it)
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        listing = visit(reverse(f"{name}_changelist"))
        page = listing.content.decode() if listing.status_code == 200 else ""
        for tools in OBJECT_TOOLS.findall(page):
            links += [(listing.wsgi_request.path, url) for url in LINK.findall(tools)]
        row = model_admin.get_queryset(request).first()
        action_form = (listing.context or {}).get("action_form") if listing.status_code == 200 else None
        if action_form is not None and row is not None:
            for action, _label in action_form.fields["action"].choices:
                if action:
                    visit(listing.wsgi_request.path, "post", {"action": action, "_selected_action": [row.pk]}, f"{name} action {action}")
        if model_admin.has_add_permission(request):
            visit(reverse(f"{name}_add"))
        if row is None:
            continue
        try:
            change_url = reverse(f"{name}_change", args=[row.pk])
        except NoReverseMatch:
            continue
        change = visit(change_url)
        if change.status_code == 200:
            html = change.content.decode()
            links += [(change_url, url) for url in LINK.findall(html)]
            for url in FORMACTION.findall(html):
                visit(unescape(url), "post", {}, f"{change_url} button {url}")

    for source, url in links:
        url = unescape(url)
        if url not in seen and is_action(url):
            seen.add(url)
            visit(url, what=f"{url} (linked from {source})")
    assert problems == []


def test_accounting_and_customer_service_are_not_offered_pick_list_building_and_accounting_no_pick_list_printing(console, floor):
    fulfillment_orders = reverse("admin:fulfillment_fulfillmentorder_changelist")

    def offered(role: str) -> set[str]:
        form = console(role, username=f"{role}-actions").get(fulfillment_orders).context["action_form"]
        return {value for value, _label in form.fields["action"].choices}

    service, accounting, warehouse = offered("Customer service"), offered("Accounting"), offered("Warehouse")

    assert "create_wave_pick_list" not in service | accounting
    assert "print_pick_lists" not in accounting
    assert {"create_wave_pick_list", "print_pick_lists"} <= warehouse
