"""The `enlace` command line: database, demo data, accounts and the local demo."""

import os
import subprocess
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from models.enums import Language, Role
from services.cli import bench as cli_bench
from services.cli import serve as cli_serve
from services.cli.common import (
    TranslatedHelpGroup,
    choose_language,
    console,
    database,
    fail,
    unit_of_work,
)
from services.cli.courses import courses_app, import_app
from services.cli.export import export_app
from services.cli.reminders import reminders_app
from services.cli.retention import retention_app
from services.platform.i18n import N_, _, ngettext

# Every help text is a message id: `enlace --lang es --help` translates the whole tree
# (TranslatedHelpGroup), so the texts are marked with N_() and never with _() here.
app = typer.Typer(
    cls=TranslatedHelpGroup,
    help=N_(
        "Enlace: course enrollment, progress by country and case referrals.\n\n"
        "Start with `enlace demo` to run the app locally with demo data and demo sign-in. "
        "Settings come from ENLACE_* environment variables (see README)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
db_app = typer.Typer(help=N_("Database schema (Alembic migrations)."), no_args_is_help=True)
seed_app = typer.Typer(help=N_("Fill the database with data."), no_args_is_help=True)
users_app = typer.Typer(
    help=N_("Accounts that may sign in, and their roles."), no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(courses_app, name="courses")
app.add_typer(import_app, name="import")
app.add_typer(retention_app, name="retention")
app.add_typer(reminders_app, name="reminders")
seed_app.command("scale", help=cli_bench.SEED_SCALE_HELP)(cli_bench.seed_scale)


class Lang(StrEnum):
    en = "en"
    es = "es"
    pt = "pt"


@app.callback()
def main(
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang",
            help=N_(
                "Language of messages, help and exported files (default: the --as "
                "account's, else ENLACE_DEFAULT_LANGUAGE)"
            ),
        ),
    ] = None,
) -> None:
    choose_language(lang.value if lang else None)


app.command("bench", help=cli_bench.BENCH_HELP)(cli_bench.bench)
app.command("serve", help=cli_serve.SERVE_HELP)(cli_serve.serve)


@db_app.command("upgrade", help=N_("Create or update the schema to the latest migration."))
def db_upgrade() -> None:
    from services.platform import migrate

    with database(require_schema=False) as engine:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        message = _("Schema already up to date ({revision}) on {url}.")
        console.print(message.format(revision=after, url=url), markup=False)
    else:
        message = _("Schema upgraded {before} → {after} on {url}.")
        before_text = before or _("empty")
        console.print(message.format(before=before_text, after=after, url=url), markup=False)


@db_app.command("current", help=N_("Show the schema revision of the database."))
def db_current() -> None:
    from services.platform import migrate

    with database(require_schema=False) as engine:
        console.print(migrate.current_revision(engine) or _("empty (no schema)"), markup=False)


@seed_app.command("demo", help=N_("Add the demo data (idempotent: running it again adds nothing)."))
def seed_demo() -> None:
    from services.tooling.seed import seed_demo as run_seed

    with database() as engine:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(_("Seeding demo data"), total=None)

            def report(step: str, done: int, total: int) -> None:
                progress.update(task, description=_(step), completed=done, total=total)

            with unit_of_work(engine) as session:
                created = run_seed(session=session, progress=report)
    if not any(created.values()):
        console.print(_("Demo data already present: nothing added."))
        return
    console.print(_rows_added(created), markup=False)


def _rows_added(created: dict[str, int]) -> str:
    """ "Demo data added: 1,234 rows (Courses: 2, …)." Tables named as the audit log and
    `seed scale` name them."""
    from services.platform import formatting
    from services.platform.audit_log import ENTITY_LABELS

    total = sum(created.values())
    tables = ", ".join(
        f"{_(ENTITY_LABELS.get(table, table))}: {formatting.number(count)}"
        for table, count in created.items()
        if count
    )
    message = ngettext(
        "Demo data added: {count} row ({tables}).",
        "Demo data added: {count} rows ({tables}).",
        total,
    )
    return message.format(count=formatting.number(total), tables=tables)


COUNTRY_ZONE = "country"  # the word of --time-zone below
TimeZoneOption = typer.Option(
    "--time-zone",
    help=N_(
        "IANA time zone for the times shown, e.g. America/Asuncion; "
        "'country': the zone of the account's country (the default)"
    ),
)


@users_app.command(
    "add", help=N_("Give a person access with a role (the first admin is created this way).")
)
def users_add(
    email: Annotated[str, typer.Argument(help=N_("The person's e-mail address"))],
    role: Annotated[Role, typer.Option(help=N_("officer, coordinator, manager, admin or partner"))],
    country: Annotated[
        str | None, typer.Option(help=N_("ISO 3166-1 alpha-2 code; required for officers"))
    ] = None,
    name: Annotated[str, typer.Option(help=N_("Display name"))] = "",
    language: Annotated[Language, typer.Option(help=N_("Preferred language"))] = Language.en,
    time_zone: Annotated[str | None, TimeZoneOption] = None,
) -> None:
    from pydantic import ValidationError

    from models import UserAccountCreate
    from services.platform import users
    from services.platform.validation import messages

    try:
        user_in = UserAccountCreate(
            email=email,
            role=role,
            country=country,
            display_name=name,
            preferred_language=language,
            time_zone=None if time_zone == COUNTRY_ZONE else time_zone,
        )
    except ValidationError as error:
        problems = "; ".join(messages(error))
        raise fail(_("Invalid account: {problems}").format(problems=problems), 2) from None
    with database() as engine:
        with unit_of_work(engine) as session:
            account = users.add_user(session=session, actor=users.system_actor(), user_in=user_in)
    from services.platform.labels import label

    where = f" ({account.country})" if account.country else ""
    console.print(
        _("Added {email} as {role}{where}.").format(
            email=account.email, role=label(account.role), where=where
        ),
        markup=False,
    )


@users_app.command("list", help=N_("List every account with its role, country and status."))
def users_list() -> None:
    from services.platform import formatting, users
    from services.platform.labels import label

    with database() as engine:
        with unit_of_work(engine) as session:
            accounts = users.list_users(session=session, actor=users.system_actor())
    table = Table(_("Email"), _("Name"), _("Role"), _("Country"), _("Active"))
    for account in accounts:
        table.add_row(
            account.email,
            account.display_name,
            label(account.role),
            account.country or "",
            _("Yes") if account.is_active else _("No"),
        )
    console.print(table)
    count = len(accounts)
    console.print(
        formatting.counted(ngettext("{count} account.", "{count} accounts.", count), count)
    )


@users_app.command(
    "set",
    help=N_("Change a person's role, country, language or time zone, or deactivate the account."),
)
def users_set(
    email: Annotated[str, typer.Argument(help=N_("The person's e-mail address"))],
    role: Annotated[Role | None, typer.Option(help=N_("New role"))] = None,
    country: Annotated[str | None, typer.Option(help=N_("New country (ISO alpha-2)"))] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--deactivate", help=N_("Restore or remove access"))
    ] = None,
    language: Annotated[Language | None, typer.Option(help=N_("Preferred language"))] = None,
    time_zone: Annotated[str | None, TimeZoneOption] = None,
) -> None:
    from pydantic import ValidationError

    from models import UserAccountUpdate
    from services.platform import users
    from services.platform.validation import messages

    changes: dict[str, object] = {
        k: v
        for k, v in {
            "role": role,
            "country": country,
            "is_active": active,
            "preferred_language": language,
            "time_zone": time_zone,
        }.items()
        if v is not None
    }
    if time_zone == COUNTRY_ZONE:
        changes["time_zone"] = None
    try:
        update = UserAccountUpdate.model_validate(changes)
    except ValidationError as error:
        problems = "; ".join(messages(error))
        raise fail(_("Invalid change: {problems}").format(problems=problems), 2) from None
    with database() as engine:
        with unit_of_work(engine) as session:
            account = users.find_by_email(session, email)
            if account is None or account.id is None:
                raise fail(_("No account for {email}.").format(email=email))
            users.update_user(
                session=session,
                actor=users.system_actor(),
                account_id=account.id,
                user_in=update,
            )
    console.print(_("Updated {email}.").format(email=email), markup=False)


