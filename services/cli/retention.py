"""`enlace retention`: anonymise closed cases after the retention period; erase one case's
personal data on request. Acts as the command-line operator (an admin, audited as "cli")."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import MofNCompleteColumn

from services.cli.common import console, database, progress_bar, unit_of_work

if TYPE_CHECKING:
    from services.cases import retention

retention_app = typer.Typer(
    help=(
        "Retention of case data: closed cases are anonymised after ENLACE_RETENTION_YEARS "
        "years; a case's personal data can be erased on request. Statistics stay the same."
    ),
    no_args_is_help=True,
)


def _removed(done: "retention.Anonymised") -> str:
    return (
        f"{done.fields_cleared} free-text fields cleared, {done.notes_removed} notes removed, "
        f"{done.referral_reasons_removed} referral reasons removed"
    )


@retention_app.command("apply")
def retention_apply(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be anonymised; write nothing")
    ] = False,
) -> None:
    """Anonymise closed cases whose closure is older than the retention period."""
    from services.cases import retention
    from services.platform import users

    with database() as engine, unit_of_work(engine) as session:
        with progress_bar(MofNCompleteColumn()) as progress:
            task = progress.add_task("Anonymising closed cases", total=None)
            report = retention.apply_retention(
                session=session,
                actor=users.system_actor(),
                dry_run=dry_run,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    since = report.cutoff.date().isoformat()
    if report.dry_run:
        console.print(
            f"Dry run, nothing written: {report.eligible} closed cases were closed before {since} "
            f"({report.years} years) and would be anonymised; {_removed(report.done)}.",
            markup=False,
        )
    elif not report.eligible:
        console.print(
            f"No closed case was closed before {since} ({report.years} years): nothing to do.",
            markup=False,
        )
    else:
        console.print(
            f"Anonymised {report.done.cases} closed cases closed before {since} "
            f"({report.years} years): {_removed(report.done)}, "
            f"{report.done.audit_rows_masked} audit rows masked. "
            "Dates were kept to the month; statistics are unchanged.",
            markup=False,
        )


@retention_app.command("erase")
def retention_erase(
    case_code: str,
    reason: Annotated[str, typer.Option(help="Why (e.g. 'request of the person, by e-mail')")],
) -> None:
    """Erase one case's personal data at the person's request (the reason is logged masked)."""
    from services.cases import retention
    from services.platform import users

    with database() as engine, unit_of_work(engine) as session:
        report = retention.erase_case(
            session=session, actor=users.system_actor(), case_code=case_code, reason=reason
        )
    console.print(
        f"Personal data of case {report.case_code} erased: {_removed(report.done)}, "
        f"{report.done.audit_rows_masked} audit rows masked. Dates were kept to the month.",
        markup=False,
    )
