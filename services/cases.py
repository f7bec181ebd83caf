"""Referral cases: create, list for the board, read one case, add notes.

Every function takes the acting user and scopes its query with `access.case_scope`, so an
officer only ever reaches the cases of their own country and the cases shared with it.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pandas as pd
import pycountry
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from models import (
    CaseEvent,
    CaseEventCreate,
    CaseReferral,
    Organisation,
    ReferralCase,
    ReferralCaseCreate,
    UserAccount,
)
from models.base import utcnow
from models.enums import STAGE_ORDER, CaseEventKind, Role, Stage, Urgency
from services import audit, validation
from services.access import CASE_WORKERS, case_scope, require_role
from services.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.i18n import N_, _
from services.labels import country_name, label

ENTITY = "referral_case"
MAX_PAGE_SIZE = 500
_URGENCY_RANK = {Urgency.high.value: 0, Urgency.medium.value: 1, Urgency.low.value: 2}
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# Labels of the case fields, for forms, error messages and the detail view.
FIELD_LABELS: dict[str, str] = {
    "case_code": N_("Case"),
    "stage": N_("Stage"),
    "reporting_country": N_("Reporting country"),
    "consular_post": N_("Consular post"),
    "identified_on": N_("Identified on"),
    "identified_place": N_("Place identified"),
    "person_alias": N_("Alias or initials"),
    "gender": N_("Gender"),
    "age_band": N_("Age band"),
    "is_minor": N_("Minor"),
    "citizenship": N_("Citizenship"),
    "primary_language": N_("Primary language"),
    "situation": N_("Suspected situation"),
    "trafficking_status": N_("Trafficking status"),
    "exploitation_types": N_("Types of exploitation"),
    "forced_labour_industries": N_("Forced-labour industries"),
    "means_of_control": N_("Means of control"),
    "indicators": N_("Indicators observed"),
    "exploitation_country": N_("Country of exploitation"),
    "consent_given": N_("Consent given"),
    "consent_date": N_("Consent date"),
    "consent_scope": N_("Consent scope"),
    "urgency": N_("Urgency"),
    "needs": N_("Needs"),
    "version": N_("Version"),
    "note": N_("Note"),
}


@dataclass(frozen=True)
class CaseCard:
    """One card of the board: no alias, no notes."""

    id: int
    case_code: str
    stage: str
    urgency: str
    age_band: str | None
    is_minor: bool
    situation: str
    reporting_country: str
    days_in_stage: int
    assignee: str | None


@dataclass(frozen=True)
class ReferralLine:
    """A referral of the case to an organisation, with the organisation's name and country."""

    id: int
    organisation_id: int
    organisation_name: str
    organisation_country: str
    service: str
    sent_on: date
    state: str
    decline_reason: str | None
    answered_on: date | None
    cross_border_country: str | None


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    kind: str
    created_at: datetime
    author: str | None
    note: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseDetail:
    case: ReferralCase
    referrals: list[ReferralLine]
    events: list[TimelineEntry]


# --- codes -------------------------------------------------------------------------------


def next_case_code(*, session: Session, country: str, year: int) -> str:
    """The next free code of a country-year, e.g. 'AR-2026-0007'."""
    country = country.strip().upper()
    if not _COUNTRY.match(country):
        raise ValueError(f"'{country}' is not a two-letter country code")
    prefix = f"{country}-{year:04d}-"
    # Compare sequences as numbers: 'AR-2026-10000' sorts before 'AR-2026-9999' as text.
    sequence = sa.cast(func.substr(ReferralCase.case_code, len(prefix) + 1), sa.Integer)
    statement = select(func.max(sequence)).where(
        col(ReferralCase.case_code).startswith(prefix, autoescape=True)
    )
    highest = session.exec(statement).one() or 0
    return f"{prefix}{int(highest) + 1:04d}"


# --- writes ------------------------------------------------------------------------------