@users_app.command(
    "sign-out",
    help=N_(
        "Sign a person out everywhere: every browser of theirs is signed out at its next click."
    ),
)
def users_sign_out(
    email: Annotated[str, typer.Argument(help=N_("The person's e-mail address"))],
) -> None:
    from services.platform import users

    with database() as engine:
        with unit_of_work(engine) as session:
            account = users.find_by_email(session, email)
            if account is None or account.id is None:
                raise fail(_("No account for {email}.").format(email=email))
            users.end_sessions(session=session, actor=users.system_actor(), account_id=account.id)
    console.print(_("{email} is signed out everywhere.").format(email=email), markup=False)


@app.command(
    "demo",
    help=N_(
        "Run the app locally: migrate, seed demo data if empty, start demo sign-in and the app."
    ),
)
def run_demo(
    port: Annotated[int, typer.Option(help=N_("Port of the app"))] = 8501,
    provider_port: Annotated[
        int, typer.Option(help=N_("Port of the local sign-in provider"))
    ] = 9400,
    smtp_port: Annotated[int, typer.Option(help=N_("Port of the local mail server"))] = 8025,
) -> None:
    import logging
    import warnings

    # The test provider's own dependencies warn about deprecations that are not ours to fix.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from services.cli import reminders as cli_reminders
    from services.platform import migrate, users
    from services.platform.db import build_engine, session_scope
    from services.platform.settings import DATA_DIR, PROJECT_ROOT, ConfigurationError, get_settings
    from services.tooling import (
        demo,  # the test provider is imported only for the demo
        demo_mail,
    )
    from services.tooling.seed import seed_demo as run_seed

    os.environ["ENLACE_DEMO_MODE"] = "true"
    mail_settings = demo_mail.point_settings_at(smtp_port, app_port=port)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except ConfigurationError as error:
        raise fail(str(error), 2) from None
    engine = build_engine(settings.database_url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        if not users.list_users(session=session, actor=users.system_actor()):
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task(_("Seeding demo data"), total=None)
                created = run_seed(
                    session=session,
                    progress=lambda step, done, total: progress.update(
                        task, description=_(step), completed=done, total=total
                    ),
                )
            console.print(_rows_added(created), markup=False)
        accounts = [
            (a.email, a.display_name)
            for a in users.list_users(session=session, actor=users.system_actor())
        ]
    mail_server = demo_mail.local_smtp(DATA_DIR / "mail", _caught, port=smtp_port)
    try:
        mail_server.__enter__()
    except OSError as error:
        message = _("Cannot start the demo mail server on port {port}: {reason}")
        raise fail(message.format(port=smtp_port, reason=error)) from None
    cli_reminders.demo_reminders(engine, settings, mail_settings)
    engine.dispose()
    secrets_file = demo.write_secrets(
        DATA_DIR / "demo-secrets.toml", app_port=port, provider_port=provider_port
    )
    try:
        provider = demo.serve_provider(settings, port=provider_port, accounts=accounts)
        server = provider.__enter__()
    except (demo.DemoRefused, OSError) as error:
        message = _("Cannot start the demo sign-in provider: {reason}")
        raise fail(message.format(reason=error)) from None
    command = [
        sys.executable,
        "-m",
        "services.ui.server",
        "--port",
        str(port),
        "--address",
        "localhost",
        "--secrets",
        str(secrets_file),
    ]
    app_process = subprocess.Popen(command, cwd=PROJECT_ROOT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", app_process)
        running = _(
            "Enlace is running at {app_url}  (Ctrl+C to stop)\n"
            "Demo sign-in provider on {provider_url}: click a demo account, or type an "
            "address such as officer.ar@enlace.test."
        )
        app_url = f"http://localhost:{port}"
        provider_url = f"http://127.0.0.1:{server.server_port}"
        console.print(
            "\n" + running.format(app_url=app_url, provider_url=provider_url) + "\n",
            markup=False,
        )
        app_process.wait()
    except KeyboardInterrupt:
        console.print(_("Stopping."))
    finally:
        app_process.terminate()
        app_process.wait(timeout=10)
        provider.__exit__(None, None, None)
        mail_server.__exit__(None, None, None)


def _caught(line: str) -> None:
    console.print(line, markup=False)


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    from services.tooling import demo

    try:
        demo.wait_until_healthy(url, stopped=lambda: process.poll() is not None, timeout=timeout)
    except demo.ServerStopped:
        raise fail(_("The app stopped while starting; see the messages above.")) from None
    except TimeoutError:
        message = _("The app did not answer at {url} within {seconds} s.")
        raise fail(message.format(url=url, seconds=f"{timeout:.0f}")) from None


if __name__ == "__main__":
    app()
