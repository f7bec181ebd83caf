"""The app under AppTest: sign-in gate, page list per role, every page renders."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from models.enums import Role
from services.platform.access import PAGE_ROLES, PAGES
from services.platform.auth_config import EXAMPLE_COOKIE_SECRET
from tests.support import ACCOUNTS, APP

PAGE_FILES = {page.key: page.path for page in PAGES}


def page_titles(at: AppTest) -> list[str]:
    return [title.value for title in at.title]


def test_signed_out_sees_only_the_welcome_page(demo_db, app_as):
    at = app_as(None).run()
    assert not at.exception
    assert page_titles(at) == ["Enlace"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe


def test_signed_out_without_auth_secrets_explains_what_is_missing(demo_db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.button
    assert "[auth]" in " ".join(t.value for t in at.text)


@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_page_list_follows_the_role(demo_db, who, app_as):
    role = Role(who)
    at = app_as(ACCOUNTS[who]).run()
    assert not at.exception
    allowed = {key for key, roles in PAGE_ROLES.items() if role in roles}
    for key, path in PAGE_FILES.items():
        if key in allowed:
            at.switch_page(path).run()
            assert not at.exception, (who, key, at.exception)
        else:
            fresh = app_as(ACCOUNTS[who]).run()
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                fresh.switch_page(path)


def test_roles_see_the_pages_of_design_md():
    def keys(role):
        return {key for key, roles in PAGE_ROLES.items() if role in roles}

    assert "admin" not in keys(Role.officer)
    assert "board" not in keys(Role.manager) and "new_referral" not in keys(Role.manager)
    # Every page but the partners' own: an administrator is no organisation's staff.
    assert keys(Role.admin) == set(PAGE_FILES) - {"referrals"}
    assert keys(Role.partner) == {"home", "referrals", "my_tasks"}


@pytest.mark.parametrize("key", sorted(set(PAGE_FILES) - {"referrals"}))
def test_every_page_renders_for_an_admin(demo_db, key, app_as):
    at = app_as(ACCOUNTS["admin"]).run()
    at.switch_page(PAGE_FILES[key]).run()
    assert not at.exception, at.exception
    assert at.title, f"{key} shows no title"


def test_unknown_person_sees_access_pending_and_nothing_else(demo_db, app_as):
    at = app_as("stranger@example.org").run()
    assert not at.exception
    assert page_titles(at) == ["Access pending"]
    assert not at.dataframe and not at.metric


def test_session_older_than_the_limit_asks_for_a_new_sign_in(demo_db, app_as):
    at = app_as(ACCOUNTS["admin"], iat=int(time.time()) - 13 * 3600).run()
    assert not at.exception
    assert not at.dataframe
    assert "session has expired" in at.info[0].value
    assert at.button(key="sign_in")


@pytest.mark.parametrize(
    "cookie_secret",
    [EXAMPLE_COOKIE_SECRET, "Zx8-q2LmN4vR7t"],
    ids=["example secret", "14 characters"],
)
def test_a_weak_cookie_secret_signs_nobody_in_even_with_a_valid_cookie(
    demo_db, monkeypatch, cookie_secret, app_as, auth_secrets
):
    """A cookie signed with a public or guessable secret proves nothing: app.py treats
    nobody as signed in while the secrets are unsafe, even on a plain `streamlit run`."""
    monkeypatch.setenv("ENLACE_ENVIRONMENT", "production")
    at = app_as(ACCOUNTS["admin"])
    at.secrets = {
        "auth": {
            **auth_secrets["auth"],
            "cookie_secret": cookie_secret,
            "redirect_uri": "https://enlace.example.org/oauth2callback",
            "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
        }
    }
    at.run()
    assert not at.exception
    assert page_titles(at) == ["Enlace"]
    assert "sign_out" not in [button.key for button in at.button]
    assert "cookie_secret" in " ".join(t.value for t in at.text)
    assert not at.dataframe and not at.metric
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/admin.py")


def test_a_signed_out_person_is_told_and_can_sign_in_again(demo_db, app_as):
    at = app_as(ACCOUNTS["coordinator"], iat=int(time.time()) - 10).run()
    assert at.button(key="sign_out")
    at.button(key="sign_out").click().run()
    replay = app_as(ACCOUNTS["coordinator"], iat=int(time.time()) - 10).run()
    assert not replay.exception
    assert page_titles(replay) == ["Enlace"]
    assert "You are signed out" in replay.info[0].value


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("unreachable", "could not reach"),
        ("client", "client ID or secret"),
        ("denied", "cancelled"),
        ("provider", "answered with an error"),
        ("state", "old or different browser window"),
    ],
)
def test_a_failed_sign_in_is_explained_with_a_way_to_try_again(demo_db, reason, words, app_as):
    at = app_as(None)
    at.query_params["signin_error"] = reason
    at.run()
    assert not at.exception
    assert words in at.error[0].value
    assert at.button(key="sign_in").label == "Try again"
    assert "signin_error" not in at.query_params


def test_a_failed_sign_in_is_explained_in_the_persons_language(demo_db, app_as):
    at = app_as(None, language="pt")
    at.query_params["signin_error"] = "unreachable"
    at.run()
    assert "could not reach" not in at.error[0].value
    assert at.button(key="sign_in").label != "Try again"


def test_a_fresh_servers_first_request_for_a_page_goes_through_the_sign_in(
    demo_db, monkeypatch, app_as
):
    """Without the router, Streamlit's legacy `pages/` mode runs a linked page alone on a
    fresh server's first request; the page sends it back through app.py."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    monkeypatch.setattr(app_test, "PagesManager", PagesManager)  # AppTest as it ships
    at = app_as("coordinator@enlace.test")
    at.switch_page("pages/board.py").run()
    assert not at.exception, at.exception
    assert at.button(key="sign_out")  # app.py ran: the sidebar is there
    assert at.title[0].value == "Referral board"

    signed_out = app_as(None)
    signed_out.switch_page("pages/board.py").run()
    assert not signed_out.exception, signed_out.exception
    assert signed_out.button(key="sign_in")  # the welcome page, not the board


def test_a_signed_in_person_keeps_working_after_a_failed_new_sign_in(demo_db, app_as):
    at = app_as(ACCOUNTS["coordinator"])
    at.query_params["signin_error"] = "state"
    at.run()
    assert not at.exception
    assert at.button(key="sign_out")
    assert "signin_error" not in at.query_params
