"""Database statements the ORM has no single call for, and which database a read goes to."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, models


def _database():
    """The default database's wrapper, looked up once per call: ``django.db.connection`` is a
    proxy that finds it again (through a context-local) on every attribute, and preparing a row's
    values asks for it once per field."""
    return connections[DEFAULT_DB_ALIAS]


# SQL built from model metadata, once per (kind, database, model, shape), with what reads its rows.
_STATEMENTS: dict[tuple, tuple] = {}


def _decoder(connection, model: type[models.Model], fields: list[models.Field]):
    """Per-field converters from database values to Python ones (what the ORM applies on reads)."""
    table = model._meta.db_table
    decoders = []
    for field in fields:
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        decoders.append((column, converters))
    return decoders


def _instance(connection, model: type[models.Model], fields, decoders, row) -> models.Model:
    values = []
    for (column, converters), value in zip(decoders, row):
        for converter in converters:
            value = converter(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def insert_or_get(instance: models.Model, *, unique_fields: list[str]) -> models.Model:
    """Insert ``instance``, or on a conflict on ``unique_fields`` return the stored row, in one statement.

    ``INSERT ... ON CONFLICT (key) DO UPDATE SET other = other RETURNING *`` works on
    PostgreSQL and SQLite alike and, unlike ``get_or_create``, has no window in which two
    requests both see nothing and both insert.
    """
    connection = _database()
    model = type(instance)
    meta = model._meta
    key = ("upsert", connection.vendor, meta.label, tuple(unique_fields))
    if key not in _STATEMENTS:
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        targets = [quote(meta.get_field(name).column) for name in unique_fields]
        returning = [meta.pk, *fields]
        # The no-op update names a column outside every unique key, so PostgreSQL locks the row
        # FOR NO KEY UPDATE, not FOR UPDATE: other transactions' foreign-key checks on it (KEY
        # SHARE, e.g. an order of this customer being updated) are not blocked by an upsert.
        keys = {name for name in unique_fields}
        keys |= {f.name for f in fields if f.unique}
        keys |= {name for together in meta.unique_together for name in together}
        keys |= {name for c in meta.constraints for name in getattr(c, "fields", ())}
        free = next((f for f in fields if f.name not in keys and not f.is_relation), None)
        touched = quote(free.column) if free else targets[0]
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({', '.join(targets)}) DO UPDATE SET {touched} = {quote(meta.db_table)}.{touched} "
            f"RETURNING {', '.join(quote(f.column) for f in returning)}"
        )
        _STATEMENTS[key] = (sql, fields, returning, _decoder(connection, model, returning))
    sql, fields, returning, decoders = _STATEMENTS[key]
    values = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return _instance(connection, model, returning, decoders, row)


def rows_select(model: type[models.Model], field_name: str, values, *, lock: bool = False) -> list[models.Model]:
    """Instances of ``model`` whose ``field_name`` is one of ``values``, every concrete field loaded.

    For lookups on every request (API keys by prefix, products by SKU, the order a service
    locks): the statement is built once per (model, field, number of values); the ORM would
    build it again on each call. ``lock`` takes the rows FOR NO KEY UPDATE, in primary-key order.
    """
    values = list(values)
    if not values:
        return []
    connection = _database()
    meta = model._meta
    key = ("select", connection.vendor, meta.label, field_name, len(values), lock)
    if key not in _STATEMENTS:
        quote = connection.ops.quote_name
        fields = list(meta.concrete_fields)
        sql = (
            f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.get_field(field_name).column)} IN ({', '.join(['%s'] * len(values))})"
        )
        if lock:
            sql += f" ORDER BY {quote(meta.pk.column)}{for_update_clause()}"
        _STATEMENTS[key] = (sql, fields, _decoder(connection, model, fields))
    sql, fields, decoders = _STATEMENTS[key]
    lookup = meta.get_field(field_name)
    params = [lookup.get_db_prep_value(v, connection) for v in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_instance(connection, model, fields, decoders, row) for row in cursor.fetchall()]


def row_update(model: type[models.Model], pk, **values) -> int:
    """``UPDATE table SET ... WHERE id = pk`` with the statement built once per set of columns."""
    connection = _database()
    meta = model._meta
    names = tuple(sorted(values))
    key = ("update", connection.vendor, meta.label, names)
    if key not in _STATEMENTS:
        quote = connection.ops.quote_name
        fields = [meta.get_field(name) for name in names]
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        _STATEMENTS[key] = (f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s", fields)
    sql, fields = _STATEMENTS[key]
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields] + [pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# Field types whose database value is the attribute as it stands (no conversion, no pre_save
# hook). Matched by exact type: a subclass (a phone number field is a CharField) may convert.
_AS_IS = (
    models.CharField, models.TextField, models.EmailField, models.SlugField, models.IntegerField,
    models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.PositiveBigIntegerField, models.BooleanField,
    models.FloatField, models.ForeignKey,
)


def _preparer(field: models.Field):
    """How to read one field's database value from an instance being inserted (given the database)."""
    if type(field) in _AS_IS and not getattr(field, "auto_now", False) and not getattr(field, "auto_now_add", False):
        attname = field.attname
        return lambda obj, connection: getattr(obj, attname)
    return lambda obj, connection: field.get_db_prep_save(field.pre_save(obj, add=True), connection)


# --- Statements sent without waiting --------------------------------------------------------

