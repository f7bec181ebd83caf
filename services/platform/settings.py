"""Configuration from the environment (prefix ENLACE_) and an optional .env file."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'enlace.db'}"


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names it in one line."""


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite", "postgresql")):
        raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
    if value.startswith("postgresql://"):
        # psycopg 3 is the driver we ship.
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENLACE_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL, min_length=1)
    # Optional: a read-only PostgreSQL streaming replica for the dashboard and report reads
    # (services/ui/runtime.py); empty: every read goes to ENLACE_DATABASE_URL.
    read_database_url: str = ""
    environment: Literal["development", "production"] = "development"
    # Demo mode: local OIDC test provider, demo banner. Never in production.
    demo_mode: bool = False
    bootstrap_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = Field(default="en", pattern="^(en|es|pt)$")
    # Aggregate exports show counts below this as "<N".
    small_count_threshold: int = Field(default=5, ge=1, le=100)
    # Case microdata for managers: every combination of year, gender, age, citizenship and
    # countries is shared by at least this many records (11: the CTDC global dataset's k).
    microdata_k: int = Field(default=11, ge=2, le=1000)
    max_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    cache_ttl_seconds: int = Field(default=300, ge=0)
    # Closed cases are anonymised this many years after closure (`enlace retention apply`).
    retention_years: int = Field(default=5, ge=1, le=100)
    # The ID-token claim that carries the person's email (Entra ID: preferred_username).
    identity_claim: str = Field(default="email", min_length=1)
    # Optional ID-token claim whose values ("enlace-coordinator", "enlace-officer-AR") give a
    # first-time user an account. An existing account always takes precedence.
    roles_claim: str = ""
    roles_claim_prefix: str = Field(default="enlace", pattern="^[a-z0-9_]+$")
    # The provider section of [auth] in secrets.toml to sign in with; empty: the default one.
    auth_provider: str = ""
    # A provider that sends no `email_verified` claim (Microsoft Entra ID) can be trusted to
    # vouch for its addresses; otherwise a missing claim counts as unverified.
    trust_provider_emails: bool = False
    # The e-mail reminders (`enlace reminders send`): the SMTP server that sends them, the
    # sender's address, and the app's address their links lead to.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    # STARTTLS before signing in (port 587); off only for a local server such as the demo's.
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    public_url: str = Field(default="http://localhost:8501", pattern="^https?://")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        return _database_url(value)

    @field_validator("read_database_url")
    @classmethod
    def _known_read_database(cls, value: str) -> str:
        return _database_url(value) if value else value

    @model_validator(mode="after")
    def _no_demo_in_production(self) -> Self:
        if self.demo_mode and self.environment == "production":
            raise ValueError("demo mode cannot be used with ENLACE_ENVIRONMENT=production")
        return self

    @field_validator("bootstrap_admins", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value


def describe_error(error: ValidationError) -> str:
    """One line naming the first bad setting, e.g. 'ENLACE_DATABASE_URL: must be ...'."""
    first = error.errors()[0]
    if not first["loc"]:
        return f"Configuration error: {first['msg'].removeprefix('Value error, ')}"
    name = "ENLACE_" + str(first["loc"][0]).upper()
    message = first["msg"].removeprefix("Value error, ")
    return f"Configuration error: {name}: {message} (got {first.get('input')!r})"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(describe_error(error)) from None
