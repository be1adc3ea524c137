"""Statements sent without waiting (oms.db.statements_pipelined): answers read when the block ends,
errors raised there as the ORM raises them, nothing half-written."""

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.models import Product
from oms.db import rows_insert, statement_then, statements_pipelined

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_inserted_rows_get_their_keys_when_the_block_ends():
    products = [Product(sku=f"PIPE-{n}", name=f"Pipe {n}", price="1.00") for n in range(3)]
    with transaction.atomic():
        with statements_pipelined():
            rows_insert(products)
            assert [p.pk for p in products] == [None, None, None]  # the answer has not been read yet
        assert all(p.pk for p in products) and len({p.pk for p in products}) == 3

    assert set(Product.objects.filter(sku__startswith="PIPE-").values_list("pk", flat=True)) == {p.pk for p in products}


def test_outside_postgresql_or_a_pipeline_keys_are_set_at_once():
    product = rows_insert([Product(sku="NOW-1", name="Now", price="1.00")])[0]
    assert product.pk and Product.objects.get(pk=product.pk).sku == "NOW-1"


@pytest.mark.postgres
def test_a_failing_statement_is_raised_at_the_end_as_the_orm_raises_it_and_nothing_stays():
    ProductFactory(sku="TAKEN")

    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with statements_pipelined():
                rows_insert([Product(sku="FRESH", name="Fresh", price="1.00")])
                rows_insert([Product(sku="TAKEN", name="Again", price="1.00")])  # the unique SKU refuses it
                rows_insert([Product(sku="LATER", name="Later", price="1.00")])

    assert not Product.objects.filter(sku__in=["FRESH", "LATER"]).exists()
    assert connection.connection.pgconn.pipeline_status == 0  # the connection left pipeline mode


@pytest.mark.postgres
def test_a_check_on_an_answer_runs_at_the_end_and_its_refusal_undoes_the_block():
    product = ProductFactory(sku="CHECKED", name="Before")

    def one_row_changed(cursor):
        if cursor.rowcount != 1:
            raise LookupError(f"{cursor.rowcount} rows changed")

    with pytest.raises(LookupError, match="0 rows changed"):
        with transaction.atomic():
            with statements_pipelined():
                statement_then("UPDATE inventory_product SET name = 'After' WHERE id = %s", [product.pk], one_row_changed)
                statement_then("UPDATE inventory_product SET name = 'After' WHERE id = %s", [-1], one_row_changed)

    assert Product.objects.get(pk=product.pk).name == "Before"
