"""The board's reads (lists, counts, filters, pages, assignees, scale) and the exports of cases."""

import time
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent, Case, Organisation, Referral, UserAccount
from models.base import utcnow
from models.enums import OrgType, Stage
from services.cases import board, exports
from services.cases import records as cases
from services.platform.errors import Conflict, PermissionDenied
from services.platform.settings import get_settings

YEAR = utcnow().year
STAGES = [stage.value for stage in Stage]


# --- the board ----------------------------------------------------------------------------


def test_list_cases_puts_high_urgency_first_then_longest_in_stage(
    session, users, move_case, open_case
):
    officer = users["officer_ar"]
    recent_medium = open_case(officer, urgency="medium")
    old_low = open_case(officer, urgency="low")
    old_medium = open_case(officer, urgency="medium")
    recent_high = open_case(officer, urgency="high")
    move_case(recent_medium, Stage.screening, days_ago=1)
    move_case(old_low, Stage.screening, days_ago=30)
    move_case(old_medium, Stage.referred, days_ago=12)
    move_case(recent_high, Stage.identified, days_ago=0)

    cards = board.list_cases(session=session, actor=officer)

    assert [card.case_code for card in cards] == [
        recent_high.case_code,
        old_medium.case_code,
        recent_medium.case_code,
        old_low.case_code,
    ]
    assert [card.days_in_stage for card in cards] == [0, 12, 1, 30]


def test_list_cases_shows_the_assignee_name(session, users, open_case):
    case = open_case(users["officer_ar"])
    open_case(users["officer_ar"])
    case.assigned_to_id = users["coordinator"].id
    session.add(case)
    session.commit()

    cards = {
        card.case_code: card for card in board.list_cases(session=session, actor=users["admin"])
    }

    assert cards[case.case_code].assignee == users["coordinator"].display_name
    assert [card.assignee for card in cards.values() if card.case_code != case.case_code] == [None]


def test_list_cases_is_one_query(session, users, db, open_case):
    for _ in range(3):
        case = open_case(users["officer_ar"])
        case.assigned_to_id = users["coordinator"].id
        session.add(case)
    session.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(db, "before_cursor_execute", count)
    try:
        cards = board.list_cases(session=session, actor=users["officer_ar"])
    finally:
        sa.event.remove(db, "before_cursor_execute", count)
    assert len(cards) == 3
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_list_cases_filters_and_pages(session, users, move_case, open_case):
    coordinator = users["coordinator"]
    created = [open_case(coordinator, reporting_country="AR") for _ in range(4)]
    open_case(coordinator, reporting_country="BR", urgency="high")
    move_case(created[0], Stage.closed, days_ago=5)
    move_case(created[1], Stage.referred, days_ago=4)

    def codes(**filters: object) -> list[str]:
        found = board.list_cases(
            session=session, actor=coordinator, limit=500, filters=board.CaseFilters(**filters)
        )
        return [card.case_code for card in found]

    assert len(codes()) == 5
    assert codes(country="BR") == [f"BR-{YEAR}-0001"]
    assert codes(urgency="high") == [f"BR-{YEAR}-0001"]
    assert codes(stage="referred") == [created[1].case_code]
    assert created[0].case_code not in codes(open_only=True)
    assert len(codes(open_only=True)) == 4
    assert codes(situation="migrant_smuggling") == []
    first_page = board.list_cases(session=session, actor=coordinator, limit=2, offset=0)
    second_page = board.list_cases(session=session, actor=coordinator, limit=2, offset=2)
    last_page = board.list_cases(session=session, actor=coordinator, limit=2, offset=4)
    paged = [card.case_code for card in first_page + second_page + last_page]
    assert paged == codes()


@pytest.mark.parametrize("role", ["coordinator", "officer_ar"])
def test_board_counts_equal_the_per_stage_counts_of_list_cases(
    session, users, role, move_case, open_case
):
    stages = [Stage.identified, Stage.screening, Stage.screening, Stage.assistance, Stage.closed]
    for index, stage in enumerate(stages):
        move_case(open_case(users["officer_ar"]), stage, days_ago=index)
        move_case(
            open_case(users["officer_br"], reporting_country="BR"),
            stage,
            days_ago=index,
        )
    actor = users[role]

    counts = board.board_counts(session=session, actor=actor)
    listed = Counter(
        card.stage for card in board.list_cases(session=session, actor=actor, limit=500)
    )

    assert list(counts) == [stage.value for stage in Stage]
    assert counts == {stage.value: listed.get(stage.value, 0) for stage in Stage}
    assert counts["screening"] == (4 if role == "coordinator" else 2)
    high = board.board_counts(
        session=session, actor=actor, filters=board.CaseFilters(urgency="high")
    )
    assert sum(high.values()) == 0


# --- board filters, assignees, scale ------------------------------------------------------


