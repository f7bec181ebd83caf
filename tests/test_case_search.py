"""Search (issue 14): a case is found by its code, alias, organisation or words in its notes,
over every case of the actor's scope, through an index on SQLite and on PostgreSQL."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import Case, Organisation, Referral, UserAccount
from models.enums import OrgType, ReferralState, Service
from services.cases import search
from services.platform.errors import PermissionDenied


@pytest.fixture
def cases_to_find(session: Session, users, open_case, add_note) -> dict[str, Case]:
    """An Argentine and a Brazilian case, a note on each, the Brazilian one referred to a
    Paraguayan shelter (so shared with Paraguay)."""
    ar = open_case(users["officer_ar"], person_alias="K.L.")
    br = open_case(users["officer_br"], reporting_country="BR", person_alias="T.W.")
    add_note(users["officer_ar"], ar, "Textile workshop in Flores, documents withheld.")
    add_note(users["officer_br"], br, "Domestic work in Asunción (100% of wages kept).")
    shelter = Organisation(
        name="Casa Refugio Ñandutí", org_type=OrgType.NGO, country="PY", services=["shelter"]
    )
    session.add(shelter)
    session.flush()
    session.add(
        Referral(
            case_id=br.id,
            organisation_id=shelter.id,
            service=Service.shelter,
            sent_on=date(2026, 3, 4),
            state=ReferralState.pending,
            cross_border_country="PY",
        )
    )
    session.commit()
    return {"ar": ar, "br": br}


def _codes(session: Session, actor: UserAccount, text: str) -> list[str]:
    return [hit.case_code for hit in search.search_cases(session=session, actor=actor, text=text)]


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("k.l.", "ar"),  # alias, any case
        ("textile WORKSHOP", "ar"),  # words of a note
        ("refugio ñandu", "br"),  # the organisation it was referred to
        ("100% of", "br"),  # a % is a character, not a wildcard
    ],
)
def test_a_coordinator_finds_a_case_by_alias_note_or_organisation(
    session, users, cases_to_find, text, which
):
    assert _codes(session, users["coordinator"], text) == [cases_to_find[which].case_code]


def test_a_code_finds_its_case_first_and_a_part_of_it_finds_several(session, users, cases_to_find):
    ar_code = cases_to_find["ar"].case_code
    assert _codes(session, users["coordinator"], ar_code.lower()) == [ar_code]
    year = ar_code.split("-")[1]
    assert len(_codes(session, users["coordinator"], f"-{year}-")) == 2


def test_an_officer_finds_only_cases_of_their_scope(session, users, cases_to_find, make_user):
    officer_ar = users["officer_ar"]
    assert _codes(session, officer_ar, "Domestic work") == []  # a Brazilian case's note
    assert _codes(session, officer_ar, cases_to_find["br"].case_code) == []
    officer_py = make_user("officer.py@enlace.test", "officer", "PY")
    # Shared with Paraguay by the referral: found there, and only that one.
    assert _codes(session, officer_py, "-20") == [cases_to_find["br"].case_code]
    with pytest.raises(PermissionDenied):
        search.search_cases(session=session, actor=users["manager"], text="textile")


def test_fewer_than_three_characters_find_nothing(session, users, cases_to_find):
    assert _codes(session, users["coordinator"], " K. ") == []


def test_the_index_follows_new_notes_changed_aliases_and_deleted_cases(
    session, users, cases_to_find, add_note
):
    coordinator, ar = users["coordinator"], cases_to_find["ar"]
    add_note(coordinator, ar, "Psychosocial appointment on Monday.", expected_version=2)
    session.commit()
    assert _codes(session, coordinator, "psychosocial") == [ar.case_code]

    ar.person_alias = "R.S."
    session.add(ar)
    session.commit()
    assert _codes(session, coordinator, "k.l.") == []
    assert _codes(session, coordinator, "r.s.") == [ar.case_code]

    session.delete(ar)
    session.commit()
    assert _codes(session, coordinator, "psychosocial") == []


def test_the_search_reads_its_indexes(session, users, cases_to_find):
    """The plan names the search indexes: FTS5 tables on SQLite, trigram GIN on PostgreSQL
    (with sequential scans made expensive, as at 100,000 cases, where a scan is slower)."""
    dialect = session.get_bind().dialect.name
    statement = search.search_statement(users["officer_ar"], dialect, "textile workshop")
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if dialect == "postgresql":
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in session.execute(sa.text(f"EXPLAIN {compiled}")))
        assert "ix_case_event_note_trgm" in plan
        assert "ix_referral_case_code_trgm" in plan and "ix_referral_case_alias_trgm" in plan
    else:
        rows = session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        plan = "\n".join(str(row[-1]) for row in rows)
        assert "case_search_fts VIRTUAL TABLE INDEX" in plan
        assert "case_note_fts VIRTUAL TABLE INDEX" in plan
    session.rollback()
