"""The local demo: a test OIDC provider on loopback and the secrets that point Streamlit at it.

Only for development, demos and tests. It refuses to run in a production configuration.
"""

import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from threading import Thread

import oidc_provider_mock
import werkzeug.serving

from services.platform.i18n import _
from services.platform.settings import Settings

LOOPBACK = "127.0.0.1"


class DemoRefused(RuntimeError):
    """The demo provider may not start here."""


class ServerStopped(RuntimeError):
    """The app server exited before it answered."""


def provider_users(accounts: Sequence[tuple[str, str]]) -> list[oidc_provider_mock.User]:
    """One predefined provider user per (email, name): sub and email are the address."""
    return [
        oidc_provider_mock.User(
            sub=email, claims={"email": email, "email_verified": True, "name": name or email}
        )
        for email, name in accounts
    ]


@contextmanager
def serve_provider(
    settings: Settings, *, port: int, accounts: Sequence[tuple[str, str]]
) -> Iterator[werkzeug.serving.BaseWSGIServer]:
    """Run oidc-provider-mock on 127.0.0.1:`port` in a thread, for the length of the block."""
    if settings.environment == "production":
        raise DemoRefused(
            _("the demo sign-in provider never runs with ENLACE_ENVIRONMENT=production")
        )
    server = werkzeug.serving.make_server(
        LOOPBACK,
        port,
        oidc_provider_mock.app(user_claims=provider_users(accounts)),
        threaded=True,
    )
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def write_secrets(path: Path, *, app_port: int, provider_port: int) -> Path:
    """A git-ignored secrets.toml for the demo, with a freshly generated cookie secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `enlace demo` for the local test provider. Not for production.\n"
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(48)}"\n'
        'client_id = "enlace-demo"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "http://{LOOPBACK}:{provider_port}'
        '/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def wait_until_healthy(url: str, *, stopped: Callable[[], bool], timeout: float) -> None:
    """Poll `url` until it answers 200. ServerStopped as soon as `stopped()` is true (the
    server's process exited); TimeoutError when nothing answered within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopped():
            raise ServerStopped(url)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(url)
