"""What every `enlace` command shares: consoles, plain failures, the database.

Every command module is imported to build `enlace --help`, so a module of `services.cli`
imports at its top only Typer, Rich and what its options' types need; the database, pandas,
Altair and Streamlit are imported inside the command that uses them
(tests/test_cli_start.py checks it).
"""

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from typer._click.formatting import HelpFormatter  # Typer's own copy of Click
from typer.core import TyperGroup

from services.platform.i18n import LANGUAGES, N_, _, set_language

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

console = Console()
err = Console(stderr=True)
# The language given with `enlace --lang`; None: the account's (--as), else the default.
_chosen_language: list[str] = []


# Click's and Typer's own words on a help page, in the reader's language (TranslatedFormatter).
HELP_PAGE_WORDS = (
    N_("Usage:"),
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    N_("required"),
    N_("default: {default}"),
)
_EXTRAS = re.compile(r"\[([^\[\]]*)\]$")


def help_language(args: Sequence[str]) -> str:
    """The language of `enlace ... --help`: `--lang X` before the command's name, else
    ENLACE_DEFAULT_LANGUAGE, read directly (the help loads no settings, no pydantic)."""
    for position, arg in enumerate(args):
        if arg == "--lang" and position + 1 < len(args):
            return args[position + 1]
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
        if not arg.startswith("-"):
            break  # the command's name: --lang belongs before it
    return os.environ.get("ENLACE_DEFAULT_LANGUAGE", "en").strip().lower()


class TranslatedFormatter(HelpFormatter):
    """Click's headings, its --help line and the [default: …] / [required] notes translated;
    the texts of Enlace's own commands and options are translated by `translate_help`."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{_('Usage:')} " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_(heading))

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl([(term, _help_line(text)) for term, text in rows], col_max, col_spacing)


def _help_line(text: str) -> str:
    """One option's help: its own words (a msgid of Click's, else already translated) and the
    notes Click appends in brackets."""
    extras = _EXTRAS.search(text)
    if extras is None:
        return _(text)
    notes = []
    for note in extras.group(1).split("; "):
        if note == "required":
            notes.append(_("required"))
        elif note.startswith("default: "):
            notes.append(_("default: {default}").format(default=note.removeprefix("default: ")))
        else:
            notes.append(note)
    return f"{_(text[: extras.start()].rstrip())}  [{'; '.join(notes)}]".lstrip()


class TranslatedContext(typer.Context):
    formatter_class = TranslatedFormatter


def translate_help(command: Any, language: str) -> None:
    """Every help text of the command tree in `language`: each text is a message id (N_),
    kept aside the first time so that the next run translates from English again."""
    set_language(language)
    commands = [command]
    while commands:
        current = commands.pop()
        current.context_class = TranslatedContext
        for owner, attribute in [
            (current, "help"),
            (current, "short_help"),
            *((param, "help") for param in current.params),
        ]:
            message_id = vars(owner).setdefault(
                f"_enlace_{attribute}", getattr(owner, attribute, None)
            )
            if message_id:
                setattr(owner, attribute, _(message_id))
        commands.extend(getattr(current, "commands", {}).values())


class TranslatedHelpGroup(TyperGroup):
    """The `enlace` group: before Click parses anything (--help is eager), every help text of
    the tree is put in the language of `--lang`, else of ENLACE_DEFAULT_LANGUAGE."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        translate_help(self, help_language(args))
        return super().make_context(info_name, args, parent, **extra)


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
