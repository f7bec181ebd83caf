"""Many rows written fast, in the open transaction, with ids given here (after each table's
current maximum) so that nothing is read back. PostgreSQL takes the rows with COPY, each value
bound by its column's type as an insert would bind it; other databases take SQLAlchemy Core
`insert()` in executemany batches.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from services.platform import data_version

BATCH_ROWS = 5000


class BulkInsert:
    """Rows of `models`' tables: ids to give them, the writing, and the rows written per table."""

    def __init__(self, connection: Connection, models: Sequence[type[SQLModel]]) -> None:
        self.connection = connection
        self.tables: list[sa.Table] = [model.__table__ for model in models]  # type: ignore[attr-defined]
        self.next_id: dict[str, int] = {}
        for table in self.tables:
            highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
            self.next_id[table.name] = int(highest or 0) + 1
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


def copy_rows(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> bool:
    """PostgreSQL: write `rows` with COPY, in the open transaction, each value bound by its
    column's type as `insert()` would bind it. False (nothing written) on another database,
    or when the rows leave out a column with a Python-side default, which COPY would not apply.
    """
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return False
    if any(c.default is not None and c.key not in rows[0] for c in table.columns):
        return False
    columns = [column for column in table.columns if column.key in rows[0]]
    keys = [column.key for column in columns]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    processed = [(index, p) for index, p in enumerate(processors) if p is not None]
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = [row[key] for key in keys]
            for index, process in processed:
                values[index] = process(values[index])
            copy.write_row(values)
    return True