# What to do with the answers of the statements sent in the pipeline now open (None: no pipeline).
_pipelined: ContextVar[list | None] = ContextVar("oms_db_pipelined", default=None)


@contextmanager
def statements_pipelined() -> Iterator[None]:
    """Send the statements of the block to PostgreSQL without waiting for each answer (psycopg's
    pipeline mode), and read the answers once, when the block ends: one round trip for a run of
    writes whose results nothing in the block reads. :func:`rows_insert` sets the primary keys it
    inserts, and :func:`statement_then` runs its callbacks, at the end of the block; an error in any
    statement is raised there, as the ORM would raise it (``IntegrityError``, …). A statement the
    block does read (an ORM query) still works: reading waits for the answers sent so far.

    Use it inside a transaction, and keep out of it anything that catches a database error to
    go on (a savepoint that recovers): once a statement fails, PostgreSQL skips the rest of the
    pipeline. On other databases (SQLite) statements run one by one, as always.
    """
    connection = _database()
    if connection.vendor != "postgresql" or _pipelined.get() is not None:
        yield
        return
    connection.ensure_connection()
    waiting: list = []
    token = _pipelined.set(waiting)
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield
        for cursor, then in waiting:
            then(cursor)
    finally:
        _pipelined.reset(token)
        for cursor, _ in waiting:
            cursor.close()


def statement_then(sql: str, params, then) -> None:
    """Run ``sql`` and call ``then(cursor)`` once it has its answer: at once, or inside
    :func:`statements_pipelined` when the block ends."""
    cursor = _database().cursor()
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise
    waiting = _pipelined.get()
    if waiting is not None:
        waiting.append((cursor, then))
        return
    try:
        then(cursor)
    finally:
        cursor.close()


def rows_insert(objs: list[models.Model]) -> list[models.Model]:
    """Insert instances of one model in one statement and set their primary keys (and any
    ``db_default`` columns) from ``RETURNING``.

    The hot path of order intake inserts a handful of rows into seven tables per order; Django's
    ``bulk_create`` spends most of its time building the statement. This builds it from the
    model's metadata once per (model, row count) and only converts values per call. It sends no
    signals and runs no ``save()``: use it for rows whose model has no custom save logic. Inside
    :func:`statements_pipelined` the keys are set when the block ends.
    """
    if not objs:
        return objs
    connection = _database()
    meta = objs[0]._meta
    key = ("insert", connection.vendor, meta.label, len(objs))
    cached = _STATEMENTS.get(key)
    if cached is None:
        quote = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key and not f.has_db_default()]
        returned = [meta.pk, *(f for f in meta.concrete_fields if f.has_db_default())]
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES {', '.join([row] * len(objs))} RETURNING {', '.join(quote(f.column) for f in returned)}"
        )
        cached = _STATEMENTS[key] = (sql, fields, returned, [_preparer(f) for f in fields])
    sql, fields, returned, preparers = cached
    for obj in objs:
        # Rows built before their parent was inserted take the parent's new id (as bulk_create does).
        obj._prepare_related_fields_for_save(operation_name="rows_insert")
    params = [prepare(obj, connection) for obj in objs for prepare in preparers]

    def keys_set(cursor):
        for obj, row in zip(objs, cursor.fetchall()):
            for field, value in zip(returned, row):
                setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = connection.alias

    statement_then(sql, params, keys_set)  # in a pipeline, the keys are set when it ends
    return objs


def for_update_clause(of_table: str | None = None) -> str:
    """``FOR NO KEY UPDATE [OF table]`` where the database has row locks (PostgreSQL); empty on SQLite."""
    connection = _database()
    if not connection.features.has_select_for_update:
        return ""
    clause = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else " FOR UPDATE"
    if of_table and connection.features.has_select_for_update_of:
        clause += f" OF {connection.ops.quote_name(of_table)}"
    return clause


# --- The read replica -------------------------------------------------------------------------
# With DATABASE_REPLICA_URL set, the settings add this alias; reports and exports read from it
# inside ``reading_from_replica()``. It may lag the primary by a few seconds: only reads that can
# stand that (a KPI, an export's rows) ask for it, and everything else reads and writes the default.
REPLICA_DB_ALIAS = "replica"

_replica_reads: ContextVar[bool] = ContextVar("oms_replica_reads", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Within it (a ``with`` block, or as ``@reading_from_replica()`` on a function), ORM reads go
    to the replica when one is configured and no transaction is open on the default database: a
    read inside a write transaction must see that transaction's own writes. Writes always go to
    the default. A queryset is routed when it runs, so one built inside and run after the block
    reads the default unless pinned with ``.using(queryset.db)`` inside it."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_database() -> str:
    """The alias an ORM read goes to now: the replica only inside ``reading_from_replica()``, with
    a replica configured and the default database outside any ``atomic()`` block."""
    if (
        _replica_reads.get()
        and REPLICA_DB_ALIAS in connections.settings
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA_DB_ALIAS
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads by :func:`read_database`, every write and migration on the default.

    Reads outside the context go to the default explicitly (not ``None``, which would follow an
    instance's own database): an object read from the replica and saved, or whose relations are
    followed later, reaches the default, never the replica."""

    def db_for_read(self, model, **hints) -> str:
        return read_database()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the same rows as the default: an order read from one and a line from
        # the other may be related.
        both = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}
        return True if obj1._state.db in both and obj2._state.db in both else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
