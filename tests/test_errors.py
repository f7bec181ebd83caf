"""Domain errors: English for the command line, the reader's language on a page."""

from services.platform.errors import Conflict, NotFound
from services.platform.i18n import N_, set_language
from tests.support import ACCOUNTS


def test_an_error_is_english_text_and_translates_with_its_parameters():
    error = NotFound(N_("There is no case {code}."), code="AR-2026-0001")
    assert str(error) == "There is no case AR-2026-0001."
    set_language("es")
    try:
        assert error.translated() == "No existe el caso AR-2026-0001."
    finally:
        set_language("en")


def test_an_error_without_a_translation_reads_as_written():
    assert Conflict("Plain words, not in any catalog.").translated() == (
        "Plain words, not in any catalog."
    )


def test_the_admin_page_shows_a_refusal_in_the_readers_language(demo_db, app_as):
    set_language("pt")  # AppTest formats the widgets' options in the test's thread too
    try:
        at = app_as(ACCOUNTS["admin"], language="pt").run().switch_page("pages/admin.py").run()
        at.text_input(key="account_email").input(ACCOUNTS["manager"])
        at.text_input(key="account_name").input("Duplicate")
        at.selectbox(key="account_role").select("manager")
        at.button[0].click().run()  # the add-account form's submit button
    finally:
        set_language("en")
    assert not at.exception
    assert [e.value for e in at.error] == [f"Já existe uma conta para {ACCOUNTS['manager']}."]
