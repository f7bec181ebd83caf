"""Finding a case: by its code, the person's alias, an organisation it was referred to, or
words in its timeline's notes, over every case in the actor's scope.

Each match is an index read, never a scan in Python: on PostgreSQL trigram GIN indexes answer
`ILIKE '%words%'`, on SQLite FTS5 tables with the trigram tokenizer answer a phrase `MATCH`
(both made by migration 0006). The scope is a condition of the same SQL statement.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Case, CaseEvent, Organisation, Referral, UserAccount
from models.enums import Stage, Urgency
from services.platform.access import case_scope

# A trigram index needs three characters to look anything up.
MIN_LENGTH = 3
MAX_RESULTS = 50


@dataclass(frozen=True)
class CaseHit:
    """One case found: enough to recognise it and open it; no alias, no notes (as a card)."""

    case_code: str
    stage: str
    urgency: str
    reporting_country: str
    identified_on: date


def _like_pattern(text: str) -> str:
    """`%text%` for (I)LIKE, with the pattern's own wildcards matched as typed."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(text: str) -> str:
    """The words as one FTS5 phrase: a substring, whatever operators it contains."""
    return '"' + text.replace('"', '""') + '"'


def _fts_rowids(table: str, text: str) -> sa.Subquery:
    """Rowids of the SQLite FTS5 `table` whose text contains `text`."""
    match = sa.text(f"{table} MATCH :{table}_phrase").bindparams(
        **{f"{table}_phrase": _fts_phrase(text)}
    )
    rowid: sa.Label[Any] = sa.literal_column(f"{table}.rowid").label("rowid")
    return sa.select(rowid).select_from(sa.table(table)).where(match).subquery()


def matching_case_ids(dialect: str, text: str) -> sa.CompoundSelect:
    """The ids of every case (any scope) whose code, alias, organisation or notes contain
    `text`: one index lookup per kind of match."""
    pattern = _like_pattern(text)
    codes_and_aliases: sa.Select[Any]
    notes: sa.Select[Any]
    organisations: sa.Select[Any] = sa.select(col(Referral.case_id).label("case_id"))
    if dialect == "postgresql":
        codes_and_aliases = sa.select(col(Case.id).label("case_id")).where(
            sa.or_(
                col(Case.case_code).ilike(pattern, escape="\\"),
                col(Case.person_alias).ilike(pattern, escape="\\"),
            )
        )
        notes = sa.select(col(CaseEvent.case_id).label("case_id")).where(
            col(CaseEvent.note).ilike(pattern, escape="\\")
        )
        # A short table: read directly.
        organisations = organisations.join(
            Organisation, col(Organisation.id) == col(Referral.organisation_id)
        ).where(col(Organisation.name).ilike(pattern, escape="\\"))
    else:
        case_rows = _fts_rowids("case_search_fts", text)
        note_rows = _fts_rowids("case_note_fts", text)
        organisation_rows = _fts_rowids("organisation_name_fts", text)
        codes_and_aliases = sa.select(case_rows.c.rowid.label("case_id"))
        notes = sa.select(col(CaseEvent.case_id).label("case_id")).join(
            note_rows, note_rows.c.rowid == col(CaseEvent.id)
        )
        organisations = organisations.join(
            organisation_rows, organisation_rows.c.rowid == col(Referral.organisation_id)
        )
    return sa.union(codes_and_aliases, notes, organisations)


def search_statement(
    actor: UserAccount, dialect: str, text: str, limit: int = MAX_RESULTS
) -> "sa.Select[str, Stage, Urgency, str, date]":
    """The search as one statement: the matching ids, the actor's scope, the exact code first."""
    found = matching_case_ids(dialect, text).subquery()
    columns = (
        col(Case.case_code),
        col(Case.stage),
        col(Case.urgency),
        col(Case.reporting_country),
        col(Case.identified_on),
        col(Case.id),
    )
    if dialect == "postgresql":
        # Each id found reads its case by the primary key: a LATERAL subquery that its LIMIT
        # keeps from being flattened into a join, which would read the whole table (the
        # planner expects thousands of ids from the organisation branch).
        case = (
            sa.select(*columns)
            .where(col(Case.id) == found.c.case_id, case_scope(actor, correlated=True))
            .limit(1)
            .lateral("found_case")
        )
        rows = sa.select(*case.c).select_from(found).join(case, sa.true())
    else:
        rows = sa.select(*columns).where(
            col(Case.id).in_(sa.select(found.c.case_id)), case_scope(actor)
        )
    hit = rows.subquery("hit")
    exact_code = sa.case((hit.c.case_code == text.upper(), 0), else_=1)
    return (
        sa.select(
            hit.c.case_code,
            hit.c.stage,
            hit.c.urgency,
            hit.c.reporting_country,
            hit.c.identified_on,
        )
        .order_by(exact_code, hit.c.identified_on.desc(), hit.c.id.desc())
        .limit(max(1, min(limit, MAX_RESULTS)))
    )


def search_cases(
    *, session: Session, actor: UserAccount, text: str, limit: int = MAX_RESULTS
) -> list[CaseHit]:
    """The cases in the actor's scope that `text` finds, the exact code first, then the most
    recently identified; none for fewer than MIN_LENGTH characters."""
    text = " ".join((text or "").split())
    if len(text) < MIN_LENGTH:
        case_scope(actor)  # the role check holds whatever is typed
        return []
    statement = search_statement(actor, session.get_bind().dialect.name, text, limit)
    # The statement's columns are CaseHit's fields, in order (codes are plain strings).
    return [CaseHit(*row) for row in session.execute(statement).all()]
