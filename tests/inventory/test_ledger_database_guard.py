"""On PostgreSQL the database itself keeps the ledger append-only."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from inventory.models import StockMovement
from inventory.services import stock_receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_bulk_update_or_delete_of_ledger_rows_is_refused_by_the_database(stocked, warehouse):
    stocked("SKU-A", 5)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StockMovement.objects.update(on_hand_delta=500)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StockMovement.objects.all().delete()

    assert list(StockMovement.objects.values_list("on_hand_delta", flat=True)) == [5]


def test_deleting_a_user_keeps_their_ledger_rows_with_their_name(stocked, warehouse):
    stocked("SKU-A", 0)
    clerk = User.objects.create_user("clerk")
    stock_receive(sku="SKU-A", location=warehouse.code, quantity=3, actor=clerk)

    clerk.delete()

    movement = StockMovement.objects.get()
    assert movement.actor_id is None
    assert movement.actor_label == "clerk"
    assert movement.on_hand_delta == 3
