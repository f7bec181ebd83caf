"""The Admin page under AppTest: adding an account keeps the input on error, saves on success;
access requests granted in place (a missing country explained with the choices kept, a second
grant from another tab refused, the person signed in right after); the audit log's filters."""

import time
from datetime import date

import pytest
from sqlmodel import select

from models import AuditEvent, Organisation, UserAccount
from tests.support import ACCOUNTS


@pytest.fixture
def open_admin(app_as):
    """`open_admin()`: the Admin page, signed in as the demo admin."""

    def open_():
        at = app_as(ACCOUNTS["admin"]).run()
        return at.switch_page("pages/admin.py").run()

    return open_


def add_account(at, email: str, role: str, country: str | None, organisation: int | None = None):
    at.text_input(key="account_email").input(email)
    at.text_input(key="account_name").input("Inés Benítez")
    at.selectbox(key="account_role").select(role)
    if country:
        at.selectbox(key="account_country").select(country)
    if organisation:
        at.selectbox(key="account_organisation").select(organisation)
    at.button[0].click()  # the add-account form's submit button comes first
    return at.run()


def test_invalid_account_shows_the_field_and_keeps_what_was_typed(demo_db, open_admin):
    at = add_account(open_admin(), "ines.benitez@mre.test", "officer", None)
    assert not at.exception
    assert ["An officer must have a country." in e.value for e in at.error] == [True]
    assert at.selectbox(key="account_role").value == "officer"
    assert at.text_input(key="account_email").value == "ines.benitez@mre.test"
    assert (
        demo_db.exec(
            select(UserAccount).where(UserAccount.email == "ines.benitez@mre.test")
        ).first()
        is None
    )


def test_valid_account_is_saved_and_audited(demo_db, open_admin):
    at = add_account(open_admin(), "ines.benitez@mre.test", "officer", "PY")
    assert not at.exception and not at.error
    assert at.success
    demo_db.commit()  # a new transaction: see what other connections wrote
    demo_db.expire_all()
    account = demo_db.exec(
        select(UserAccount).where(UserAccount.email == "ines.benitez@mre.test")
    ).one()
    assert account.country == "PY"
    assert demo_db.exec(select(AuditEvent).where(AuditEvent.action == "account_created")).first()


def test_admin_signs_a_person_out_everywhere_and_their_open_session_ends(
    demo_db, app_as, open_admin
):
    officer = app_as("officer.py@enlace.test", iat=int(time.time()) - 30).run()
    assert officer.button(key="sign_out"), "signed in before"

    at = open_admin()
    at.selectbox(key="edit_account").select("officer.py@enlace.test").run()
    at.button(key="end_sessions").click().run()
    assert not at.exception
    assert "officer.py@enlace.test" in at.success[0].value
    demo_db.commit()  # a new transaction: see what other connections wrote
    demo_db.expire_all()
    event = demo_db.exec(select(AuditEvent).where(AuditEvent.action == "sessions_ended")).one()
    assert event.actor_email == ACCOUNTS["admin"]

    officer.run()  # the officer's next click, same cookie
    assert "sign_out" not in [button.key for button in officer.button]
    assert "You are signed out" in officer.info[0].value


def test_the_audit_filter_offers_every_action_in_words(demo_db, open_admin):
    from services.platform.audit import AuditAction

    at = open_admin()
    box = at.multiselect(key="audit_actions")
    assert len(box.options) == len(AuditAction)
    assert "Case moved to another stage" in box.options
    box.select(AuditAction.sign_in).run()
    assert not at.exception
    shown = at.dataframe[-1].value
    assert set(shown["Action"]) == {"Signed in"}  # at least the admin's own sign-in
    admin = demo_db.exec(select(UserAccount).where(UserAccount.email == ACCOUNTS["admin"])).one()
    assert admin.display_name in set(shown["Who"]), "names, not e-mails or ids"


def test_an_organisation_can_be_in_any_country_and_one_is_required(demo_db, open_admin):
    """The directory is not limited to South America: a partner may work where the person
    was exploited (here Spain). Without a country the form says so and keeps the name."""
    at = open_admin()
    at.text_input(key="org_name").input("Proyecto Esperanza")
    at.selectbox(key="org_type").select("NGO")
    submit = next(b for b in at.button if b.label == "Add organisation")
    submit.click()
    at = at.run()
    assert not at.exception
    assert any("country" in e.value.lower() for e in at.error)
    assert at.text_input(key="org_name").value == "Proyecto Esperanza"
    assert at.selectbox(key="org_country").value is None

    at.selectbox(key="org_country").select("ES")
    next(b for b in at.button if b.label == "Add organisation").click()
    at = at.run()
    assert not at.exception and not at.error
    demo_db.commit()  # a new transaction: see what other connections wrote
    saved = demo_db.exec(select(Organisation).where(Organisation.name == "Proyecto Esperanza"))
    assert saved.one().country == "ES"


# --- access requests granted in place; the audit log's filters ---------------------------

ASKER = "ines.benitez@mre.test"


