"""Case files: the board's list, and HTCDS/CTDC microdata (k-anonymous for managers)."""

from datetime import date
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import (
    Case,
    Organisation,
    Referral,
    UserAccount,
)
from models.base import utcnow
from models.enums import Role
from services.cases import microdata
from services.cases.board import NO_FILTERS, CaseFilters, filter_conditions
from services.cases.presentation import shown_value
from services.cases.records import ASSESSMENT_FIELDS
from services.cases.storage import record_case_audit
from services.platform import audit
from services.platform.access import CASE_WORKERS, case_scope, require_role
from services.platform.errors import PermissionDenied
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings

# --- export -----------------------------------------------------------------------------

ExportLayout = Literal["list", "htcds", "ctdc"]
_EXPORTED_FIELDS = (
    *ASSESSMENT_FIELDS,
    "case_code",
    "reporting_country",
    "stage",
    "closure_reason",
    "return_counterpart",
    "return_travel_date",
    "return_reception",
)


def _may_read_case_rows(actor: UserAccount) -> bool:
    """Case workers read rows of their scope; every other reader gets de-identified exports."""
    return actor.role in CASE_WORKERS


def _export_rows(
    session: Session, actor: UserAccount, filters: CaseFilters
) -> list[tuple[Case, str | None, str | None, set[str], date | None]]:
    """(case, assignee email, assignee name, organisations referred to, first referral date)
    for the cases the actor may export, by case code."""
    scope = case_scope(actor) if _may_read_case_rows(actor) else sa.true()
    conditions = filter_conditions(filters)
    assignee = aliased(UserAccount)
    case_rows = session.exec(
        select(Case, assignee.email, assignee.display_name)
        .outerjoin(assignee, col(assignee.id) == Case.assigned_to_id)
        .where(scope, *conditions)
        .order_by(col(Case.case_code))
    ).all()
    # Referrals of the same cases in one more query, not one per case.
    chosen_ids = select(Case.id).where(scope, *conditions)
    referral_rows = session.exec(
        select(col(Referral.case_id), col(Organisation.name), col(Referral.sent_on))
        .join(Organisation, col(Organisation.id) == Referral.organisation_id)
        .where(col(Referral.case_id).in_(chosen_ids))
    ).all()
    organisations: dict[int, set[str]] = {}
    first_sent: dict[int, date] = {}
    for case_id, organisation_name, sent_on in referral_rows:
        organisations.setdefault(case_id, set()).add(organisation_name)
        first_sent[case_id] = min(first_sent.get(case_id, sent_on), sent_on)
    return [
        (
            case,
            email,
            name,
            organisations.get(case.id or 0, set()),
            first_sent.get(case.id or 0),
        )
        for case, email, name in case_rows
    ]


def _source_rows(
    rows: list[tuple[Case, str | None, str | None, set[str], date | None]],
) -> list[dict[str, Any]]:
    """The fields the HTCDS and CTDC layouts are built from (services/htcds, microdata)."""
    return [
        {
            **{name: getattr(case, name) for name in _EXPORTED_FIELDS},
            "assignee_email": email,
            "referred_organisations": sorted(organisations),
            "first_referral_on": first_sent,
        }
        for case, email, _name, organisations, first_sent in rows
    ]


def case_export(
    *,
    session: Session,
    actor: UserAccount,
    layout: ExportLayout = "list",
    filters: CaseFilters = NO_FILTERS,
) -> pd.DataFrame:
    """The filtered case list for a file, audited.

    `list`: the board's list with translated headers and labels, no alias or free text.
    `htcds` / `ctdc`: see case_microdata — everything for case workers; for managers, who never
    see case rows in the app, de-identified and k-anonymous rows.
    """
    require_role(actor, (*CASE_WORKERS, Role.manager))
    if layout != "list":
        return case_microdata(session=session, actor=actor, layout=layout, filters=filters).frame
    if not _may_read_case_rows(actor):
        raise PermissionDenied(N_("Managers export the de-identified HTCDS or CTDC layout only."))
    now = utcnow()
    frame = pd.DataFrame(
        [
            {
                _("Case"): case.case_code,
                _("Stage"): label(case.stage),
                _("Urgency"): label(case.urgency),
                _("Situation"): label(case.situation),
                _("Reporting country"): country_name(case.reporting_country),
                _("Identified on"): case.identified_on,
                _("Age band"): case.age_band or "",
                _("Minor"): _("Yes") if case.is_minor else _("No"),
                _("Gender"): label(case.gender),
                _("Citizenship"): country_name(case.citizenship),
                _("Types of exploitation"): shown_value(list(case.exploitation_types or [])),
                _("Country of exploitation"): country_name(case.exploitation_country),
                _("Consent given"): _("Yes") if case.consent_given else _("No"),
                _("Days in stage"): max(0, (now - case.stage_changed_at).days),
                _("Assigned to"): (name or email) if email else "",
                _("Referrals"): len(organisations),
            }
            for case, email, name, organisations, _first in _export_rows(session, actor, filters)
        ]
    )
    summary = {
        "layout": layout,
        "deidentified": False,
        "rows": len(frame),
        "filters": filters.given(),
    }
    record_case_audit(session, actor=actor, action=audit.AuditAction.case_export, changes=summary)
    return frame


def case_microdata(
    *,
    session: Session,
    actor: UserAccount,
    layout: str,
    filters: CaseFilters | None = None,
    file_format: str | None = None,
    k: int | None = None,
) -> microdata.Microdata:
    """One row per case in the HTCDS or CTDC layout (services/cases/microdata.py), audited.

    Case workers (officers, coordinators, admins) get full rows of the cases they may read.
    Every other reader (managers) gets every case de-identified: no code, alias, date finer than
    the year, person or free text, and k-anonymous over the person-level columns (k: the
    `microdata_k` setting), generalised then withheld; the result says how many rows were.
    """
    require_role(actor, (*CASE_WORKERS, Role.manager))
    if layout not in microdata.LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; use htcds or ctdc")
    chosen = filters or CaseFilters()
    deidentified = not _may_read_case_rows(actor)
    rows = _source_rows(_export_rows(session, actor, chosen))
    result = microdata.build(
        rows,
        layout=layout,
        deidentified=deidentified,
        k=k if k is not None else get_settings().microdata_k,
    )
    summary = {
        "layout": layout,
        "format": file_format,
        "deidentified": deidentified,
        "rows": len(result.frame),
        "k": result.k,
        "generalised": result.generalised,
        "withheld": result.withheld,
        "filters": chosen.given(),
    }
    action = audit.AuditAction.export
    record_case_audit(session, actor=actor, action=action, entity_id=layout, changes=summary)
    return result
