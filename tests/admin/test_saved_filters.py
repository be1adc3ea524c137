"""Saved views: an operator keeps a list's filters under a name and gets the rows back in one click."""

from django.urls import reverse

from oms.models import SavedFilter
from orders.models import OrderStatus

from ..factories import ChannelFactory, place_order
from .conftest import messages_of

ORDERS = reverse("admin:orders_order_changelist")
QUEUE = reverse("admin:orders_heldorder_changelist")


def save(client, list_name: str, name: str, query: str, shared: bool = False):
    data = {"name": name, "query_string": query, **({"shared": "on"} if shared else {})}
    return client.post(reverse(f"admin:orders_{list_name}_savedfilter_save"), data)


def test_saving_the_current_filters_gives_a_link_that_brings_the_same_rows_back(console, stocked):
    stocked("SKU-A", 10)
    held = place_order([("SKU-A", 1)], payment_status="pending")
    place_order([("SKU-A", 1)])
    client = console("Customer service")

    saved = save(client, "order", "On hold", f"status={OrderStatus.ON_HOLD}&p=3")

    assert saved.status_code == 302 and saved["Location"] == f"{ORDERS}?status=on_hold"
    assert "View 'On hold' saved." in messages_of(saved)
    page = client.get(ORDERS).content.decode()
    assert '<a href="?status=on_hold">On hold</a>' in page  # the page number is not kept
    rows = client.get(ORDERS, {"status": "on_hold"})
    assert [order.number for order in rows.context["cl"].result_list] == [held.number]
    assert 'class="current" aria-current="true">On hold</a>' in rows.content.decode()


def test_a_shared_view_is_offered_to_other_staff_but_a_private_one_is_not_and_only_its_owner_deletes_it(console):
    owner = console("Customer service", username="owner")
    save(owner, "heldorder", "Address holds", "hold_reason=address", shared=True)
    save(owner, "heldorder", "Mine", "hold_reason=payment")
    view = SavedFilter.objects.get(name="Address holds")

    other = console("Warehouse", username="other")
    page = other.get(QUEUE).content.decode()
    refused = other.post(reverse("admin:orders_heldorder_savedfilter_delete", args=[view.pk]))

    assert "Address holds" in page and ">Mine<" not in page
    assert "only they may delete it" in " ".join(messages_of(refused))
    assert SavedFilter.objects.filter(pk=view.pk).exists()


def test_saving_under_an_existing_name_replaces_its_filters_and_a_blank_name_is_refused(console):
    client = console("Customer service")
    save(client, "order", "Web", "channel__id__exact=1")

    save(client, "order", "Web", "channel__id__exact=2")
    refused = save(client, "order", "  ", "status=on_hold")

    assert list(SavedFilter.objects.values_list("name", "query_string")) == [("Web", "channel__id__exact=2")]
    assert "The view was not saved. Give the view a name." in messages_of(refused)


def test_the_owner_deletes_a_view(console):
    client = console("Customer service")
    save(client, "order", "Web", f"channel__id__exact={ChannelFactory(code='web').pk}")

    deleted = client.post(reverse("admin:orders_order_savedfilter_delete", args=[SavedFilter.objects.get().pk]))

    assert "Saved view deleted." in messages_of(deleted)
    assert not SavedFilter.objects.exists()


def test_views_are_saved_only_by_post_and_only_by_staff_who_may_open_the_list(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)  # no role: may not see orders
    client.force_login(user)

    assert client.get(reverse("admin:orders_order_savedfilter_save")).status_code == 405
    assert save(client, "order", "Sneaky", "status=on_hold").status_code == 403
    assert not SavedFilter.objects.exists()
