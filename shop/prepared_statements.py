"""Hot statements run as PostgreSQL prepared statements: parsed and planned once per database
connection rather than on every request, where planning costs more than running them; the
models they read are built from their rows as the ORM builds them."""

import functools
import hashlib
import weakref

from django.db import DatabaseError, connection
from psycopg2.errors import InvalidSqlStatementName

# The statements each open connection has prepared, by its DB-API connection (a reconnection
# starts with none); None after a failure left unknown which of them the session still has.
_prepared: "weakref.WeakKeyDictionary[object, set[str] | None]" = weakref.WeakKeyDictionary()


def execute_prepared(cursor, sql: str, params: list) -> None:
    """Execute `sql`, whose parameters are %s placeholders, as a prepared statement of the
    cursor's connection; the first time, PREPARE goes in the same round trip. The SQL text
    names the statement, so each variant of a statement is prepared once."""
    if cursor.db.vendor != "postgresql":
        # SQLite, for local runs, plans each statement cheaply and has no PREPARE.
        cursor.execute(sql, params)
        return
    name, execute = _names(sql, len(params))
    session = cursor.db.connection
    prepared = _prepared.get(session, set())
    if prepared is not None and name in prepared:
        statement = execute
    else:
        statement = f"PREPARE {name} AS {_numbered(sql)}; {execute}"
        if prepared is None:
            # The session may hold statements this process no longer counts on: start afresh.
            statement, prepared = f"DEALLOCATE ALL; {statement}", set()
    # Unknown until it succeeds: a prepared statement outlives a failed transaction, and one
    # counted on may have been dropped (DISCARD ALL).
    _prepared[session] = None
    try:
        cursor.execute(statement, params)
    except DatabaseError as error:
        lost = isinstance(error.__cause__, InvalidSqlStatementName)
        if not lost or not cursor.db.get_autocommit():
            raise
        # Outside a transaction the failed EXECUTE changed nothing: prepare it again and run it.
        numbered = _numbered(sql)
        cursor.execute(f"DEALLOCATE ALL; PREPARE {name} AS {numbered}; {execute}", params)
        prepared = set()
    _prepared[session] = prepared | {name}


@functools.lru_cache(maxsize=256)
def _names(sql: str, param_count: int) -> tuple[str, str]:
    """The statement's name and the EXECUTE running it, worked out once per statement: callers
    pass the same string for the same statement, and looking it up costs less than digesting it."""
    name = "shop_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    execute = (
        f"EXECUTE {name} ({', '.join(['%s'] * param_count)})" if param_count else f"EXECUTE {name}"
    )
    return name, execute


def text_literals(*values: str) -> str:
    """Constants of the code (statuses, outcomes), comma-separated as SQL text literals, for a
    statement's text: every parameter of a statement is quoted by the driver and read back by
    PostgreSQL on each execution, a constant written in once costs neither."""
    texts = [str(value) for value in values]
    for text in texts:
        if "'" in text or "\\" in text:
            raise ValueError(f"not a plain constant: {text!r}")
    return ", ".join(f"'{text}'" for text in texts)


def _numbered(sql: str) -> str:
    """The statement with $1, $2... for its %s placeholders, any other % doubled for the
    driver's own formatting."""
    parts = sql.split("%s")
    numbered = parts[0] + "".join(f"${index}{part}" for index, part in enumerate(parts[1:], 1))
    return numbered.replace("%", "%%")


def selected_columns(model, alias: str = "") -> str:
    """The model's concrete columns, in the order model_from_row reads them, for a SELECT."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote(field.column)}" for field in model._meta.concrete_fields)


def model_from_row(model, values) -> object:
    """An instance of `model` from a row of its concrete columns, in their order, each value
    turned into Python as the ORM would: SQLite hands back decimals as floats and times as text,
    where PostgreSQL's driver already gives the Python types."""
    fields, converters = _converters(model, connection.vendor)
    if converters:
        values = list(values)
        for index, expression, functions in converters:
            for function in functions:
                values[index] = function(values[index], expression, connection)
    return model.from_db(connection.alias, [field.attname for field in fields], values)


@functools.lru_cache(maxsize=64)
def _converters(model, vendor: str) -> tuple[list, list]:
    fields = list(model._meta.concrete_fields)
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(expression) + field.get_db_converters(
            connection
        )
        if functions:
            converters.append((index, expression, functions))
    return fields, converters
