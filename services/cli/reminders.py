"""`enlace reminders send`: e-mail each person one digest of what is due or overdue for them,
in their language, through the SMTP server of ENLACE_SMTP_*. Cron-able: a reminder already
sent is never sent again, and a failed send is tried again at the next run."""

import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import MofNCompleteColumn

from services.cli.common import console, database, err, fail, progress_bar, unit_of_work
from services.platform.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from services.cases import reminders
    from services.platform.settings import Settings

reminders_app = typer.Typer(
    help=N_(
        "E-mail reminders of due follow-ups and referrals waiting for an answer: one digest a "
        "person, in their language. Run it once a day (cron); nothing is sent twice."
    ),
    no_args_is_help=True,
)


DryRun = Annotated[
    bool, typer.Option("--dry-run", help=N_("Print who would get what; send and record nothing"))
]


@dataclass
class Delivery:
    """What a run sent: the addresses reached, and those that failed with the reason."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def send_digests(
    engine: "Engine",
    settings: "Settings",
    digests: "list[reminders.Digest]",
    *,
    progress: Callable[[int], None] = lambda done: None,
) -> Delivery:
    """Send each digest in its own unit of work: recorded only if the server took it."""
    from services.cases import reminders
    from services.platform import mail, users
    from services.platform.db import session_scope
    from services.platform.errors import Conflict

    today = datetime.now(UTC).date()
    delivery = Delivery()
    for done, digest in enumerate(digests, start=1):
        message = reminders.compose(
            digest, sender=settings.smtp_from, base_url=settings.public_url, today=today
        )
        try:
            with session_scope(engine) as session:
                reminders.record_sent(session=session, actor=users.system_actor(), digest=digest)
                mail.send(settings, message)
        except (smtplib.SMTPException, OSError) as error:
            delivery.failed.append((digest.email, str(error) or type(error).__name__))
        except Conflict as error:
            delivery.failed.append((digest.email, error.translated()))
        else:
            delivery.sent.append(digest.email)
        progress(done)
    return delivery


def _number(count: int) -> str:
    """A count as the reader writes it ("1.234" in Spanish), loaded only when printed."""
    from services.platform import formatting

    return formatting.number(count)


def due_digests(engine: "Engine") -> "list[reminders.Digest]":
    """Everyone's digest of what is due today and not reminded yet."""
    from services.cases import reminders
    from services.platform import users

    with unit_of_work(engine) as session:
        return reminders.pending_digests(
            session=session, actor=users.system_actor(), today=datetime.now(UTC).date()
        )


@reminders_app.command(
    "send", help=N_("Send today's digests: each person's due and overdue items not reminded yet.")
)
def reminders_send(dry_run: DryRun = False) -> None:
    from services.platform import mail
    from services.platform.settings import ConfigurationError, get_settings

    try:
        settings = get_settings()
    except ConfigurationError as error:
        raise fail(str(error), 2) from None
    problem = None if dry_run else mail.missing_setting(settings)
    if problem:
        raise fail(problem, 2)
    with database() as engine:
        digests = due_digests(engine)
        if not digests:
            console.print(_("Nothing to remind: every due item was reminded already."))
            return
        if dry_run:
            for digest in digests:
                codes = ", ".join(task.case_code for task in digest.tasks)
                count = len(digest.tasks)
                would_send = ngettext(
                    "Would send to {email} ({language}): {count} reminder: {codes}",
                    "Would send to {email} ({language}): {count} reminders: {codes}",
                    count,
                )
                console.print(
                    would_send.format(
                        email=digest.email,
                        language=digest.language,
                        count=_number(count),
                        codes=codes,
                    ),
                    markup=False,
                )
            count = len(digests)
            dry = ngettext(
                "Dry run, nothing sent: {count} digest would be sent.",
                "Dry run, nothing sent: {count} digests would be sent.",
                count,
            )
            console.print(dry.format(count=_number(count)))
            return
        with progress_bar(MofNCompleteColumn()) as bar:
            task = bar.add_task(_("Sending reminders"), total=len(digests))
            delivery = send_digests(
                engine, settings, digests, progress=lambda done: bar.update(task, completed=done)
            )
    for email, reason in delivery.failed:
        not_sent = _("Not sent to {email}: {reason} (tried again next run)")
        err.print(not_sent.format(email=email, reason=reason), markup=False)
    sent = len(delivery.sent)
    # One digest a person: the count of digests is the count of people.
    summary = ngettext(
        "Sent {count} digest to {count} person; {failed} failed.",
        "Sent {count} digests to {count} people; {failed} failed.",
        sent,
    )
    failed = _number(len(delivery.failed))
    console.print(summary.format(count=_number(sent), failed=failed), markup=False)
    if delivery.failed:
        raise typer.Exit(1)


def demo_reminders(engine: "Engine", settings: "Settings", variables: dict[str, str]) -> None:
    """The demo's first reminder run, to its local mail server, and how to run it again."""
    digests = due_digests(engine)
    delivery = send_digests(engine, settings, digests)
    sent = len(delivery.sent)
    message = ngettext(
        "Demo mail server on {server} (mails in data/mail/): {count} reminder digest sent, "
        "{failed} failed. To send the new ones again:",
        "Demo mail server on {server} (mails in data/mail/): {count} reminder digests sent, "
        "{failed} failed. To send the new ones again:",
        sent,
    )
    server = f"{settings.smtp_host}:{settings.smtp_port}"
    variables_set = " ".join(f"{name}='{value}'" for name, value in variables.items())
    command = f"{variables_set} uv run enlace reminders send"  # a shell line, not words
    console.print(
        message.format(server=server, count=_number(sent), failed=_number(len(delivery.failed)))
        + "\n  "
        + command,
        markup=False,
    )
