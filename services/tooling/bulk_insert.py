"""Many rows written fast, in the open transaction, with ids given here (after each table's
current maximum) so that nothing is read back. Each value is bound by its column's type
exactly as `insert()` would bind it; then PostgreSQL takes the rows with COPY, SQLite with
the driver's `executemany` of plain tuples (SQLAlchemy's per-row work skipped), and any other
database with SQLAlchemy Core `insert()` in executemany batches.

`BulkInsert.deferred()` moves the per-row upkeep of the tables to one pass at the end, in
the same transaction: on PostgreSQL the foreign keys and the secondary indexes (the trigram
GIN indexes of migration 0006 too) are dropped and re-created from their own definitions
(re-adding a foreign key checks every row in one join, instead of one lookup per copied
row); on SQLite the secondary indexes likewise, and the search index triggers of migration
0006 are replaced by one INSERT … SELECT of the new rows. Both databases roll the DDL back
with the rest when anything fails. It locks the tables it fills until the commit: a seeding
tool's way, not the app's.
"""

import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

from services.platform import data_version

BATCH_ROWS = 5000

# SQLite's search indexes (migration 0006): FTS table and its columns, by content table; each
# is kept by an AFTER INSERT trigger named "<fts table>_ai".
SQLITE_SEARCH_INDEXES = {
    "referral_case": ("case_search_fts", ("case_code", "person_alias")),
    "case_event": ("case_note_fts", ("note",)),
    "organisation": ("organisation_name_fts", ("name",)),
}


class BulkInsert:
    """Rows of `models`' tables: ids to give them, the writing, and the rows written per table."""

    def __init__(self, connection: Connection, models: Sequence[type[SQLModel]]) -> None:
        self.connection = connection
        self.tables: list[sa.Table] = [model.__table__ for model in models]  # type: ignore[attr-defined]
        self.next_id: dict[str, int] = {}
        for table in self.tables:
            highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
            self.next_id[table.name] = int(highest or 0) + 1
        # The first id of this run per table: rows without a given id (the timeline's events)
        # still get ids above it.
        self.first_id = dict(self.next_id)
        self.counts: dict[str, int] = {table.name: 0 for table in self.tables}
        # No session sees these rows go in: the cached reads learn of them from this bump, in
        # the same transaction.
        data_version.bump(connection, data_version.domains_of(t.name for t in self.tables))

    def ids(self, table: str, count: int) -> range:
        """`count` new ids of `table`."""
        start = self.next_id[table]
        self.next_id[table] = start + count
        return range(start, start + count)

    def insert(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        table = model.__table__  # type: ignore[attr-defined]
        if not (rows and copy_rows(self.connection, table, rows)):
            for start in range(0, len(rows), BATCH_ROWS):
                self.connection.execute(sa.insert(table), rows[start : start + BATCH_ROWS])
        self.counts[table.name] += len(rows)

    def advance_sequences(self) -> None:
        """PostgreSQL: ids were given explicitly, so move each id sequence past them."""
        if self.connection.dialect.name != "postgresql":
            return
        for table in self.tables:
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            )

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Foreign-key checks, secondary indexes and search-index triggers of the tables
        dropped while the rows are written, then re-created (and checked) in one pass each.
        On an error the transaction's rollback restores them."""
        names = [table.name for table in self.tables]
        dialect = self.connection.dialect.name
        if dialect == "postgresql":
            restore = _postgres_drop(self.connection, names)
        elif dialect == "sqlite":
            restore = _sqlite_drop(self.connection, names, self.first_id)
        else:
            restore = []
        yield
        for statement in restore:
            statement()


def _postgres_drop(connection: Connection, tables: list[str]) -> list[Callable[[], None]]:
    """Drop the foreign keys and the indexes that back no constraint of `tables`; the
    statements that re-create them exactly, indexes first (foreign keys are then checked)."""
    foreign_keys = connection.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables) "
            "ORDER BY conrelid::regclass::text, conname"
        ),
        {"tables": tables},
    ).all()
    indexes = connection.execute(
        sa.text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(:tables) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1"
        ),
        {"tables": tables},
    ).all()
    quote = connection.dialect.identifier_preparer.quote
    for table, name, _ in foreign_keys:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    restore: list[Callable[[], None]] = []
    for _, definition in indexes:
        restore.append(_statement(connection, definition))
    for table, name, definition in foreign_keys:
        restore.append(
            _statement(
                connection, f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            )
        )
    return restore