@pytest.fixture
def asked(demo_db, app_as) -> int:
    """Inés signed in without an account: her access request's id."""
    app_as(ASKER, name="Inés Benítez").run()
    demo_db.commit()  # a new transaction: see what other connections wrote
    request = demo_db.exec(
        select(AuditEvent).where(
            AuditEvent.action == "access_requested", AuditEvent.actor_email == ASKER
        )
    ).one()
    return request.id


def account(session) -> UserAccount | None:
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    return session.exec(select(UserAccount).where(UserAccount.email == ASKER)).first()


def choose(at, request_id: int, **choices):
    for name, value in choices.items():
        at.selectbox(key=f"request_{request_id}_{name}").select(value)
    return at


def test_grant_in_place_needs_a_country_for_an_officer_then_signs_the_person_in(
    demo_db, app_as, open_admin, asked
):
    at = open_admin()
    assert at.text_input(key=f"request_{asked}_name").value == "Inés Benítez"
    choose(at, asked, role="officer")
    at.button(key=f"request_{asked}_grant").click()
    at = at.run()
    assert not at.exception
    assert any("must have a country" in e.value for e in at.error)
    assert at.selectbox(key=f"request_{asked}_role").value == "officer", "the choice is kept"
    assert account(demo_db) is None

    choose(at, asked, country="PY")
    at.button(key=f"request_{asked}_grant").click()
    at = at.run()
    assert not at.exception and not at.error
    assert ASKER in at.success[0].value
    assert f"request_{asked}_grant" not in [b.key for b in at.button], "off the list"
    granted = account(demo_db)
    assert (granted.role, granted.country, granted.display_name) == (
        "officer",
        "PY",
        "Inés Benítez",
    )

    person = app_as(ASKER, name="Inés Benítez").run()
    assert not person.exception
    assert "sign_out" in [b.key for b in person.button], "signed in right after"
    assert not any("do not have access" in i.value for i in person.info)


def test_a_second_grant_from_another_tab_is_refused(demo_db, open_admin, asked):
    first, second = open_admin(), open_admin()
    choose(first, asked, role="coordinator")
    first.button(key=f"request_{asked}_grant").click()
    first = first.run()
    assert first.success and not first.error

    choose(second, asked, role="admin")
    second.button(key=f"request_{asked}_grant").click()
    second = second.run()
    assert not second.exception
    assert any("already has an account" in e.value for e in second.error)
    assert account(demo_db).role == "coordinator"


def test_dismiss_takes_the_request_off_the_list(demo_db, open_admin, asked):
    at = open_admin()
    at.button(key=f"request_{asked}_dismiss").click()
    at = at.run()
    assert not at.exception
    assert ASKER in at.success[0].value
    assert f"request_{asked}_dismiss" not in [b.key for b in at.button]
    assert account(demo_db) is None


def test_the_log_filtered_by_an_unknown_case_says_so(demo_db, open_admin):
    at = open_admin()
    at.text_input(key="audit_case").input("AR-1999-0001").run()
    assert not at.exception
    assert any("There is no case AR-1999-0001" in e.value for e in at.error)


def test_dates_the_wrong_way_round_are_explained(demo_db, open_admin):
    at = open_admin()
    at.date_input(key="audit_since").set_value(date(2026, 5, 2))
    at.date_input(key="audit_until").set_value(date(2026, 5, 1)).run()
    assert not at.exception
    assert any("start date is after the end date" in e.value for e in at.error)


def test_partner_staff_get_an_account_of_their_organisation_and_can_change_country(
    demo_db, open_admin
):
    """Partner staff need an organisation (said plainly when it is missing); an account's
    country is chosen from the list, never typed."""
    shelter = demo_db.exec(select(Organisation).where(Organisation.country == "PY")).first()
    at = add_account(open_admin(), "staff@refugio.test", "partner", None)
    assert ["must belong to an organisation" in e.value for e in at.error] == [True]

    at = add_account(at, "staff@refugio.test", "partner", None, organisation=shelter.id)
    assert not at.exception and not at.error, [e.value for e in at.error]
    demo_db.commit()
    staff = demo_db.exec(select(UserAccount).where(UserAccount.email == "staff@refugio.test"))
    assert staff.one().organisation_id == shelter.id

    at.selectbox(key="edit_account").select("officer.py@enlace.test").run()
    officer = demo_db.exec(
        select(UserAccount).where(UserAccount.email == "officer.py@enlace.test")
    ).one()
    assert at.selectbox(key=f"edit_{officer.id}_country").value == "PY"
    at.selectbox(key=f"edit_{officer.id}_country").select("BO")
    next(b for b in at.button if b.label == "Save changes").click()
    at = at.run()
    assert not at.exception and not at.error
    demo_db.commit()
    demo_db.refresh(officer)
    assert officer.country == "BO"


def test_the_log_warns_before_a_download_that_would_be_cut_until_narrowed(
    demo_db, open_admin, monkeypatch
):
    from services.platform import audit_log

    monkeypatch.setattr(audit_log, "EXPORT_MAX_ROWS", 1)
    at = open_admin()
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "Narrow the period" in w.value]
    assert "the newest 1 only" in warning
    at.date_input(key="audit_since").set_value(date(2020, 1, 1))
    at.date_input(key="audit_until").set_value(date(2020, 1, 2)).run()
    assert not at.exception
    assert not any("Narrow the period" in w.value for w in at.warning)
