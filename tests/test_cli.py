"""The `enlace` command through its real console-script entry point."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENLACE = str(Path(sys.executable).parent / "enlace")


def enlace(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENLACE_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([ENLACE, *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def empty_sqlite(tmp_path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_help_explains_every_command(empty_sqlite):
    result = enlace("--help", url=empty_sqlite)
    assert result.returncode == 0
    for command in ("demo", "db", "seed", "users"):
        assert command in result.stdout


def test_upgrade_seed_and_users_on_an_empty_file(empty_sqlite):
    upgraded = enlace("db", "upgrade", url=empty_sqlite)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded" in upgraded.stdout

    seeded = enlace("seed", "demo", url=empty_sqlite)
    assert seeded.returncode == 0, seeded.stderr
    assert "Cases: 60" in seeded.stdout and "Accounts: 43" in seeded.stdout

    again = enlace("seed", "demo", url=empty_sqlite)
    assert "nothing added" in again.stdout

    added = enlace(
        "users",
        "add",
        "Ana.Ruiz@IOM.test",
        "--role",
        "coordinator",
        "--name",
        "Ana Ruiz",
        url=empty_sqlite,
    )
    assert added.returncode == 0, added.stderr
    listed = enlace("users", "list", url=empty_sqlite)
    assert "ana.ruiz@iom.test" in listed.stdout and "44 accounts" in listed.stdout

    signed_out = enlace("users", "sign-out", "ana.ruiz@iom.test", url=empty_sqlite)
    assert signed_out.returncode == 0, signed_out.stderr
    assert "signed out everywhere" in signed_out.stdout
    assert enlace("users", "sign-out", "nobody@iom.test", url=empty_sqlite).returncode == 1


def test_seed_gives_the_same_counts_on_every_database(db, database_url):
    assert enlace("db", "upgrade", url=database_url).returncode == 0
    seeded = enlace("seed", "demo", url=database_url)
    assert seeded.returncode == 0, seeded.stderr
    assert (
        "(Courses: 2, Modules: 12, Participants: 54, Enrollments: 64, Module progress: 400, "
        "Organisations: 27, Accounts: 43, Cases: 60"
    ) in seeded.stdout.replace("\n", " ")


def test_bad_input_is_refused_with_a_clear_message(empty_sqlite):
    assert enlace("db", "upgrade", url=empty_sqlite).returncode == 0
    officer = enlace("users", "add", "x@enlace.test", "--role", "officer", url=empty_sqlite)
    assert officer.returncode == 2
    assert "officer must have a country" in officer.stderr

    country = enlace(
        "users", "add", "y@enlace.test", "--role", "officer", "--country", "XX", url=empty_sqlite
    )
    assert country.returncode == 2 and "'XX' is not an ISO 3166-1" in country.stderr

    assert (
        enlace("users", "add", "z@enlace.test", "--role", "admin", url=empty_sqlite).returncode == 0
    )
    duplicate = enlace("users", "add", "Z@enlace.test", "--role", "admin", url=empty_sqlite)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr


def test_commands_before_the_schema_exists_say_what_to_run(empty_sqlite):
    result = enlace("users", "list", url=empty_sqlite)
    assert result.returncode == 1
    assert "enlace db upgrade" in result.stderr


def test_invalid_setting_stops_with_one_line(empty_sqlite):
    result = enlace("users", "list", url="mysql://nope")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: ENLACE_DATABASE_URL: must be a sqlite:/// or "
        "postgresql+psycopg:// URL (got 'mysql://nope')"
    ]
