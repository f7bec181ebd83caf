"""The web server: Streamlit's own (st.App), plus what a person needs when sign-in fails.

Streamlit's sign-in routes end every failure the same way: a redirect to the welcome page
with no word of what happened, or a bare "Authentication error" page. `SignInFailures`, an
ASGI middleware in front of them, turns each failure into a redirect to the welcome page
with `?signin_error=<reason>`, which the page explains in the person's language, and writes
one line for the operator instead of Streamlit's traceback.

Run with `python -m services.ui.server --port 8501 --secrets FILE` (what `enlace serve`,
`enlace demo` and the browser tests start).
"""

import argparse
import logging
import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from services.platform.settings import PROJECT_ROOT
from services.ui import server_runs

APP_SCRIPT = PROJECT_ROOT / "app.py"
FAILURE_PARAMETER = "signin_error"
# The reasons the welcome page explains (services/signin_messages.py).
UNREACHABLE = "unreachable"
CLIENT = "client"
DENIED = "denied"
PROVIDER = "provider"
STATE = "state"

STREAMLIT_AUTH_LOGGER = "streamlit.web.server.starlette.starlette_auth_routes"
log = logging.getLogger("enlace.sign_in")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The records Streamlit's auth routes log while one sign-in request is handled.
_records: ContextVar[list[logging.LogRecord] | None] = ContextVar("sign_in_records", default=None)


class _CaptureDuringSignIn(logging.Filter):
    """Keeps Streamlit's auth-route log records of a request for SignInFailures (which
    writes one line of its own instead); records outside such a request pass through."""

    def filter(self, record: logging.LogRecord) -> bool:
        records = _records.get()
        if records is None:
            return True
        records.append(record)
        return False


def install_log_capture() -> None:
    logger = logging.getLogger(STREAMLIT_AUTH_LOGGER)
    if not any(isinstance(f, _CaptureDuringSignIn) for f in logger.filters):
        logger.addFilter(_CaptureDuringSignIn())


def classify(records: list[logging.LogRecord]) -> tuple[str, str]:
    """(reason, detail for the operator) from what Streamlit logged about a failure."""
    for record in records:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            return _classify_exception(error)
    text = " ".join(record.getMessage() for record in records)
    if "Missing provider" in text:
        return STATE, "the callback's state matches no sign-in started in this browser"
    return PROVIDER, text or "the provider's answer could not be used"


def _classify_exception(error: BaseException) -> tuple[str, str]:
    import httpx
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError

    chain: list[BaseException] = [error]
    while chain[-1].__cause__ is not None or chain[-1].__context__ is not None:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
        if len(chain) > 10:
            break
    for item in chain:
        if isinstance(item, httpx.TransportError):
            return UNREACHABLE, f"{type(item).__name__}: {item}"
        if isinstance(item, MismatchingStateError):
            return STATE, "the callback's state does not match the one sent"
        if isinstance(item, OAuthError):
            if item.error in {"invalid_client", "unauthorized_client"}:
                return CLIENT, f"the provider refused the client credentials ({item.error})"
            return PROVIDER, f"the provider answered {item.error}: {item.description or ''}"
        if isinstance(item, httpx.HTTPStatusError):
            return PROVIDER, f"the provider answered HTTP {item.response.status_code}"
    return PROVIDER, f"{type(error).__name__}: {error}"


class SignInFailures:
    """ASGI middleware: sign-in failures end on the welcome page with their reason."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.endswith("/auth/login"):
            route = "login"
        elif path.endswith("/oauth2callback"):
            route = "callback"
        else:
            await self.app(scope, receive, send)
            return
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        records: list[logging.LogRecord] = []
        token = _records.set(records)
        replaced = {"body": False}

        async def send_explained(message: Message) -> None:
            if message["type"] == "http.response.start":
                reason = self._failure(route, query, message, records)
                if reason is not None:
                    message = _redirect(message, scope, reason)
                    replaced["body"] = route == "login"
            elif message["type"] == "http.response.body" and replaced["body"]:
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(scope, receive, send_explained)
        finally:
            _records.reset(token)

    @staticmethod
    def _failure(
        route: str, query: dict[str, str], start: Message, records: list[logging.LogRecord]
    ) -> str | None:
        """The reason this response ends a failed sign-in, or None when it does not."""
        status = start["status"]
        if route == "login":
            if status < 400:
                return None
            reason, detail = classify(records)
        else:
            if status not in (302, 303, 307) or _sets_identity_cookie(start):
                return None
            if "error" in query:
                error = query["error"].replace("\r", " ").replace("\n", " ")[:100]
                reason = DENIED if error == "access_denied" else PROVIDER
                detail = f"the provider answered {error}"
            elif "code" not in query:
                return None  # back from the provider's sign-out page: not a failure
            else:
                reason, detail = classify(records)
        log.warning("Sign-in failed (%s): %s", reason, detail)
        return reason


def _sets_identity_cookie(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"set-cookie" and value.startswith(b"_streamlit_user="):
            rest = value[len(b"_streamlit_user=") :]
            if rest and not rest.startswith((b";", b'""')):
                return True
    return False


def _redirect(start: Message, scope: Scope, reason: str) -> Message:
    """The same response (its cookie headers kept) as a redirect to the welcome page."""
    root = scope.get("root_path", "") or ""
    location = None
    headers = []
    for name, value in start.get("headers", []):
        if name.lower() == b"location":
            location = value.decode("latin-1")
        elif name.lower() not in (b"content-length", b"content-type"):
            headers.append((name, value))
    parts = urlsplit(location or f"{root}/")
    target = urlunsplit(
        (parts.scheme, parts.netloc, parts.path or "/", urlencode({FAILURE_PARAMETER: reason}), "")
    )
    headers += [(b"location", target.encode("latin-1")), (b"content-length", b"0")]
    return {"type": "http.response.start", "status": 302, "headers": headers}


def build_app():  # type: ignore[no-untyped-def]  # streamlit.starlette.App
    """Enlace's app.py behind SignInFailures."""
    from starlette.middleware import Middleware
    from streamlit.starlette import App

    install_log_capture()
    return App(str(APP_SCRIPT), middleware=[Middleware(SignInFailures)])


def production_config(*, port: int, address: str, secrets_files: list[Path]) -> dict[str, Any]:
    """Streamlit's options for serving people: headless, XSRF on, no usage statistics."""
    return {
        "server.port": port,
        "server.address": address,
        "server.headless": True,
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
        "server.fileWatcherType": "none",
        "server.runOnSave": False,
        "browser.gatherUsageStats": False,
        # No gc.collect(2) over the whole heap after every run (services/ui/server_runs.py).
        "runner.postScriptGC": server_runs.post_script_gc(),
        "client.showErrorDetails": False,
        "client.toolbarMode": "minimal",
        "secrets.files": [str(path) for path in secrets_files],
    }


def run(*, port: int, address: str, secrets_files: list[Path]) -> None:
    """Serve app.py until stopped (blocks). Relative paths resolve from the project."""
    os.chdir(PROJECT_ROOT)
    # st.App.run anchors the script's folder (.streamlit/config.toml, sys.path) on argv[0].
    sys.argv = [str(APP_SCRIPT)]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    server_runs.install_run_timing()
    server_runs.prepare_gc()
    build_app().run(
        config=production_config(port=port, address=address, secrets_files=secrets_files)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--secrets", type=Path, action="append", required=True)
    arguments = parser.parse_args(argv)
    run(port=arguments.port, address=arguments.address, secrets_files=arguments.secrets)


if __name__ == "__main__":
    main()
