"""`enlace serve` refuses every unsafe configuration before it binds a port, in one line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.platform.auth_config import EXAMPLE_COOKIE_SECRET
from services.platform.settings import get_settings
from services.ui import server
from tests.support import production_auth

ENLACE = str(Path(sys.executable).parent / "enlace")


def secrets_file(folder: Path, **values: str | None) -> Path:
    """A secrets.toml for production on Entra ID; a value of None leaves the key out."""
    auth = production_auth(**values)
    lines = ["[auth]"] + [f'{key} = "{value}"' for key, value in auth.items() if value is not None]
    path = folder / "secrets.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def never_serves(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Records the start instead of binding a port."""
    started: list[dict] = []
    monkeypatch.setattr(server, "run", lambda **arguments: started.append(arguments))
    return started


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENLACE_ENVIRONMENT", "production")
    monkeypatch.setenv("ENLACE_DATABASE_URL", f"sqlite:///{tmp_path / 'enlace.db'}")


def serve(secrets: Path, *extra: str):
    return CliRunner().invoke(app, ["serve", "--secrets", str(secrets), *extra])


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({"cookie_secret": None}, "[auth] cookie_secret is required"),
        ({"cookie_secret": EXAMPLE_COOKIE_SECRET}, "cookie_secret is the example value"),
        ({"cookie_secret": "Zx8-q2LmN4vR7t"}, "cookie_secret is too short (14 characters"),
        ({"client_id": None}, "[auth] client_id is required"),
        ({"client_secret": ""}, "[auth] client_secret is required"),
        ({"server_metadata_url": None}, "[auth] server_metadata_url is required"),
        ({"redirect_uri": None}, "[auth] redirect_uri is required"),
        (
            {"server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration"},
            "must be an https:// address in production",
        ),
        (
            {"server_metadata_url": "https://localhost:9400/.well-known/openid-configuration"},
            "points at this machine (localhost), like the demo sign-in provider",
        ),
    ],
)
def test_serve_refuses_unsafe_sign_in_settings_with_one_line(
    tmp_path, production, never_serves, values, line
):
    result = serve(secrets_file(tmp_path, **values))
    assert result.exit_code == 2
    assert line in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    assert never_serves == []


def test_serve_refuses_a_missing_secrets_file_and_bad_settings(
    tmp_path, production, never_serves, monkeypatch
):
    missing = serve(tmp_path / "nowhere.toml")
    assert missing.exit_code == 2 and "does not exist" in missing.output

    (tmp_path / "broken.toml").write_text("[auth\n")
    assert "not valid TOML" in serve(tmp_path / "broken.toml").output

    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "fr")
    get_settings.cache_clear()  # settings are read once per process
    bad_setting = serve(secrets_file(tmp_path))
    assert bad_setting.exit_code == 2 and "ENLACE_DEFAULT_LANGUAGE" in bad_setting.output

    monkeypatch.delenv("ENLACE_DEFAULT_LANGUAGE")
    monkeypatch.setenv("ENLACE_ENVIRONMENT", "development")
    monkeypatch.setenv("ENLACE_DEMO_MODE", "true")
    get_settings.cache_clear()
    demo = serve(secrets_file(tmp_path))
    assert demo.exit_code == 2 and "ENLACE_DEMO_MODE is for `enlace demo`" in demo.output
    assert never_serves == []


def test_serve_refuses_an_unreachable_database(tmp_path, production, never_serves, monkeypatch):
    monkeypatch.setenv(
        "ENLACE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/enlace?connect_timeout=2"
    )
    result = serve(secrets_file(tmp_path))
    assert result.exit_code == 1
    assert "Cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1" in result.output
    assert never_serves == []


def test_serve_starts_with_production_flags_when_everything_is_right(
    tmp_path, production, never_serves
):
    secrets = secrets_file(tmp_path)
    result = serve(secrets, "--port", "8600", "--address", "0.0.0.0")
    assert result.exit_code == 0, result.output
    assert never_serves == [{"port": 8600, "address": "0.0.0.0", "secrets_files": [secrets]}]
    flags = server.production_config(port=8600, address="0.0.0.0", secrets_files=[secrets])
    assert flags["server.headless"] is True
    assert flags["server.enableXsrfProtection"] is True
    assert flags["browser.gatherUsageStats"] is False
    assert flags["server.port"] == 8600 and flags["server.address"] == "0.0.0.0"


def test_the_real_command_exits_non_zero_with_one_line(tmp_path):
    env = {
        **os.environ,
        "ENLACE_ENVIRONMENT": "production",
        "ENLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'enlace.db'}",
        "NO_COLOR": "1",
    }
    secrets = secrets_file(tmp_path, cookie_secret=EXAMPLE_COOKIE_SECRET)
    result = subprocess.run(
        [ENLACE, "serve", "--secrets", str(secrets)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Configuration error: [auth] cookie_secret is the example value; generate your own "
        f"(in {secrets})"
    ]
    assert result.stdout == ""


def test_required_browser_tests_without_chromium_fail_the_run(tmp_path):
    """CI honesty: with ENLACE_REQUIRE_BROWSER=1 and no Chromium, pytest must not pass."""
    env = {
        **os.environ,
        "ENLACE_REQUIRE_BROWSER": "1",
        "ENLACE_CHROMIUM": str(tmp_path / "no-chromium"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/e2e/test_sign_in.py", "--co"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Chromium is not installed" in result.stdout + result.stderr
