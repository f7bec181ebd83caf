"""The database engine and sessions. Plain code: the app caches it in services.ui.runtime."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlmodel import Session

import models
from services.platform import data_version  # noqa: F401  (every session's writes bump it)

models.register_tables()  # every table on the metadata, before any engine is used

# The execution option that says how a SQLite connection's transactions begin: DEFERRED (the
# default), or IMMEDIATE (services.platform.migrate: the file's write lock at once).
SQLITE_BEGIN = "sqlite_begin"


def build_engine(url: str, *, read_only: bool = False) -> Engine:
    """SQLite: WAL and foreign keys on; PostgreSQL: pre-ping pooled connections. `read_only`
    (PostgreSQL, the streaming replica of ENLACE_READ_DATABASE_URL): every transaction is
    read-only, so a write sent there by mistake fails instead of landing on the wrong server."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # SQLAlchemy, not the sqlite3 driver, begins transactions (below), so that a
            # SAVEPOINT nests inside the unit of work instead of committing it on release.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if parsed.database and parsed.database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
            # IMMEDIATE for a migration: two processes never both read a schema one then changes.
            mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
            if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
                raise ValueError(f"{SQLITE_BEGIN} must be DEFERRED, IMMEDIATE or EXCLUSIVE")
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    options = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=options
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Services only flush:
    the page or command that opened the unit of work decides when it is complete."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
