"""The Admin page under AppTest: adding an account keeps the input on error, saves on success."""

from sqlmodel import select

from models import AuditEvent, UserAccount
from tests.conftest import ACCOUNTS, app_as


def open_admin():
    at = app_as(ACCOUNTS["admin"]).run()
    return at.switch_page("pages/admin.py").run()


def add_account(at, email: str, role: str, country: str):
    at.text_input(key="account_email").input(email)
    at.text_input(key="account_name").input("Inés Benítez")
    at.selectbox(key="account_role").select(role)
    at.text_input(key="account_country").input(country)
    at.button[0].click()  # the add-account form's submit button comes first
    return at.run()


def test_invalid_account_shows_the_field_and_keeps_what_was_typed(demo_db):
    at = add_account(open_admin(), "ines.benitez@mre.test", "officer", "ZZ")
    assert not at.exception
    assert any("Country" in e.value and "ZZ" in e.value for e in at.error)
    assert at.text_input(key="account_email").value == "ines.benitez@mre.test"
    assert (
        demo_db.exec(
            select(UserAccount).where(UserAccount.email == "ines.benitez@mre.test")
        ).first()
        is None
    )


def test_valid_account_is_saved_and_audited(demo_db):
    at = add_account(open_admin(), "ines.benitez@mre.test", "officer", "py")
    assert not at.exception and not at.error
    assert at.success
    demo_db.expire_all()
    account = demo_db.exec(
        select(UserAccount).where(UserAccount.email == "ines.benitez@mre.test")
    ).one()
    assert account.country == "PY"
    assert demo_db.exec(select(AuditEvent).where(AuditEvent.action == "account_created")).first()
