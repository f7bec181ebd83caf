"""Configuration from the environment (prefix ENLACE_) and an optional .env file."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'enlace.db'}"


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENLACE_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(default=DEFAULT_DATABASE_URL, min_length=1)
    # Demo mode: local OIDC test provider, demo banner. Never in production.
    demo_mode: bool = False
    bootstrap_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    default_language: str = Field(default="en", pattern="^(en|es|pt)$")
    # Aggregate exports show counts below this as "<N".
    small_count_threshold: int = Field(default=5, ge=1, le=100)
    max_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    cache_ttl_seconds: int = Field(default=300, ge=0)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("bootstrap_admins", mode="before")
    @classmethod
    def _split_emails(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip().lower() for item in value.split(",") if item.strip()]
        return value


def describe_error(error: ValidationError) -> str:
    """One line naming the first bad setting, e.g. 'ENLACE_DATABASE_URL: must be ...'."""
    first = error.errors()[0]
    name = "ENLACE_" + "_".join(str(part) for part in first["loc"][:1]).upper()
    return f"Configuration error: {name}: {first['msg']} (got {first.get('input')!r})"


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(describe_error(error)) from None
