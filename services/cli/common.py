"""What every `enlace` command shares: consoles, plain failures, the database.

Every command module is imported to build `enlace --help`, so a module of `services.cli`
imports at its top only Typer, Rich and what its options' types need; the database, pandas,
Altair and Streamlit are imported inside the command that uses them
(tests/test_cli_start.py checks it).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn

from services.platform.i18n import LANGUAGES, _, set_language

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

console = Console()
err = Console(stderr=True)
# The language given with `enlace --lang`; None: the account's (--as), else the default.
_chosen_language: list[str] = []


def choose_language(language: str | None) -> None:
    """The language of the command's messages and files (`enlace --lang es ...`); without
    one, ENLACE_DEFAULT_LANGUAGE until a command acts as an account (`speak_as`)."""
    from services.platform.settings import ConfigurationError, get_settings

    _chosen_language.clear()
    if language:
        _chosen_language.append(language)
        set_language(language)
        return
    try:
        set_language(get_settings().default_language)
    except ConfigurationError:
        set_language("en")


def speak_as(language: str, time_zone: str | None, country: str | None) -> None:
    """A command acting as an account speaks its language (unless --lang chose one) and
    writes times in its zone."""
    from services.platform import formatting

    if not _chosen_language and language in LANGUAGES:
        set_language(language)
    formatting.set_time_zone(formatting.account_time_zone(time_zone, country))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a plain message on stderr; raise the result. 2: bad input, 1: refused."""
    err.print(message, style="bold red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def progress_bar(count: ProgressColumn) -> Progress:
    """A transient bar on the console: the step, the bar, `count` (done of all, or a
    percentage) and the time so far."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        count,
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def database(*, require_schema: bool = True) -> "Iterator[Engine]":
    """The engine of ENLACE_DATABASE_URL; a bad setting or a missing schema is a failure."""
    from services.platform import migrate
    from services.platform.db import build_engine
    from services.platform.settings import ConfigurationError, get_settings

    try:
        settings = get_settings()
    except ConfigurationError as error:
        raise fail(str(error), 2) from None
    engine = build_engine(settings.database_url)
    try:
        if require_schema and migrate.current_revision(engine) is None:
            raise fail(_("The database has no schema yet: run `enlace db upgrade` first."))
        yield engine
    finally:
        engine.dispose()


@contextmanager
def unit_of_work(engine: "Engine") -> "Iterator[Session]":
    """A committed session; a domain error becomes a refusal in plain words."""
    from services.platform.db import session_scope
    from services.platform.errors import EnlaceError, ImportRejected

    try:
        with session_scope(engine) as session:
            yield session
    except ImportRejected as error:
        raise fail(_("Not imported: {reason}").format(reason=error.translated())) from None
    except EnlaceError as error:
        raise fail(_("Refused: {reason}").format(reason=error.translated())) from None