def create_case(
    *, session: Session, actor: UserAccount, case_in: ReferralCaseCreate
) -> ReferralCase:
    """Open a case at stage 'identified'; officers only for their own country."""
    require_role(actor, CASE_WORKERS)
    if actor.role == Role.officer and case_in.reporting_country != actor.country:
        raise PermissionDenied("officers report cases of their own country only")
    actor_id, country = actor.id, case_in.reporting_country
    for attempt in (1, 2):
        now = utcnow()
        case = ReferralCase.model_validate(
            case_in,
            update={
                "case_code": next_case_code(session=session, country=country, year=now.year),
                "reported_by_id": actor_id,
                "stage": Stage.identified,
                "stage_changed_at": now,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        session.add(case)
        try:
            session.flush()
        except IntegrityError:
            # Another user took the same code between our read and our insert: try once more.
            session.rollback()
            if attempt == 2:
                raise Conflict("the case code was taken twice in a row; try again") from None
            continue
        break
    session.add(
        CaseEvent(
            case_id=case.id,  # type: ignore[arg-type]
            kind=CaseEventKind.created,
            author_id=actor_id,
            details={"stage": Stage.identified.value},
            created_at=now,
        )
    )
    snapshot = case.model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "stage_changed_at"}
    )
    audit.record(
        session,
        actor=actor,
        action="case_created",
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff({}, snapshot),
    )
    session.commit()
    session.refresh(case)
    return case


def add_note(
    *, session: Session, actor: UserAccount, case_code: str, note: str, expected_version: int
) -> CaseEvent:
    """Append a note; refused with StaleVersion if the case changed since `expected_version`."""
    case_id = _scoped_case_id(session=session, actor=actor, case_code=case_code)
    event_in = CaseEventCreate(kind=CaseEventKind.note, note=note)
    if not event_in.note:
        raise ValueError("the note is empty")
    bumped = session.exec(
        sa.update(ReferralCase)
        .where(col(ReferralCase.id) == case_id, col(ReferralCase.version) == expected_version)
        .values(version=col(ReferralCase.version) + 1, updated_at=utcnow())
    )
    if bumped.rowcount == 0:
        session.rollback()
        raise StaleVersion("the case was changed by someone else; nothing was saved")
    event = CaseEvent(
        case_id=case_id, kind=CaseEventKind.note, author_id=actor.id, note=event_in.note
    )
    session.add(event)
    audit.record(
        session,
        actor=actor,
        action="case_note_added",
        entity=ENTITY,
        entity_id=case_id,
        changes=audit.diff(
            {"note": None, "version": expected_version},
            {"note": event_in.note, "version": expected_version + 1},
        ),
    )
    session.commit()
    session.refresh(event)
    return event


# --- reads -------------------------------------------------------------------------------


