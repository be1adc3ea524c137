"""Database statements the ORM has no single call for."""

from django.db import connection, models


def insert_or_get(instance: models.Model, *, unique_fields: list[str]) -> models.Model:
    """Insert ``instance``, or on a conflict on ``unique_fields`` return the stored row, in one statement.

    ``INSERT ... ON CONFLICT (col) DO UPDATE SET col = EXCLUDED.col RETURNING *`` works on
    PostgreSQL and SQLite alike and, unlike ``get_or_create``, has no window in which two
    requests both see nothing and both insert.
    """
    model = type(instance)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]
    targets = [quote(meta.get_field(name).column) for name in unique_fields]
    returning = [meta.pk, *fields]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(targets)}) DO UPDATE SET {targets[0]} = EXCLUDED.{targets[0]} "
        f"RETURNING {', '.join(quote(f.column) for f in returning)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    decoded = []
    for field, value in zip(returning, row):
        column = field.get_col(meta.db_table)
        for converter in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            value = converter(value, column, connection)
        decoded.append(value)
    return model.from_db("default", [f.attname for f in returning], decoded)