def test_list_cases_filters_by_exploitation_type_and_unassigned(session, users, open_case):
    coordinator = users["coordinator"]
    labour = open_case(coordinator, exploitation_types=["ForcedLabour"])
    sexual = open_case(coordinator, exploitation_types=["SexualExploitation"])
    cases.assign_case(
        session=session,
        actor=coordinator,
        case_code=sexual.case_code,
        assignee_id=coordinator.id,
        expected_version=1,
    )

    def codes(**filters: object) -> list[str]:
        return [
            c.case_code
            for c in board.list_cases(
                session=session, actor=coordinator, filters=board.CaseFilters(**filters)
            )
        ]

    assert codes(exploitation_type="SexualExploitation") == [sexual.case_code]
    assert codes(unassigned=True) == [labour.case_code]
    assert codes(assigned_to_id=coordinator.id) == [sexual.case_code]
    counts = board.board_counts(
        session=session,
        actor=coordinator,
        filters=board.CaseFilters(exploitation_type="ForcedLabour"),
    )
    assert counts["identified"] == 1


def test_officer_may_assign_only_to_own_country_officers_and_coordinators(
    session, users, open_case
):
    case = open_case(users["officer_ar"])
    names = {a.name for a in board.list_assignees(session=session, actor=users["officer_ar"])}
    assert names == {"admin", "coordinator", "officer.ar"}
    for other in ("officer_br", "manager"):  # another country's officer; a manager
        with pytest.raises(Conflict):
            cases.assign_case(
                session=session,
                actor=users["officer_ar"],
                case_code=case.case_code,
                assignee_id=users[other].id,
                expected_version=1,
            )


def case_row(country: str, index: int, now: datetime, **overrides: object) -> dict[str, object]:
    """The columns of case number `index` of `country` in 2025, for a bulk insert (no
    service: thousands of rows in one statement); `overrides` replace columns."""
    return {
        "case_code": f"{country}-2025-{index:04d}",
        "reporting_country": country,
        "identified_on": date(2025, 1, 1),
        "person_alias": "X.Y.",
        "stage": STAGES[index % len(STAGES)],
        "situation": "trafficking",
        "gender": "NonSpecifiedUnknown",
        "exploitation_types": ["ForcedLabour"],
        "forced_labour_industries": [],
        "means_of_control": [],
        "indicators": [],
        "consent_scope": [],
        "needs": [],
        "stage_changed_at": now,
        "created_at": now,
        "updated_at": now,
        **overrides,
    }


def test_the_board_stays_fast_with_thousands_of_cases(session, users):
    now = utcnow()
    session.execute(
        sa.insert(Case),
        [
            case_row(country, index, now, urgency="medium")
            for country in ("AR", "BR")
            for index in range(1, 1501)
        ],
    )
    session.commit()
    started = time.monotonic()
    for actor in (users["coordinator"], users["officer_ar"]):
        counts = board.board_counts(
            session=session,
            actor=actor,
            filters=board.CaseFilters(exploitation_type="ForcedLabour"),
        )
        for stage in Stage:
            board.list_cases(
                session=session,
                actor=actor,
                limit=8,
                offset=80,
                filters=board.CaseFilters(stage=stage),
            )
    elapsed = time.monotonic() - started
    assert sum(counts.values()) == 1500
    assert elapsed < 5, elapsed


# --- export ---------------------------------------------------------------------------------


def test_htcds_export_names_columns_and_joins_multi_values_the_htcds_way(session, users, open_case):
    case = open_case(
        users["officer_ar"],
        exploitation_types=["SexualExploitation", "ForcedLabour"],
        means_of_control=["WithholdsDocuments", "DebtBondage"],
        forced_labour_industries=["T_ActivitiesOfHouseholdsAsEmployers"],
        citizenship="BO",
        gender="Feminine",
    )
    frame = exports.case_export(session=session, actor=users["officer_ar"], layout="htcds")
    row = frame.iloc[0]
    assert row["cas_CaseNumber"] == case.case_code
    assert row["cas_Status"] == "Active"
    assert row["vic_TypeOfExploitation"] == "ForcedLabour;SexualExploitation"
    assert row["vic_MethodsOfControl"] == "DebtBondage;WithholdsDocuments"
    assert row["vic_ForcedLabourIndustry"] == "T_ActivitiesOfHouseholdsAsEmployers"
    assert (row["prs_Gender"], row["prs_Citizenship"], row["con_Consent"]) == (
        "Feminine",
        "BO",
        "FALSE",
    )
    assert row["enl_PersonAlias"] == "M.G."
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert audit.changes["rows"] == 1 and audit.changes["deidentified"] is False


