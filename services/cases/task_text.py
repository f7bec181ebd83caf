"""The words of a due item, for "My tasks" and the e-mail digest alike: its state ("Overdue
since 2026-11-28", a mark as well as the words), what is to be done, and the link to its case.
No alias, no note: a task names the case by its code only."""

from datetime import date
from urllib.parse import quote

from services.cases.tasks import Task, TaskKind
from services.platform import formatting
from services.platform.i18n import _
from services.platform.labels import label

# Where a task links to (relative to the app's address): the case's page; for partner staff,
# the list of referrals to their organisation (they have no case page).
CASE_LINK = "case?code={code}"
REFERRALS_LINK = "referrals"
OVERDUE_MARK, TODAY_MARK, SOON_MARK = "⚠", "⏰", "•"


def case_link(code: str, base_url: str = "") -> str:
    """The address of the case `code`, under `base_url` (the app's public address) if given."""
    return _under(base_url, CASE_LINK.format(code=quote(code)))


def task_link(task: Task, base_url: str = "") -> str:
    """Where a task is done: its case's page, or a partner's referrals page."""
    if task.kind == TaskKind.answer:
        return _under(base_url, REFERRALS_LINK)
    return case_link(task.case_code, base_url)


def _under(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}/{path}" if base_url else f"/{path}"


def status(task: Task, today: date) -> str:
    """The state of the due date, with its mark: overdue, due today, or the day it is due."""
    if task.due_on < today:
        when = _("Overdue since {date}").format(date=formatting.date_text(task.due_on))
        return f"{OVERDUE_MARK} {when}"
    if task.due_on == today:
        return f"{TODAY_MARK} " + _("Due today")
    return f"{SOON_MARK} " + _("Due on {date}").format(date=formatting.date_text(task.due_on))


def what(task: Task) -> str:
    """What is to be done: follow the case up, or chase an organisation's answer."""
    if task.kind == TaskKind.answer:
        return _("Answer the referral of case {code} ({service})").format(
            code=task.case_code, service=label(task.service)
        )
    if task.kind == TaskKind.referral:
        return _("Answer to the referral from {organisation} ({service})").format(
            organisation=task.organisation or "—", service=label(task.service)
        )
    return _("Follow-up of the case ({stage})").format(stage=label(task.stage))


def counts(tasks: list[Task], today: date) -> str:
    """ "2 overdue · 1 due today · 3 in the coming days"."""
    overdue = sum(task.due_on < today for task in tasks)
    due_today = sum(task.due_on == today for task in tasks)
    return " · ".join(
        [
            _("Overdue: {count}").format(count=overdue),
            _("Due today: {count}").format(count=due_today),
            _("Coming days: {count}").format(count=len(tasks) - overdue - due_today),
        ]
    )
