"""Every console page as every role: no page fails, and no action a role is shown is then refused.

For each role, the walk opens every registered model's list and (where the role may add) its add
form, and the change page of a row of it. It then uses what the role is shown:
- every action of the list's action dropdown is posted with a row selected;
- every button on a page that posts to its own address (``formaction``) is pressed;
- every link to an action on a change page (a console address other than a list, a change page or
  a history: add, import, pack, download a label...), and the list's object tools, are followed;
- every other console link on a list, add or change page (a related order, a shipment, an event...)
  is followed too, once per address and at most ``LINKS_PER_PAGE`` new ones a page: a link the role
  may not open must be plain text instead.
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
from returns.services import ReturnLineData, return_request
from shipping.demo import demo_shipping_seed
from shipping.selectors import rate_card_forget
from shipping.services import manifest_close

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
# Links never followed: they end the session, or only change how the page is sorted or filtered.
NOT_FOLLOWED = {"logout"}
# New addresses followed per page beyond its actions: enough for every kind of link a page has
# (its rows link alike), few enough to keep the walk fast.
LINKS_PER_PAGE = 25


@pytest.fixture
def floor(stocked, warehouse, django_capture_on_commit_callbacks):
    """A day's data in every table the console shows: held, allocated and shipping orders, a
    fulfillment order on a pick list, one shipped with a tracked shipment, a draft transfer, a
    customer, a webhook subscription and its deliveries, a closed manifest."""
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
    shipment = ship_with_a_scan(FulfillmentOrder.objects.get(order=shipped), django_capture_on_commit_callbacks, location="Chicago IL")
    manifest_close(carrier_code=shipment.carrier.code, day=shipment.collection_date, actor="dock")
    # A return of the shipped order, approved and waiting for its parcel (the RMA page's actions).
    return_request(order_id=shipped.pk, lines=[ReturnLineData(line_number=1, quantity=1, reason="too_small")], actor="test")
    yield
    rate_card_forget()


def refusals(response) -> list[str]:
    """What in this answer says the role was refused."""
    found = [f"HTTP {response.status_code}"] if response.status_code == 403 else []
    found += [str(m) for m in get_messages(response.wsgi_request) if REFUSALS.search(str(m))]
    return found


def url_name(url: str) -> str | None:
    try:
        return resolve(url.split("?", 1)[0]).url_name or ""
    except Resolver404:
        return None


def is_action(url: str) -> bool:
    name = url_name(url)
    return name is not None and name not in NAVIGATION and not name.endswith(NAVIGATION_SUFFIXES)


def plain_links(html: str) -> list[str]:
    """The console links of a page that are not actions, each address once, without the query
    (filters and sorting of a list the walk opens anyway) and without those never followed."""
    found = {}
    for url in LINK.findall(html):
        path = unescape(url).split("?", 1)[0]
        name = url_name(path)
        if name is not None and name not in NOT_FOLLOWED and not is_action(path):
            found.setdefault(path, None)
    return list(found)


@pytest.mark.parametrize("role", ROLES)
def test_every_console_page_renders_for_the_role_and_every_action_it_shows_is_permitted(console, floor, role):
    client = console(role)
    request = RequestFactory().get("/admin/")
    request.user = client.user
    problems, links, seen, plain = [], [], set(), []

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
        plain.append((listing.wsgi_request.path, plain_links(page)))
        for tools in OBJECT_TOOLS.findall(page):
            links += [(listing.wsgi_request.path, url) for url in LINK.findall(tools)]
        row = model_admin.get_queryset(request).first()
        action_form = (listing.context or {}).get("action_form") if listing.status_code == 200 else None
        if action_form is not None and row is not None:
            for action, _label in action_form.fields["action"].choices:
                if action:
                    visit(listing.wsgi_request.path, "post", {"action": action, "_selected_action": [row.pk]}, f"{name} action {action}")
        if model_admin.has_add_permission(request):
            add = visit(reverse(f"{name}_add"))
            if add.status_code == 200:
                plain.append((add.wsgi_request.path, plain_links(add.content.decode())))
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
            plain.append((change_url, plain_links(html)))
            for url in FORMACTION.findall(html):
                visit(unescape(url), "post", {}, f"{change_url} button {url}")

    for source, url in links:
        url = unescape(url)
        if url not in seen and is_action(url):
            seen.add(url)
            visit(url, what=f"{url} (linked from {source})")
    for source, urls in plain:
        for url in [url for url in urls if url not in seen][:LINKS_PER_PAGE]:
            seen.add(url)
            visit(url, what=f"{url} (linked from {source})")
    assert problems == [], "\n".join(problems)


def test_accounting_and_customer_service_are_not_offered_pick_list_building_and_accounting_no_pick_list_printing(console, floor):
    fulfillment_orders = reverse("admin:fulfillment_fulfillmentorder_changelist")

    def offered(role: str) -> set[str]:
        form = console(role, username=f"{role}-actions").get(fulfillment_orders).context["action_form"]
        return {value for value, _label in form.fields["action"].choices}

    service, accounting, warehouse = offered("Customer service"), offered("Accounting"), offered("Warehouse")

    assert "create_wave_pick_list" not in service | accounting
    assert "print_pick_lists" not in accounting
    assert {"create_wave_pick_list", "print_pick_lists"} <= warehouse


def test_a_record_the_role_may_not_open_is_named_as_plain_text_and_one_it_may_open_is_a_link(console, floor):
    # Given a shipped fulfillment order, whose shipment Accounting less its shipping rights may not open and Warehouse may
    fulfillment_order = FulfillmentOrder.objects.exclude(shipment=None).get()
    page = reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk])
    shipment = reverse("admin:shipping_shipment_change", args=[fulfillment_order.shipment_id])

    # When each opens the fulfillment order's page
    accounting = console("Accounting", username="accounting-links", without="shipping").get(page).content.decode()
    warehouse = console("Warehouse", username="warehouse-links").get(page).content.decode()

    # Then Accounting reads the tracking number without a link to the shipment, and Warehouse follows it
    assert fulfillment_order.tracking_number in accounting and shipment not in accounting
    assert f'href="{shipment}"' in warehouse
