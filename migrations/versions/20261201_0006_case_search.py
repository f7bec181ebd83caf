"""case search: indexes for finding a case by code, alias, organisation or words in its notes

PostgreSQL: trigram GIN indexes (extension pg_trgm) on the case code, the alias and the
timeline's notes, so `ILIKE '%words%'` is an index scan. SQLite: two FTS5 tables with the
trigram tokenizer, kept by triggers in step with referral_case and case_event (external
content: the text is not stored twice); organisations' names too, for SQLite's lower() only
folds ASCII (PostgreSQL's ILIKE reads that short table directly). Neither is part of the
models: `migrations/env.py` leaves these names out of autogenerate.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column) of the PostgreSQL trigram indexes.
TRIGRAM_INDEXES = (
    ("ix_referral_case_code_trgm", "referral_case", "case_code"),
    ("ix_referral_case_alias_trgm", "referral_case", "person_alias"),
    ("ix_case_event_note_trgm", "case_event", "note"),
)

# (FTS table, content table, indexed columns) on SQLite.
FTS_TABLES = (
    ("case_search_fts", "referral_case", ("case_code", "person_alias")),
    ("case_note_fts", "case_event", ("note",)),
    ("organisation_name_fts", "organisation", ("name",)),
)


def _sqlite_fts(fts: str, table: str, columns: tuple[str, ...]) -> list[str]:
    """The FTS table, its triggers and its first filling (names: the constants above)."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{name}" for name in columns)
    old = ", ".join(f"old.{name}" for name in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # noqa: S608
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for index, table, column in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {index} ON {table} USING gin ({column} gin_trgm_ops)")
        return
    for fts, table, columns in FTS_TABLES:
        for statement in _sqlite_fts(fts, table, columns):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index, _table, _column in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {index}")
        return
    for fts, _table, _columns in FTS_TABLES:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
