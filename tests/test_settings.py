"""Settings: defaults that work, and one clear line for a bad value."""

import pytest

from services.platform.settings import ConfigurationError, get_settings


def test_default_database_is_a_sqlite_file_in_the_ignored_data_folder(monkeypatch):
    monkeypatch.delenv("ENLACE_DATABASE_URL", raising=False)
    assert get_settings().database_url.endswith("/data/enlace.db")


def test_plain_postgresql_url_uses_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("ENLACE_DATABASE_URL", "postgresql://u@127.0.0.1/enlace")
    assert get_settings().database_url == "postgresql+psycopg://u@127.0.0.1/enlace"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ENLACE_DATABASE_URL", "mysql://x", "ENLACE_DATABASE_URL"),
        ("ENLACE_SMALL_COUNT_THRESHOLD", "zero", "ENLACE_SMALL_COUNT_THRESHOLD"),
        ("ENLACE_DEFAULT_LANGUAGE", "fr", "ENLACE_DEFAULT_LANGUAGE"),
        ("ENLACE_MAX_SESSION_HOURS", "-1", "ENLACE_MAX_SESSION_HOURS"),
    ],
)
def test_invalid_setting_stops_with_one_line_naming_it(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as raised:
        get_settings()
    message = str(raised.value)
    assert named in message
    assert "\n" not in message


def test_demo_mode_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("ENLACE_DEMO_MODE", "true")
    monkeypatch.setenv("ENLACE_ENVIRONMENT", "production")
    with pytest.raises(ConfigurationError, match="demo mode"):
        get_settings()


def test_bootstrap_admins_are_a_comma_separated_lower_case_list(monkeypatch):
    monkeypatch.setenv("ENLACE_BOOTSTRAP_ADMINS", "Ana@IOM.int, lucas@ippdh.test")
    assert get_settings().bootstrap_admins == ["ana@iom.int", "lucas@ippdh.test"]