def _sqlite_drop(
    connection: Connection, tables: list[str], first_id: dict[str, int]
) -> list[Callable[[], None]]:
    """Drop the secondary indexes and the search triggers of `tables`; the statements that
    index the new rows and re-create both exactly (SQLite keeps each one's SQL)."""
    found = connection.execute(
        sa.text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL "
            "AND tbl_name IN (SELECT value FROM json_each(:tables)) ORDER BY type, name"
        ),
        {"tables": json.dumps(tables)},
    ).all()
    search_triggers = {f"{fts}_ai": table for table, (fts, _) in SQLITE_SEARCH_INDEXES.items()}
    restore: list[Callable[[], None]] = []
    for kind, name, table, sql in found:
        if kind == "trigger" and search_triggers.get(name) != table:
            continue  # only the search index triggers are replaced by a statement here
        connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
        if kind == "trigger":
            fts, columns = SQLITE_SEARCH_INDEXES[table]
            names = ", ".join(columns)
            restore.append(
                _statement(
                    connection,
                    f"INSERT INTO {fts}(rowid, {names}) "  # noqa: S608
                    f"SELECT id, {names} FROM {table} WHERE id >= {int(first_id[table])} "
                    "ORDER BY id",
                )
            )
        restore.append(_statement(connection, sql))
    return restore


def _statement(connection: Connection, sql: str) -> Callable[[], None]:
    def run() -> None:
        connection.exec_driver_sql(sql)

    return run


_MISSING = object()


def _datetime_key(value: Any) -> Any:
    # UTCDateTime converts to UTC, then binds: equal UTC datetimes bind the same.
    return value if type(value) is datetime and value.tzinfo is UTC else None


def _date_key(value: Any) -> Any:
    return value if type(value) is date else None


def _json_key(value: Any) -> Any:
    # Only shapes whose JSON text equality decides: lists of strings, and dicts of string
    # keys to strings or None, in their order (1, 1.0 and True are equal but not the same JSON).
    kind = type(value)
    if kind is list and all(type(item) is str for item in value):
        return ("list", *value)
    if kind is dict and all(
        type(key) is str and (item is None or type(item) is str) for key, item in value.items()
    ):
        return ("dict", *value.items())
    return None


def _remembered(process: Callable[[Any], Any], column_type: Any) -> Callable[[Any], Any]:
    """`process`, remembering its result for values whose bound form their equality decides
    (the synthetic rows repeat the same days, times and code lists ~1 M times); any other
    value is processed as it comes."""
    if isinstance(column_type, UTCDateTime):
        key_of = _datetime_key
    elif type(column_type) is sa.Date:
        key_of = _date_key
    elif isinstance(column_type, sa.JSON):
        key_of = _json_key
    else:
        return process
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        key = key_of(value)
        if key is None:
            return process(value)
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            found = cache[key] = process(value)
        return found

    return run


def copy_rows(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> bool:
    """Write `rows` in the open transaction, each value bound by its column's type as
    `insert()` would bind it: PostgreSQL with COPY, SQLite with the driver's executemany.
    False (nothing written) on another database, or when the rows leave out a column with a
    Python-side default, which neither would apply.
    """
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return False
    if any(c.default is not None and c.key not in rows[0] for c in table.columns):
        return False
    columns = [column for column in table.columns if column.key in rows[0]]
    keys = [column.key for column in columns]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    processed = [
        (index, _remembered(p, columns[index].type))
        for index, p in enumerate(processors)
        if p is not None
    ]
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in columns)

    # A row's values in column order, read in C (itemgetter of one key gives no tuple).
    pick: Callable[[dict[str, Any]], Sequence[Any]] = (
        operator.itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    )

    def values() -> Iterator[Sequence[Any]]:
        if not processed:
            yield from map(pick, rows)
            return
        for row in rows:
            bound = list(pick(row))
            for index, process in processed:
                bound[index] = process(bound[index])
            yield bound

    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if dialect.name == "sqlite":
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})"  # noqa: S608
        try:
            cursor.executemany(statement, values())
        finally:
            cursor.close()
        return True
    with cursor, cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
        for bound in values():
            copy.write_row(bound)
    return True
