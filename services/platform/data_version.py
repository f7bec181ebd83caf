"""Data versions: every write bumps a counter of its data domain in the same transaction.

Cached reads (services/ui/runtime.py) are keyed on these counters, so a write through any
server process or the command line is seen by every process at its next read, for one tiny
query per run. The bump cannot be forgotten: SQLAlchemy session events (installed when this
module is imported, which services/platform/db.py does) note the tables each flush and each
INSERT/UPDATE/DELETE statement of a session touches, and just before the session commits
they add one to the version of each domain touched. A transaction that rolls back rolls its
bump back with it; one that wrote nothing bumps nothing.

The bump is an UPDATE of one row per domain, so two transactions writing the same domain
queue for that row from the moment one of them commits until it has committed: a few
milliseconds, in one order (sorted) so that two writers never deadlock.

Writes outside a Session (raw `Connection.execute`, the synthetic data's bulk COPY) call
`bump(connection, domains_of(tables))` themselves; a `text()` UPDATE through a session is not
seen (none exists: services write through the ORM or `sa.update`).
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from models.data_version import DataVersion

# The domain of each table. None: no cached read depends on it (the audit trail, the
# reminders already sent), so its writes need not invalidate anything, nor queue on a row.
DOMAIN_OF_TABLE: dict[str, str | None] = {
    "user_account": "accounts",
    "organisation": "cases",
    "referral_case": "cases",
    "case_referral": "cases",
    "case_event": "cases",
    "case_transfer": "cases",
    "course": "courses",
    "module": "courses",
    "participant": "courses",
    "enrollment": "courses",
    "module_progress": "courses",
    "audit_event": None,
    "reminder_sent": None,
    "data_version": None,
}
DOMAINS = ("accounts", "cases", "courses")

_PENDING = "enlace_written_domains"


def domains_of(tables: Iterable[str]) -> set[str]:
    """The domains whose cached reads the tables' rows feed. A table nobody classified
    counts as every domain: a new table can make caches slower, never stale."""
    domains: set[str] = set()
    for table in tables:
        if table in DOMAIN_OF_TABLE:
            domain = DOMAIN_OF_TABLE[table]
            domains.update([domain] if domain else [])
        else:
            domains.update(DOMAINS)
    return domains


def bump(connection: Connection, domains: Iterable[str]) -> None:
    """Add one to each domain's version, in this connection's transaction (a missing row is
    created: a database emptied by hand still counts)."""
    table = DataVersion.__table__  # type: ignore[attr-defined]
    insert: Any = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for domain in sorted(set(domains)):
        statement = insert(table).values(domain=domain, version=1)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.domain], set_={"version": table.c.version + 1}
            )
        )


def read(connection: Connection | Session) -> dict[str, int]:
    """Every domain's version (0 for a domain never written): one query of three rows."""
    table = DataVersion.__table__  # type: ignore[attr-defined]
    rows = connection.execute(sa.select(table.c.domain, table.c.version)).all()
    versions = dict.fromkeys(DOMAINS, 0)
    versions.update({domain: int(version) for domain, version in rows})
    return versions


def _note(session: Session, tables: Iterable[str]) -> None:
    domains = domains_of(tables)
    if domains:
        session.info.setdefault(_PENDING, set()).update(domains)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    # After a flush the new, dirty and deleted sets still hold what it wrote.
    written = [*session.new, *session.deleted]
    written += [row for row in session.dirty if session.is_modified(row)]
    _note(session, {sa.inspect(row).mapper.local_table.name for row in written})


def _on_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _note(state.session, [getattr(table, "name", "")])


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint released: the bump waits for the real commit. Taken here, the row's
        # lock would be held while the transaction goes on writing, and another writer that
        # holds one of those rows and waits for this one's version row would deadlock.
        return
    session.flush()  # what the commit would flush next counts too
    domains = session.info.pop(_PENDING, None)
    if domains:
        bump(session.connection(), domains)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed or rolled back
        session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on every Session (idempotent)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_statement),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not sa.event.contains(Session, name, listener):
            sa.event.listen(Session, name, listener)


install()
