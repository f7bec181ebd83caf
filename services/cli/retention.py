"""`enlace retention`: anonymise closed cases after the retention period; erase one case's
personal data on request. Acts as the command-line operator (an admin, audited as "cli")."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import MofNCompleteColumn

from services.cli.common import console, database, progress_bar, unit_of_work
from services.platform.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from services.cases import retention

retention_app = typer.Typer(
    help=N_(
        "Retention of case data: closed cases are anonymised after ENLACE_RETENTION_YEARS "
        "years; a case's personal data can be erased on request. Statistics stay the same."
    ),
    no_args_is_help=True,
)


def _removed(done: "retention.Anonymised") -> str:
    """ "3 free-text fields cleared, 1 note removed, 0 referral reasons removed"."""
    from services.platform import formatting

    fields = ngettext(
        "{count} free-text field cleared", "{count} free-text fields cleared", done.fields_cleared
    )
    notes = ngettext("{count} note removed", "{count} notes removed", done.notes_removed)
    reasons = ngettext(
        "{count} referral reason removed",
        "{count} referral reasons removed",
        done.referral_reasons_removed,
    )
    return ", ".join(
        [
            formatting.counted(fields, done.fields_cleared),
            formatting.counted(notes, done.notes_removed),
            formatting.counted(reasons, done.referral_reasons_removed),
        ]
    )


def _masked(count: int) -> str:
    from services.platform import formatting

    return formatting.counted(
        ngettext("{count} audit row masked", "{count} audit rows masked", count), count
    )


@retention_app.command(
    "apply", help=N_("Anonymise closed cases whose closure is older than the retention period.")
)
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=N_("Count what would be anonymised; write nothing"))
    ] = False,
) -> None:
    from services.cases import retention
    from services.platform import formatting, users

    with database() as engine, unit_of_work(engine) as session:
        with progress_bar(MofNCompleteColumn()) as progress:
            task = progress.add_task(_("Anonymising closed cases"), total=None)
            report = retention.apply_retention(
                session=session,
                actor=users.system_actor(),
                dry_run=dry_run,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    since = formatting.date_text(report.cutoff.date())
    years = formatting.counted(
        ngettext("{count} year", "{count} years", report.years), report.years
    )
    if report.dry_run:
        message = ngettext(
            "Dry run, nothing written: {count} closed case was closed before {since} ({years}) "
            "and would be anonymised; {removed}.",
            "Dry run, nothing written: {count} closed cases were closed before {since} ({years}) "
            "and would be anonymised; {removed}.",
            report.eligible,
        )
        text = message.format(
            count=formatting.number(report.eligible),
            since=since,
            years=years,
            removed=_removed(report.done),
        )
    elif not report.eligible:
        message = _("No closed case was closed before {since} ({years}): nothing to do.")
        text = message.format(since=since, years=years)
    else:
        message = ngettext(
            "Anonymised {count} closed case closed before {since} ({years}): {removed}, "
            "{masked}. Dates were kept to the month; statistics are unchanged.",
            "Anonymised {count} closed cases closed before {since} ({years}): {removed}, "
            "{masked}. Dates were kept to the month; statistics are unchanged.",
            report.done.cases,
        )
        text = message.format(
            count=formatting.number(report.done.cases),
            since=since,
            years=years,
            removed=_removed(report.done),
            masked=_masked(report.done.audit_rows_masked),
        )
    console.print(text, markup=False)


@retention_app.command(
    "erase",
    help=N_(
        "Erase one case's personal data at the person's request (the reason is logged masked)."
    ),
)
def retention_erase(
    case_code: Annotated[str, typer.Argument(help=N_("The case's code"))],
    reason: Annotated[str, typer.Option(help=N_("Why (e.g. 'request of the person, by e-mail')"))],
) -> None:
    from services.cases import retention
    from services.platform import users

    with database() as engine, unit_of_work(engine) as session:
        report = retention.erase_case(
            session=session, actor=users.system_actor(), case_code=case_code, reason=reason
        )
    message = _(
        "Personal data of case {code} erased: {removed}, {masked}. Dates were kept to the month."
    )
    console.print(
        message.format(
            code=report.case_code,
            removed=_removed(report.done),
            masked=_masked(report.done.audit_rows_masked),
        ),
        markup=False,
    )