def test_managers_export_only_de_identified_htcds_rows(session, users, monkeypatch, open_case):
    open_case(users["officer_ar"], consular_post="Consulado en São Paulo")
    open_case(users["officer_br"], reporting_country="BR")
    manager = users["manager"]
    assert len(exports.case_export(session=session, actor=manager, layout="htcds")) == 0  # k=11
    monkeypatch.setenv("ENLACE_MICRODATA_K", "2")
    get_settings.cache_clear()

    frame = exports.case_export(session=session, actor=manager, layout="htcds")

    assert len(frame) == 2  # AR and BR both become South America
    assert set(frame["enl_ReportingCountry"]) == {"South America"}
    banned = {
        "cas_CaseNumber",
        "enl_PersonAlias",
        "enl_ConsularPost",
        "enl_PlaceIdentified",
        "cas_ReasonForCaseClosure",
        "enl_ReturnReception",
        "enl_IdentifiedOn",
    }
    assert not banned & set(frame.columns)
    assert "M.G." not in frame.to_csv()
    assert "São Paulo" not in frame.to_csv()
    with pytest.raises(PermissionDenied):
        exports.case_export(session=session, actor=manager, layout="list")


def test_the_list_export_is_scoped_and_has_no_alias(session, users, open_case):
    open_case(users["officer_ar"])
    open_case(users["officer_br"], reporting_country="BR")

    frame = exports.case_export(session=session, actor=users["officer_ar"], layout="list")

    assert list(frame["Case"]) == [f"AR-{YEAR}-0001"]
    assert "M.G." not in frame.to_csv()


# --- board columns read one urgency at a time ------------------------------------------------


def _insert_mixed_cases(session: Session) -> None:
    """Cases of every stage and urgency (and two codes outside Urgency), ties in
    stage_changed_at, in three countries, some BR/CL cases shared with Argentina."""
    now = utcnow()
    urgencies = ["high", "medium", "low", "zzz", "aaa", "medium", "high"]
    rows = [
        case_row(
            country,
            index,
            now,
            urgency=urgencies[index % len(urgencies)],
            # Ties: several cases share a time, so the id decides.
            stage_changed_at=now - timedelta(days=index % 5),
        )
        for country in ("AR", "BR", "CL")
        for index in range(1, 61)
    ]
    session.execute(sa.insert(Case), rows)
    organisation = Organisation(
        name="Shelter AR", org_type=OrgType.NGO, country="AR", services=["shelter"]
    )
    session.add(organisation)
    session.commit()
    shared = session.exec(select(Case.id).where(Case.reporting_country != "AR")).all()
    session.execute(
        sa.insert(Referral),
        [
            {
                "case_id": case_id,
                "organisation_id": organisation.id,
                "service": "shelter",
                "sent_on": date(2025, 2, 1),
                "state": "pending",
                "cross_border_country": "AR",
            }
            for case_id in shared[::3]
        ],
    )
    session.commit()


def _paged(session: Session, actor: UserAccount, size: int, **filters: object) -> list[str]:
    """Every card of a list, read page after page of `size` (one page past the end)."""
    codes: list[str] = []
    for offset in range(0, 200, size):
        page = board.list_cases(
            session=session,
            actor=actor,
            limit=size,
            offset=offset,
            filters=board.CaseFilters(**filters),
        )
        codes += [card.case_code for card in page]
        if not page:
            break
    return codes


@pytest.mark.parametrize("role", ["coordinator", "officer_ar"])
def test_board_columns_page_in_the_same_order_as_the_whole_list(session, users, role):
    _insert_mixed_cases(session)
    actor = users[role]
    # The whole list in one query: urgency rank (other codes last), time in stage, id.
    everything = board.list_cases(session=session, actor=actor, limit=500)
    assert {card.urgency for card in everything} >= {"zzz", "aaa", "high"}
    for stage in STAGES:
        expected = [card.case_code for card in everything if card.stage == stage]
        for size in (2, 7):
            assert _paged(session, actor, size, stage=stage) == expected, (stage, size)
        expected_high = [
            card.case_code for card in everything if card.stage == stage and card.urgency == "high"
        ]
        assert _paged(session, actor, 4, stage=stage, urgency="high") == expected_high
    expected_open = [card.case_code for card in everything if card.stage != Stage.closed]
    for size in (5, 20):
        assert _paged(session, actor, size, open_only=True) == expected_open
    if role == "officer_ar":  # own cases and the shared ones, nothing else
        assert {card.reporting_country for card in everything} == {"AR", "BR", "CL"}
        assert len(everything) == 60 + len(
            session.exec(
                select(Referral.case_id).where(Referral.cross_border_country == "AR")
            ).all()
        )


def test_reloading_an_open_case_without_audit_logs_no_second_read(session, users, open_case):
    case = open_case(users["officer_ar"])
    board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)
    board.get_case(
        session=session, actor=users["officer_ar"], case_code=case.case_code, audit_read=False
    )
    reads = session.exec(select(AuditEvent).where(AuditEvent.action == "case_read")).all()
    assert len(reads) == 1