def _filters(
    *,
    stage: str | None,
    country: str | None,
    urgency: str | None,
    situation: str | None,
    assigned_to_id: int | None,
    open_only: bool,
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if stage:
        conditions.append(col(ReferralCase.stage) == str(stage))
    if country:
        conditions.append(col(ReferralCase.reporting_country) == country.upper())
    if urgency:
        conditions.append(col(ReferralCase.urgency) == str(urgency))
    if situation:
        conditions.append(col(ReferralCase.situation) == str(situation))
    if assigned_to_id is not None:
        conditions.append(col(ReferralCase.assigned_to_id) == assigned_to_id)
    if open_only:
        conditions.append(col(ReferralCase.stage) != Stage.closed.value)
    return conditions


def list_cases(
    *,
    session: Session,
    actor: UserAccount,
    stage: str | None = None,
    country: str | None = None,
    urgency: str | None = None,
    situation: str | None = None,
    assigned_to_id: int | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseCard]:
    """The board's cards the actor may see: most urgent first, then longest in stage."""
    scope = case_scope(actor)
    assignee = aliased(UserAccount)
    urgency_rank = sa.case(_URGENCY_RANK, value=ReferralCase.urgency, else_=len(_URGENCY_RANK))
    statement = (
        # SQLAlchemy's select: SQLModel's typed overloads stop at four columns.
        sa.select(
            col(ReferralCase.id),
            col(ReferralCase.case_code),
            col(ReferralCase.stage),
            col(ReferralCase.urgency),
            col(ReferralCase.age_band),
            col(ReferralCase.is_minor),
            col(ReferralCase.situation),
            col(ReferralCase.reporting_country),
            col(ReferralCase.stage_changed_at),
            col(assignee.display_name),
            col(assignee.email),
        )
        .outerjoin(assignee, col(assignee.id) == ReferralCase.assigned_to_id)
        .where(
            scope,
            *_filters(
                stage=stage,
                country=country,
                urgency=urgency,
                situation=situation,
                assigned_to_id=assigned_to_id,
                open_only=open_only,
            ),
        )
        .order_by(urgency_rank, col(ReferralCase.stage_changed_at), col(ReferralCase.id))
        .limit(max(1, min(limit, MAX_PAGE_SIZE)))
        .offset(max(0, offset))
    )
    now = utcnow()
    return [
        CaseCard(
            id=row.id,
            case_code=row.case_code,
            stage=str(row.stage),
            urgency=str(row.urgency),
            age_band=str(row.age_band) if row.age_band else None,
            is_minor=bool(row.is_minor),
            situation=str(row.situation),
            reporting_country=row.reporting_country,
            days_in_stage=max(0, (now - row.stage_changed_at).days),
            assignee=(row.display_name or row.email) if row.email else None,
        )
        for row in session.exec(statement).all()  # type: ignore[call-overload]
    ]


def board_counts(
    *,
    session: Session,
    actor: UserAccount,
    stage: str | None = None,
    country: str | None = None,
    urgency: str | None = None,
    situation: str | None = None,
    assigned_to_id: int | None = None,
    open_only: bool = False,
) -> dict[str, int]:
    """Number of visible cases per stage (every stage present, in board order)."""
    scope = case_scope(actor)
    statement = (
        select(ReferralCase.stage, func.count(col(ReferralCase.id)))
        .where(
            scope,
            *_filters(
                stage=stage,
                country=country,
                urgency=urgency,
                situation=situation,
                assigned_to_id=assigned_to_id,
                open_only=open_only,
            ),
        )
        .group_by(ReferralCase.stage)
    )
    found = {str(row_stage): count for row_stage, count in session.exec(statement).all()}
    return {stage_.value: found.get(stage_.value, 0) for stage_ in STAGE_ORDER}


def case_countries(*, session: Session, actor: UserAccount) -> list[str]:
    """Reporting countries among the cases the actor may see, for the board's filter."""
    statement = (
        select(ReferralCase.reporting_country)
        .where(case_scope(actor))
        .distinct()
        .order_by(ReferralCase.reporting_country)
    )
    return list(session.exec(statement).all())


def _scoped_case_id(*, session: Session, actor: UserAccount, case_code: str) -> int:
    statement = select(ReferralCase.id).where(
        col(ReferralCase.case_code) == case_code.strip().upper(), case_scope(actor)
    )
    case_id = session.exec(statement).first()
    if case_id is None:
        # Same answer whether the case does not exist or is outside the actor's scope.
        raise NotFound(f"no case {case_code}")
    return case_id


def get_case(*, session: Session, actor: UserAccount, case_code: str) -> CaseDetail:
    """One case with its referrals and timeline. Every read is audited."""
    scope = case_scope(actor)
    case = session.exec(
        select(ReferralCase)
        .where(col(ReferralCase.case_code) == case_code.strip().upper(), scope)
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(f"no case {case_code}")

    referral_rows = session.exec(
        select(CaseReferral, Organisation.name, Organisation.country)
        .join(Organisation, col(Organisation.id) == CaseReferral.organisation_id)
        .where(col(CaseReferral.case_id) == case.id)
        .order_by(col(CaseReferral.sent_on), col(CaseReferral.id))
    ).all()
    referrals = [
        ReferralLine(
            id=referral.id,  # type: ignore[arg-type]
            organisation_id=referral.organisation_id,
            organisation_name=org_name,
            organisation_country=org_country,
            service=str(referral.service),
            sent_on=referral.sent_on,
            state=str(referral.state),
            decline_reason=referral.decline_reason,
            answered_on=referral.answered_on,
            cross_border_country=referral.cross_border_country,
        )
        for referral, org_name, org_country in referral_rows
    ]

    author = aliased(UserAccount)
    event_rows = session.exec(
        select(CaseEvent, author.display_name, author.email)
        .outerjoin(author, col(author.id) == CaseEvent.author_id)
        .where(col(CaseEvent.case_id) == case.id)
        .order_by(col(CaseEvent.created_at), col(CaseEvent.id))
    ).all()
    events = [
        TimelineEntry(
            id=event.id,  # type: ignore[arg-type]
            kind=str(event.kind),
            created_at=event.created_at,
            author=(name or email) if email else None,
            note=event.note,
            details=dict(event.details or {}),
        )
        for event, name, email in event_rows
    ]

    audit.record(session, actor=actor, action="case_read", entity=ENTITY, entity_id=case.id)
    session.commit()
    return CaseDetail(case=case, referrals=referrals, events=events)


def list_organisations(
    *,
    session: Session,
    actor: UserAccount,
    country: str | None = None,
    service: str | None = None,
) -> list[Organisation]:
    """Active organisations, optionally of one country and offering one service."""
    require_role(actor, tuple(Role))
    statement = select(Organisation).where(col(Organisation.is_active).is_(True))
    if country:
        statement = statement.where(col(Organisation.country) == country.upper())
    if service:
        # JSON list of codes: match the quoted code in its text form (SQLite and PostgreSQL).
        services_text = sa.cast(Organisation.services, sa.Text)
        statement = statement.where(services_text.contains(f'"{service}"', autoescape=True))
    statement = statement.order_by(Organisation.country, Organisation.name)
    return list(session.exec(statement).all())


# --- presentation helpers (plain data for the pages) ------------------------------------


def country_codes() -> list[str]:
    """Every ISO 3166-1 alpha-2 code, ordered by country name."""
    return sorted((c.alpha_2 for c in pycountry.countries), key=country_name)


def card_text(card: CaseCard) -> str:
    """The few lines of a board card: code, urgency, age band, situation, days, assignee."""
    minor = " · " + _("Minor") if card.is_minor else ""
    days = _("{days} days in stage").format(days=card.days_in_stage)
    return "\n".join(
        [
            card.case_code,
            f"{label(card.urgency)} · {card.age_band or '—'}{minor}",
            label(card.situation),
            days + " · " + (card.assignee or _("Unassigned")),
        ]
    )


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(label(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return label(value)
    return label(str(value))


_SUMMARY_FIELDS = (
    "case_code",
    "stage",
    "urgency",
    "reporting_country",
    "identified_on",
    "gender",
    "age_band",
    "is_minor",
    "citizenship",
    "situation",
    "trafficking_status",
    "exploitation_types",
    "forced_labour_industries",
    "means_of_control",
    "indicators",
    "exploitation_country",
    "consent_given",
    "consent_date",
    "consent_scope",
    "needs",
    "version",
)
# Typed by people: shown by the page with st.text, never in a table or as markdown.
FREE_TEXT_FIELDS = ("person_alias", "consular_post", "identified_place", "primary_language")


_COUNTRY_FIELDS = frozenset({"reporting_country", "citizenship", "exploitation_country"})
_VERBATIM_FIELDS = frozenset({"case_code", "version"})


def case_summary(case: ReferralCase) -> pd.DataFrame:
    """The coded fields of a case as (field, value) rows, translated; no free text."""

    def shown(name: str) -> str:
        value = getattr(case, name)
        if name in _VERBATIM_FIELDS:
            return str(value)
        if name in _COUNTRY_FIELDS and value:
            return f"{country_name(value)} ({value})"
        return _shown(value)

    return pd.DataFrame(
        {
            _("Field"): [_(FIELD_LABELS[name]) for name in _SUMMARY_FIELDS],
            _("Value"): [shown(name) for name in _SUMMARY_FIELDS],
        }
    )


def referrals_frame(referrals: list[ReferralLine]) -> pd.DataFrame:
    rows = [
        {
            _("Organisation"): line.organisation_name,
            _("Country"): line.organisation_country,
            _("Service"): label(line.service),
            _("Sent on"): line.sent_on.isoformat(),
            _("State"): label(line.state),
            _("Answered on"): line.answered_on.isoformat() if line.answered_on else "—",
        }
        for line in referrals
    ]
    return pd.DataFrame(rows)


def validation_messages(error: ValidationError) -> list[str]:
    """One plain, translated message per problem, naming the form field where there is one."""
    return validation.messages(error, FIELD_LABELS)
