"""The [auth] secrets: are they safe to sign people in with? One line when they are not.

`enlace serve` checks them before it binds a port, and app.py on every run: while they are
unsafe nobody is treated as signed in, whatever cookie the browser sends.
"""

import ipaddress
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from services.platform.settings import Settings

EXAMPLE_COOKIE_SECRET = "replace-with-the-output-of-python-secrets-token-urlsafe-48"
MIN_COOKIE_SECRET_LENGTH = 32
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def load_secrets(path: Path) -> dict[str, Any]:
    """The secrets file as a dict; a missing or unreadable file is a ValueError in one line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ValueError(f"Configuration error: the secrets file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"Configuration error: {path} is not valid TOML ({error})") from None


def auth_secrets_problem(auth: Mapping[str, Any] | None, settings: Settings) -> str | None:
    """Why the [auth] secrets cannot be used, in one line without secret values; None if fine."""
    if not auth:
        return "Configuration error: the [auth] section is missing from secrets.toml"
    problem = _cookie_secret_problem(str(auth.get("cookie_secret") or ""), settings)
    if problem or settings.demo_mode:
        return problem
    if not str(auth.get("redirect_uri") or ""):
        return "Configuration error: [auth] redirect_uri is required"
    section_name = f"[auth.{settings.auth_provider}]" if settings.auth_provider else "[auth]"
    provider = auth.get(settings.auth_provider) if settings.auth_provider else auth
    if not isinstance(provider, Mapping):
        return (
            f"Configuration error: ENLACE_AUTH_PROVIDER={settings.auth_provider} but "
            f"secrets.toml has no {section_name} section"
        )
    for key in PROVIDER_KEYS:
        if not str(provider.get(key) or "").strip():
            return f"Configuration error: {section_name} {key} is required"
    if settings.environment == "production":
        for name, url in (
            (f"{section_name} server_metadata_url", str(provider["server_metadata_url"])),
            ("[auth] redirect_uri", str(auth["redirect_uri"])),
        ):
            problem = _production_url_problem(name, url)
            if problem:
                return problem
    return None


def _cookie_secret_problem(secret: str, settings: Settings) -> str | None:
    if not secret:
        return "Configuration error: [auth] cookie_secret is required"
    if settings.demo_mode:
        return None  # `enlace demo` writes a fresh random one
    if secret == EXAMPLE_COOKIE_SECRET:
        return "Configuration error: [auth] cookie_secret is the example value; generate your own"
    if len(set(secret)) < 8:
        return "Configuration error: [auth] cookie_secret is too simple; generate a random one"
    if len(secret) < MIN_COOKIE_SECRET_LENGTH:
        return (
            f"Configuration error: [auth] cookie_secret is too short "
            f"({len(secret)} characters, at least {MIN_COOKIE_SECRET_LENGTH})"
        )
    return None


def _production_url_problem(name: str, url: str) -> str | None:
    """Production signs people in over HTTPS, against a provider that is not a local demo."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"Configuration error: {name} must be an https:// address in production"
    if is_loopback(parts.hostname or ""):
        return (
            f"Configuration error: {name} points at this machine ({parts.hostname}), like the "
            "demo sign-in provider; production needs your organisation's provider"
        )
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
