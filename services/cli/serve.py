"""`enlace serve`: the production start. Every setting is checked before a port is bound."""

from pathlib import Path
from typing import Annotated

import typer

from services.cli.common import console, fail
from services.platform.i18n import N_, _

# services.platform.settings.PROJECT_ROOT, without loading the settings (pydantic) for --help.
DEFAULT_SECRETS = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml"


SERVE_HELP = N_(
    "Serve Enlace to its users (headless, XSRF protection on, no usage statistics).\n\n"
    "Refuses to start, with one line naming the problem, when a setting or the [auth] secrets "
    "are missing, an example, too weak or point at the demo provider."
)


def serve(
    port: Annotated[int, typer.Option(help=N_("Port to listen on"), min=1, max=65535)] = 8501,
    address: Annotated[
        str, typer.Option(help=N_("Address to listen on (0.0.0.0: every interface)"))
    ] = "127.0.0.1",
    secrets: Annotated[
        Path, typer.Option(help=N_("The secrets.toml with the [auth] section"))
    ] = DEFAULT_SECRETS,
) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from services.platform.auth_config import auth_secrets_problem, load_secrets
    from services.platform.db import build_engine
    from services.platform.settings import ConfigurationError, get_settings
    from services.ui import server

    try:
        settings = get_settings()
    except ConfigurationError as error:
        raise fail(str(error), 2) from None
    if settings.demo_mode:
        raise fail(
            _(
                "Configuration error: ENLACE_DEMO_MODE is for `enlace demo`; "
                "`enlace serve` signs people in with your organisation's provider"
            ),
            2,
        )
    try:
        auth = load_secrets(secrets).get("auth")
    except ValueError as error:
        raise fail(str(error), 2) from None
    problem = auth_secrets_problem(auth, settings)
    if problem:
        raise fail(_("{problem} (in {file})").format(problem=problem, file=secrets), 2)
    engine = build_engine(settings.database_url)
    url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as error:
        reason = (str(getattr(error, "orig", None) or error).strip().splitlines() or [""])[0]
        message = _("Cannot reach the database at {url}: {reason}")
        raise fail(message.format(url=url, reason=reason)) from None
    finally:
        engine.dispose()
    message = _(
        "Enlace ({environment}) on {address}, database {url}, sign-in settings from {file}."
    )
    console.print(
        message.format(
            environment=settings.environment,
            address=f"http://{address}:{port}",
            url=url,
            file=secrets,
        ),
        markup=False,
    )
    server.run(port=port, address=address, secrets_files=[secrets])
