"""The [auth] secrets: nobody signs in with a public, weak or demo configuration."""

import pytest

from services.platform.auth_config import EXAMPLE_COOKIE_SECRET, auth_secrets_problem, is_loopback
from services.platform.settings import Settings
from tests.support import ENTRA, STRONG, production_auth


def settings(**values) -> Settings:
    return Settings(database_url="sqlite://", **values)


PRODUCTION = {"environment": "production"}


@pytest.mark.parametrize(
    ("auth", "problem"),
    [
        (None, "[auth] section is missing"),
        (production_auth(cookie_secret=""), "cookie_secret is required"),
        (production_auth(cookie_secret="short-secret-1234"), "too short (17 characters"),
        (production_auth(cookie_secret=EXAMPLE_COOKIE_SECRET), "example value"),
        (production_auth(cookie_secret="a" * 64), "too simple"),
        (production_auth(redirect_uri=""), "redirect_uri is required"),
        (production_auth(client_id=""), "[auth] client_id is required"),
        (production_auth(client_secret=" "), "[auth] client_secret is required"),
        (production_auth(server_metadata_url=None), "[auth] server_metadata_url is required"),
        (
            production_auth(server_metadata_url="http://127.0.0.1:9400/.well-known/x"),
            "must be an https:// address in production",
        ),
        (
            production_auth(server_metadata_url="https://localhost:9400/.well-known/x"),
            "points at this machine (localhost)",
        ),
        (
            production_auth(redirect_uri="http://enlace.example.org/oauth2callback"),
            "[auth] redirect_uri must be an https:// address",
        ),
        (production_auth(), None),
    ],
)
def test_production_refuses_each_unsafe_auth_section_with_one_line(auth, problem):
    found = auth_secrets_problem(auth, settings(**PRODUCTION))
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found and "\n" not in found
        assert STRONG not in found and "s3cret" not in found  # never the secret itself


def test_a_named_provider_section_is_checked_when_chosen():
    auth = {
        "redirect_uri": "https://enlace.example.org/oauth2callback",
        "cookie_secret": STRONG,
        "entra": {"client_id": "enlace", "client_secret": "x", "server_metadata_url": ENTRA},
    }
    assert auth_secrets_problem(auth, settings(auth_provider="entra", **PRODUCTION)) is None
    missing = auth_secrets_problem(auth, settings(auth_provider="google", **PRODUCTION))
    assert "no [auth.google] section" in missing
    del auth["entra"]["client_secret"]
    found = auth_secrets_problem(auth, settings(auth_provider="entra", **PRODUCTION))
    assert "[auth.entra] client_secret is required" in found


def test_development_allows_a_local_provider_but_not_a_weak_secret():
    local = production_auth(
        redirect_uri="http://localhost:8501/oauth2callback",
        server_metadata_url="http://127.0.0.1:9400/.well-known/openid-configuration",
    )
    assert auth_secrets_problem(local, settings()) is None
    assert "too short" in auth_secrets_problem(
        {**local, "cookie_secret": "x1y2z3w4v5u6t7s8"}, settings()
    )


def test_demo_mode_needs_only_a_cookie_secret():
    assert auth_secrets_problem({"cookie_secret": "short"}, settings(demo_mode=True)) is None
    assert "required" in auth_secrets_problem({"client_id": "x"}, settings(demo_mode=True))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("LocalHost", True),
        ("login.microsoftonline.com", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_hosts_are_recognised(host, loopback):
    assert is_loopback(host) is loopback
