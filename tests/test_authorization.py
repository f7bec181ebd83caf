"""The authorization matrix: every actor × every service action, generated from one table.

Allowed actions succeed; the rest raise PermissionDenied (or NotFound where a scoped
record must not even be known to exist)."""

from datetime import date
from itertools import product

import pytest

from models import CaseCreate, CourseCreate, ParticipantCreate, UserAccountCreate
from models.enums import Role
from services.cases import board, intake
from services.cases import records as cases
from services.courses import catalog as courses
from services.platform import audit
from services.platform import users as user_service
from services.platform.errors import NotFound, PermissionDenied
from services.reporting import progress, reports

ACTORS = ["admin", "coordinator", "manager", "officer_ar", "officer_br", "unknown", "deactivated"]
EVERYONE = {"admin", "coordinator", "manager", "officer_ar", "officer_br"}
STAFF = {"admin", "coordinator"}
READERS = {"admin", "coordinator", "manager"}
CASE_WORKERS = {"admin", "coordinator", "officer_ar", "officer_br"}


def _case_in(country: str) -> CaseCreate:
    return CaseCreate(
        reporting_country=country, identified_on=date(2026, 11, 2), person_alias="R.T."
    )


# action name → (call, roles allowed). `ctx` holds the records made by the `world` fixture.
ACTIONS = {
    "list users": (lambda s, a, ctx: user_service.list_users(session=s, actor=a), {"admin"}),
    "add user": (
        lambda s, a, ctx: user_service.add_user(
            session=s, actor=a, user_in=UserAccountCreate(email="new@enlace.test", role="manager")
        ),
        {"admin"},
    ),
    "read audit log": (lambda s, a, ctx: audit.list_events(session=s, actor=a), {"admin"}),
    "list courses": (lambda s, a, ctx: courses.list_courses(session=s, actor=a), READERS),
    "create course": (
        lambda s, a, ctx: courses.create_course(
            session=s, actor=a, course_in=CourseCreate(code="NEW-1", title="A new course")
        ),
        STAFF,
    ),
    "add participant": (
        lambda s, a, ctx: courses.create_participant(
            session=s,
            actor=a,
            participant_in=ParticipantCreate(full_name="Ana Ruiz", email="ana.ruiz@mre.test"),
        ),
        STAFF,
    ),
    "list enrollments": (
        lambda s, a, ctx: courses.list_enrollments(session=s, actor=a, course_id=ctx["course"]),
        STAFF,
    ),
    "own enrollments": (lambda s, a, ctx: courses.my_enrollments(session=s, actor=a), EVERYONE),
    "progress by country": (
        lambda s, a, ctx: progress.progress_by_country(session=s, actor=a, course_id=ctx["course"]),
        EVERYONE,
    ),
    "list cases": (lambda s, a, ctx: board.list_cases(session=s, actor=a), CASE_WORKERS),
    "board counts": (lambda s, a, ctx: board.board_counts(session=s, actor=a), CASE_WORKERS),
    "open an AR case": (
        lambda s, a, ctx: intake.create_case(session=s, actor=a, case_in=_case_in("AR")),
        {"admin", "coordinator", "officer_ar"},
    ),
    "read the AR case": (
        lambda s, a, ctx: board.get_case(session=s, actor=a, case_code=ctx["ar_case"]),
        {"admin", "coordinator", "officer_ar"},
    ),
    "read the BR case": (
        lambda s, a, ctx: board.get_case(session=s, actor=a, case_code=ctx["br_case"]),
        {"admin", "coordinator", "officer_br"},
    ),
    "note on the AR case": (
        lambda s, a, ctx: cases.add_note(
            session=s,
            actor=a,
            case_code=ctx["ar_case"],
            note="Called the shelter.",
            expected_version=ctx["ar_version"](),
        ),
        {"admin", "coordinator", "officer_ar"},
    ),
    # Officers read their own country's statistics (services/reporting/referral_stats.py).
    "report by stage": (
        lambda s, a, ctx: reports.cases_by_stage(session=s, actor=a),
        READERS | {"officer_ar", "officer_br"},
    ),
    "report by country": (
        lambda s, a, ctx: reports.cases_by_country(session=s, actor=a),
        READERS | {"officer_ar", "officer_br"},
    ),
}


@pytest.fixture
def world(session, users, make_user):
    """Accounts of every kind, a course, and one case of AR and one of BR."""
    actors = dict(users)
    actors["unknown"] = None
    actors["deactivated"] = make_user("gone@enlace.test", Role.admin)
    actors["deactivated"].is_active = False
    session.add(actors["deactivated"])
    session.commit()
    course = courses.create_course(
        session=session, actor=users["admin"], course_in=CourseCreate(code="HT-X", title="Course X")
    )
    ar_case = intake.create_case(session=session, actor=users["officer_ar"], case_in=_case_in("AR"))
    br_case = intake.create_case(session=session, actor=users["officer_br"], case_in=_case_in("BR"))

    def ar_version() -> int:
        session.refresh(ar_case)
        return ar_case.version

    ctx = {
        "course": course.id,
        "ar_case": ar_case.case_code,
        "br_case": br_case.case_code,
        "ar_version": ar_version,
    }
    return actors, ctx


@pytest.mark.parametrize(("who", "action"), list(product(ACTORS, ACTIONS)))
def test_authorization_matrix(session, world, who, action):
    actors, ctx = world
    call, allowed = ACTIONS[action]
    if who in allowed:
        call(session, actors[who], ctx)
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            call(session, actors[who], ctx)
        session.rollback()


def test_officers_never_read_another_countrys_cases(session, world):
    actors, ctx = world
    listed = {c.case_code for c in board.list_cases(session=session, actor=actors["officer_ar"])}
    assert ctx["ar_case"] in listed and ctx["br_case"] not in listed
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=actors["officer_ar"], case_code=ctx["br_case"])


def test_both_forms_of_the_case_scope_select_the_same_cases(session, world):
    from sqlmodel import select

    from models import Case, Organisation, Referral
    from services.platform.access import case_scope

    actors, ctx = world
    organisation = Organisation(name="PROTEX", org_type="LawEnforcement", country="AR")
    session.add(organisation)
    session.commit()
    br_case = session.exec(select(Case).where(Case.case_code == ctx["br_case"])).one()
    session.add(
        Referral(
            case_id=br_case.id,
            organisation_id=organisation.id,
            service="legal",
            sent_on=br_case.identified_on,
            cross_border_country="AR",
        )
    )
    session.commit()
    for who in ("officer_ar", "officer_br", "coordinator"):
        codes = [
            set(
                session.exec(select(Case.case_code).where(case_scope(actors[who], correlated=flag)))
            )
            for flag in (False, True)
        ]
        assert codes[0] == codes[1]
    officer_ar_codes = set(
        session.exec(select(Case.case_code).where(case_scope(actors["officer_ar"])))
    )
    assert {ctx["ar_case"], ctx["br_case"]} <= officer_ar_codes
