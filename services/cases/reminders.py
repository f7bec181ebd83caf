"""E-mail reminders: one digest a person of what is due or overdue for them (`tasks`), in
their language, never the same reminder twice.

A reminder is one due item for one due date (`ReminderSent`): once a digest listing it has
gone, it is not listed again; a new due date (the case moved, a new referral) is a new
reminder. The command (`enlace reminders send`) sends each digest in its own unit of work
and records it there, so a failed send records nothing and is tried again next run.
The digest names cases by code and organisations by name: no alias, no note.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage

from sqlmodel import Session, col, select

from models import ReminderSent, UserAccount
from models.enums import Role
from services.cases import task_text
from services.cases.tasks import TASK_ROLES, Task, list_tasks
from services.platform import audit
from services.platform.access import require_role
from services.platform.errors import Conflict
from services.platform.i18n import N_, _, get_language, set_language
from services.platform.rows import flush_or_conflict


@dataclass(frozen=True)
class Digest:
    """What one person is reminded of."""

    user_id: int
    email: str
    name: str
    language: str
    tasks: tuple[Task, ...]


@contextmanager
def _in_language(language: str) -> Iterator[None]:
    before = get_language()
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


def pending_digests(*, session: Session, actor: UserAccount, today: date) -> list[Digest]:
    """Everyone's digest of what is due by `today` and not reminded yet (people with nothing
    new get none), by e-mail address. The operator's run: admins only."""
    require_role(actor, (Role.admin,))
    people = session.exec(
        select(UserAccount)
        .where(col(UserAccount.is_active), col(UserAccount.role).in_(TASK_ROLES))
        .order_by(col(UserAccount.email))
    ).all()
    digests = []
    for person in people:
        due = list_tasks(
            session=session, actor=person, today=today, soon_days=0, unreminded_only=True
        )
        if due:
            digests.append(
                Digest(
                    user_id=person.id,  # type: ignore[arg-type]
                    email=person.email,
                    name=person.display_name or person.email,
                    language=str(person.preferred_language),
                    tasks=tuple(due),
                )
            )
    return digests


def compose(digest: Digest, *, sender: str, base_url: str, today: date) -> EmailMessage:
    """The digest as an e-mail in the person's language."""
    with _in_language(digest.language):
        subject = _("Enlace reminder: due or overdue ({count})").format(count=len(digest.tasks))
        lines = [
            _("Hello {name},").format(name=digest.name),
            "",
            _("These are due or overdue for you in Enlace:"),
            "",
        ]
        for task in digest.tasks:
            lines.append(f"{task.case_code} · {task_text.status(task, today)}")
            lines.append(f"  {task_text.what(task)}")
            lines.append(f"  {task_text.task_link(task, base_url)}")
        lines += ["", _("You receive this reminder once for each due date.")]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = digest.email
    message["Content-Language"] = digest.language
    message.set_content("\n".join(lines))
    return message


ALREADY_SENT = N_("This reminder was sent already (another run at the same time?).")


def record_sent(*, session: Session, actor: UserAccount, digest: Digest) -> None:
    """Record that the digest went: none of its reminders is sent again. A Conflict if another
    run recorded one of them first."""
    require_role(actor, (Role.admin,))
    for task in digest.tasks:
        session.add(
            ReminderSent(
                user_id=digest.user_id,
                item_kind=task.kind.value,
                item_id=task.item_id,
                due_on=task.due_on,
            )
        )
    flush_or_conflict(session, Conflict(ALREADY_SENT))
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.reminder_sent,
        entity="user_account",
        entity_id=digest.user_id,
        changes=audit.diff({}, {"cases": sorted({task.case_code for task in digest.tasks})}),
    )
    session.flush()
