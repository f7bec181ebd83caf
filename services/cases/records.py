"""Referral cases: create, list for the board, read one case, add notes.

Every function takes the acting user and scopes its query with `access.case_scope`, so an
officer only ever reaches the cases of their own country and the cases shared with it.
"""

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from models import (
    CaseEvent,
    CaseEventCreate,
    CaseReferral,
    CaseReferralCreate,
    CaseReferralUpdate,
    Organisation,
    ReferralCase,
    ReferralCaseCreate,
    ReferralCaseUpdate,
    UserAccount,
)
from models.base import utcnow
from models.cases import ReferralCaseBase
from models.enums import STAGE_ORDER, CaseEventKind, ReferralState, Role, Stage, Urgency
from models.types import Text
from services.cases import microdata, workflow
from services.platform import audit, personal_data, validation
from services.platform.access import CASE_WORKERS, case_scope, require_role
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings

ENTITY = "referral_case"
MAX_PAGE_SIZE = 500
_URGENCY_RANK = {Urgency.high.value: 0, Urgency.medium.value: 1, Urgency.low.value: 2}
_OPEN_STAGES = [stage.value for stage in STAGE_ORDER if stage != Stage.closed]
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
    "assigned_to_id": N_("Assigned to"),
    "closure_reason": N_("Reason for closing"),
    "consent_override_reason": N_("Reason for referring without consent"),
    "return_counterpart": N_("Return counterpart"),
    "return_travel_date": N_("Travel date"),
    "return_reception": N_("Reception arrangements"),
    "decline_reason": N_("Reason, if declined"),
}
# The messages of the schema's whole-form rules (models/cases.py), and the field each belongs
# next to in a form.
_RULE_FIELDS = {
    "the age band is a minor's: tick 'minor'": "is_minor",
    "a minor's case is always of high urgency": "urgency",
    "consent date and scope need consent to be given": "consent_given",
    "give the date consent was given": "consent_date",
}
STALE = N_("The case was changed by someone else; nothing was saved.")
REFER_CLOSED_CASE = N_("Reopen the case before referring the person.")
NOT_AN_ASSIGNEE = N_(
    "A case can be assigned to a coordinator, an administrator or an officer of its country."
)
NOTHING_TO_RECORD = N_("Give at least the counterpart, the travel date or the reception.")


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
    party: str = workflow.Party.outsider.value
    allowed: frozenset[str] = frozenset()
    assignee: str | None = None


@dataclass(frozen=True)
class Assignee:
    id: int
    name: str
    role: str
    country: str | None


@dataclass(frozen=True)
class FieldChange:
    """One field someone else changed while the user was editing: shown values, translated."""

    field: str
    label: str
    old: str
    new: str


class ReturnPlan(BaseModel):
    """The return stage's arrangements with the country of origin."""

    counterpart: Text = PydanticField(default="", max_length=200)
    travel_date: date | None = None
    reception: Text = PydanticField(default="", max_length=4000)


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
        raise PermissionDenied(N_("Officers report cases of their own country only."))
    refuse_personal_data({name: getattr(case_in, name) for name in CASE_TEXT_FIELDS})
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
        try:
            with session.begin_nested():  # a savepoint: the unit of work survives a retry
                session.add(case)
                session.flush()
        except IntegrityError:
            # Another user took the same code between our read and our insert: try once more.
            if attempt == 2:
                raise Conflict(N_("The case code was taken twice in a row: try again.")) from None
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
        action=audit.AuditAction.case_created,
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff({}, snapshot),
    )
    session.flush()
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
    refuse_personal_data({"note": event_in.note})
    bumped = session.exec(
        sa.update(ReferralCase)
        .where(col(ReferralCase.id) == case_id, col(ReferralCase.version) == expected_version)
        .values(version=col(ReferralCase.version) + 1, updated_at=utcnow())
    )
    if bumped.rowcount == 0:
        session.rollback()
        raise StaleVersion(N_("Someone else changed this case meanwhile; nothing was saved."))
    event = CaseEvent(
        case_id=case_id, kind=CaseEventKind.note, author_id=actor.id, note=event_in.note
    )
    session.add(event)
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_note_added,
        entity=ENTITY,
        entity_id=case_id,
        changes=audit.diff(
            {"note": None, "version": expected_version},
            {"note": event_in.note, "version": expected_version + 1},
        ),
    )
    session.flush()
    session.refresh(event)
    return event


# --- the workflow: every change checks the version the user started from -----------------


# The case's own free-text fields (the workflow's texts are checked where they are written).
CASE_TEXT_FIELDS = ("person_alias", "consular_post", "identified_place", "primary_language")


def refuse_personal_data(texts: Mapping[str, str | None]) -> None:
    """PersonalDataFound (a Conflict) if any text ({field: text}) looks like personal data:
    names, document numbers, phones, e-mails or street addresses
    (services/platform/personal_data.py)."""
    findings = personal_data.find_in_fields(texts)
    if findings:
        raise personal_data.PersonalDataFound(findings, FIELD_LABELS)


def personal_data_errors(texts: Mapping[str, Any]) -> dict[str, str]:
    """{field: message} for the texts that look like personal data, for a form."""
    findings = personal_data.find_in_fields(
        {name: value for name, value in texts.items() if isinstance(value, str)}
    )
    return personal_data.PersonalDataFound(findings, FIELD_LABELS).messages() if findings else {}


def _shared_countries(*, session: Session, case_id: int) -> set[str]:
    statement = (
        select(CaseReferral.cross_border_country)
        .where(
            col(CaseReferral.case_id) == case_id,
            col(CaseReferral.cross_border_country).is_not(None),
        )
        .distinct()
    )
    return {country for country in session.exec(statement).all() if country}


def _party(*, session: Session, actor: UserAccount, case: ReferralCase) -> workflow.Party:
    shared: set[str] = set()
    if actor.role == Role.officer and actor.country != case.reporting_country:
        shared = _shared_countries(session=session, case_id=case.id)  # type: ignore[arg-type]
    return workflow.party(actor, reporting_country=case.reporting_country, shared_countries=shared)


def _load_case(
    *, session: Session, actor: UserAccount, case_code: str, action: workflow.Action
) -> tuple[ReferralCase, workflow.Party]:
    """The case, if the actor may see it (else NotFound) and do `action` (else refused)."""
    scope = case_scope(actor)
    case = session.exec(
        select(ReferralCase)
        .where(col(ReferralCase.case_code) == case_code.strip().upper(), scope)
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(N_("There is no case {code}."), code=case_code)
    who = _party(session=session, actor=actor, case=case)
    workflow.require(who, action)
    return case, who


def _check_version(case: ReferralCase, expected_version: int) -> None:
    if case.version != expected_version:
        raise StaleVersion(STALE)


def _save(
    *, session: Session, case: ReferralCase, expected_version: int, values: dict[str, Any]
) -> None:
    """Write `values` only if the case is still at `expected_version`, and bump the version.

    One UPDATE ... WHERE version = expected: of two concurrent saves, exactly one wins, on
    every replica and on SQLite and PostgreSQL alike.
    """
    bumped = session.exec(
        sa.update(ReferralCase)
        .where(col(ReferralCase.id) == case.id, col(ReferralCase.version) == expected_version)
        .values(**values, version=expected_version + 1, updated_at=utcnow())
    )
    if bumped.rowcount == 0:
        session.rollback()
        raise StaleVersion(STALE)


def _event(
    session: Session,
    *,
    case: ReferralCase,
    actor: UserAccount,
    kind: CaseEventKind,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseEvent(
            case_id=case.id,  # type: ignore[arg-type]
            kind=kind,
            author_id=actor.id,
            note=note,
            details=details or {},
        )
    )


def _finish(session: Session, case: ReferralCase) -> ReferralCase:
    session.flush()
    session.refresh(case)
    return case


def _stored(value: Any) -> Any:
    """A value as the database column takes it: codes as plain strings, lists of codes."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [_stored(item) for item in value]
    return value


_ASSESSMENT_FIELDS = tuple(ReferralCaseBase.model_fields)


def update_assessment(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    case_in: ReferralCaseUpdate,
    expected_version: int,
) -> ReferralCase:
    """Edit the person's profile and the assessment of the case at `expected_version`.

    The edit is checked as a whole case (a minor stays high urgency, consent needs its date).
    """
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.edit_assessment
    )
    _check_version(case, expected_version)
    current = {name: _stored(getattr(case, name)) for name in _ASSESSMENT_FIELDS}
    edits = case_in.model_dump(exclude_unset=True)
    merged = ReferralCaseCreate.model_validate(
        {**current, **edits, "reporting_country": case.reporting_country}
    )
    after = {name: _stored(getattr(merged, name)) for name in _ASSESSMENT_FIELDS}
    changed = {name: value for name, value in after.items() if value != current[name]}
    if not changed:
        return case
    refuse_personal_data({name: changed[name] for name in CASE_TEXT_FIELDS if name in changed})
    _save(session=session, case=case, expected_version=expected_version, values=changed)
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.assessment_updated,
        details={"fields": sorted(changed)},
    )
    before = {name: current[name] for name in changed}
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_assessment_updated,
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff(
            {**before, "version": expected_version}, {**changed, "version": expected_version + 1}
        ),
    )
    return _finish(session, case)


def _may_be_assigned(user: UserAccount, case: ReferralCase) -> bool:
    if not user.is_active:
        return False
    if user.role in (Role.coordinator, Role.admin):
        return True
    return user.role == Role.officer and user.country == case.reporting_country


def list_assignees(
    *, session: Session, actor: UserAccount, country: str | None = None
) -> list[Assignee]:
    """People a case of `country` may be assigned to: coordinators, admins, its officers.

    An officer only ever gets their own country's colleagues and the coordinators.
    """
    require_role(actor, CASE_WORKERS)
    if actor.role == Role.officer:
        country = actor.country
    officers = col(UserAccount.role) == Role.officer.value
    if country:
        officers = sa.and_(officers, col(UserAccount.country) == country.upper())
    statement = (
        select(UserAccount)
        .where(
            col(UserAccount.is_active).is_(True),
            sa.or_(col(UserAccount.role).in_([Role.coordinator.value, Role.admin.value]), officers),
        )
        .order_by(UserAccount.role, UserAccount.display_name, UserAccount.email)
    )
    return [
        Assignee(
            id=user.id,  # type: ignore[arg-type]
            name=user.display_name or user.email,
            role=str(user.role),
            country=user.country,
        )
        for user in session.exec(statement).all()
    ]


def assign_case(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    assignee_id: int | None,
    expected_version: int,
) -> ReferralCase:
    """Give the case to a person (or to nobody with `assignee_id=None`)."""
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.assign
    )
    _check_version(case, expected_version)
    if assignee_id == case.assigned_to_id:
        return case
    assignee = session.get(UserAccount, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not _may_be_assigned(assignee, case)):
        raise Conflict(NOT_AN_ASSIGNEE)
    old_id = case.assigned_to_id
    _save(
        session=session,
        case=case,
        expected_version=expected_version,
        values={"assigned_to_id": assignee_id},
    )
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.assigned,
        details={"to": (assignee.display_name or assignee.email) if assignee else None},
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_assigned,
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff(
            {"assigned_to_id": old_id, "version": expected_version},
            {"assigned_to_id": assignee_id, "version": expected_version + 1},
        ),
    )
    return _finish(session, case)


def _live_referrals(*, session: Session, case_id: int) -> int:
    statement = select(func.count(col(CaseReferral.id))).where(
        col(CaseReferral.case_id) == case_id,
        col(CaseReferral.state).in_([state.value for state in workflow.LIVE_REFERRAL_STATES]),
    )
    return int(session.exec(statement).one())


def move_stage(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    target: Stage | str,
    expected_version: int,
    note: str = "",
    closure_reason: str | None = None,
) -> ReferralCase:
    """Move the case on the board, keeping the rules of services/cases/workflow.py."""
    target = Stage(target)
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.move_stage
    )
    _check_version(case, expected_version)
    current = Stage(case.stage)
    note, reason = (note or "").strip(), (closure_reason or "").strip() or None
    workflow.check_move(
        current=current,
        target=target,
        live_referrals=_live_referrals(session=session, case_id=case.id),  # type: ignore[arg-type]
        note=note,
        closure_reason=reason,
    )
    refuse_personal_data({"note": note, "closure_reason": reason})
    # A reopened case no longer has a reason for being closed; its history keeps the old one.
    new_reason = reason if target == Stage.closed else None
    old_reason = case.closure_reason
    _save(
        session=session,
        case=case,
        expected_version=expected_version,
        values={"stage": target.value, "stage_changed_at": utcnow(), "closure_reason": new_reason},
    )
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.stage_change,
        note="\n\n".join(part for part in (note, new_reason or "") if part),
        details={"from": current.value, "to": target.value},
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_stage_moved,
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff(
            {"stage": current.value, "closure_reason": old_reason, "version": expected_version},
            {"stage": target.value, "closure_reason": new_reason, "version": expected_version + 1},
        ),
    )
    return _finish(session, case)


def refer_case(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    organisation_id: int,
    service: str,
    sent_on: date,
    expected_version: int,
    override_reason: str | None = None,
) -> CaseReferral:
    """Refer the person to an organisation: needs their consent, or a coordinator's override.

    An organisation in another country shares the case with that country's officers.
    """
    case, who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.refer
    )
    _check_version(case, expected_version)
    if case.stage == Stage.closed:
        raise Conflict(REFER_CLOSED_CASE)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not organisation.is_active:
        raise NotFound(N_("This organisation does not exist (any more)."))
    covered = workflow.consent_covers(
        consent_given=case.consent_given,
        consent_scope=list(case.consent_scope or []),
        organisation_country=organisation.country,
        organisation_type=str(organisation.org_type),
        citizenship=case.citizenship,
    )
    workflow.check_referral_consent(who=who, covered=covered, override_reason=override_reason)
    if not covered:
        refuse_personal_data({"consent_override_reason": override_reason})
    referral_in = CaseReferralCreate(
        case_id=case.id,  # type: ignore[arg-type]
        organisation_id=organisation_id,
        service=service,  # type: ignore[arg-type]
        sent_on=sent_on,
    )
    overridden = None if covered else (override_reason or "").strip()
    values: dict[str, Any] = {"consent_override_reason": overridden} if overridden else {}
    _save(session=session, case=case, expected_version=expected_version, values=values)
    cross_border = organisation.country if organisation.country != case.reporting_country else None
    referral = CaseReferral.model_validate(
        referral_in,
        update={
            "state": ReferralState.pending,
            "cross_border_country": cross_border,
            "created_by_id": actor.id,
        },
    )
    session.add(referral)
    session.flush()
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.referral_sent,
        note=overridden or "",
        details={
            "referral_id": referral.id,
            "organisation": organisation.name,
            "country": organisation.country,
            "service": referral_in.service.value,
            "cross_border_country": cross_border,
            "consent_override": bool(overridden),
        },
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_referral_sent,
        entity="case_referral",
        entity_id=referral.id,
        changes=audit.diff(
            {"version": expected_version},
            {
                "case_id": case.id,
                "organisation_id": organisation_id,
                "service": referral_in.service.value,
                "state": ReferralState.pending.value,
                "cross_border_country": cross_border,
                "version": expected_version + 1,
            },
        ),
    )
    if overridden:
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.case_consent_overridden,
            entity=ENTITY,
            entity_id=case.id,
            changes=audit.diff({}, {"consent_override_reason": overridden}),
        )
    session.flush()
    session.refresh(referral)
    session.refresh(case)
    return referral


def answer_referral(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    referral_id: int,
    answer: CaseReferralUpdate,
    expected_version: int,
) -> CaseReferral:
    """Record the organisation's answer: pending → accepted / declined (reason) → completed,
    or withdrawn."""
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.answer_referral
    )
    _check_version(case, expected_version)
    referral = session.get(CaseReferral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise NotFound(N_("This referral is not part of case {code}."), code=case.case_code)
    session.refresh(referral)
    old_state = ReferralState(referral.state)
    workflow.check_referral_answer(old_state, answer.state)
    refuse_personal_data({"decline_reason": answer.decline_reason})
    _save(session=session, case=case, expected_version=expected_version, values={})
    reason = answer.decline_reason if answer.state == ReferralState.declined else None
    referral.state = answer.state
    referral.decline_reason = reason
    if answer.state in (ReferralState.accepted, ReferralState.declined):
        referral.answered_on = utcnow().date()
    session.add(referral)
    organisation = session.get(Organisation, referral.organisation_id)
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.referral_answered,
        note=reason or "",
        details={
            "referral_id": referral.id,
            "organisation": organisation.name if organisation else None,
            "from": old_state.value,
            "to": answer.state.value,
        },
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_referral_answered,
        entity="case_referral",
        entity_id=referral.id,
        changes=audit.diff(
            {"state": old_state.value, "decline_reason": None, "version": expected_version},
            {
                "state": answer.state.value,
                "decline_reason": reason,
                "version": expected_version + 1,
            },
        ),
    )
    session.flush()
    session.refresh(referral)
    session.refresh(case)
    return referral


def record_return(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    plan: ReturnPlan,
    expected_version: int,
) -> ReferralCase:
    """The return stage's counterpart, travel date and reception arrangements."""
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.record_return
    )
    _check_version(case, expected_version)
    if case.stage != Stage.return_reintegration:
        raise Conflict(workflow.RETURN_STAGE_ONLY)
    if not (plan.counterpart or plan.travel_date or plan.reception):
        raise Conflict(NOTHING_TO_RECORD)
    refuse_personal_data(
        {"return_counterpart": plan.counterpart, "return_reception": plan.reception}
    )
    before = {
        "return_counterpart": case.return_counterpart,
        "return_travel_date": case.return_travel_date,
        "return_reception": case.return_reception,
    }
    after = {
        "return_counterpart": plan.counterpart or None,
        "return_travel_date": plan.travel_date,
        "return_reception": plan.reception or None,
    }
    if after == before:
        return case
    _save(session=session, case=case, expected_version=expected_version, values=after)
    _event(
        session,
        case=case,
        actor=actor,
        kind=CaseEventKind.return_coordinated,
        details={
            "counterpart": plan.counterpart or None,
            "travel_date": plan.travel_date.isoformat() if plan.travel_date else None,
        },
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_return_recorded,
        entity=ENTITY,
        entity_id=case.id,
        changes=audit.diff(
            {**before, "version": expected_version}, {**after, "version": expected_version + 1}
        ),
    )
    return _finish(session, case)


# What someone else may have changed while the user edited: compared field by field.
_WATCHED_FIELDS = (
    *_ASSESSMENT_FIELDS,
    "stage",
    "assigned_to_id",
    "closure_reason",
    "return_counterpart",
    "return_travel_date",
    "return_reception",
)


def case_snapshot(case: ReferralCase) -> dict[str, Any]:
    """The case's values as a user saw them, kept by the page to explain a later conflict."""
    return {name: _stored(getattr(case, name)) for name in _WATCHED_FIELDS} | {
        "version": case.version
    }


def what_changed(before: Mapping[str, Any], case: ReferralCase) -> list[FieldChange]:
    """The fields of `case` that differ from the snapshot `before`, with shown values."""
    after = case_snapshot(case)
    changes = []
    for name in _WATCHED_FIELDS:
        if before.get(name) != after[name]:
            changes.append(
                FieldChange(
                    field=name,
                    label=_(FIELD_LABELS.get(name, name)),
                    old=_shown(before.get(name)),
                    new=_shown(after[name]),
                )
            )
    return changes


# --- reads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """The board's filters (None / False: all), for the board, its counts and exports; frozen
    and hashable, so it is a cache key too."""

    stage: str | None = None
    country: str | None = None
    urgency: str | None = None
    situation: str | None = None
    exploitation_type: str | None = None
    assigned_to_id: int | None = None
    unassigned: bool = False
    open_only: bool = False

    def given(self) -> dict[str, Any]:
        """The filters set, for the audit log."""
        values = {
            "stage": self.stage,
            "country": self.country,
            "urgency": self.urgency,
            "situation": self.situation,
            "exploitation_type": self.exploitation_type,
            "assigned_to_id": self.assigned_to_id,
            "unassigned": self.unassigned or None,
            "open_only": self.open_only or None,
        }
        return {key: value for key, value in values.items() if value is not None}


NO_FILTERS = CaseFilters()
OPEN_CASES = CaseFilters(open_only=True)


def _filters(filters: CaseFilters) -> list[sa.ColumnElement[bool]]:
    stage, country, urgency = filters.stage, filters.country, filters.urgency
    situation, assigned_to_id = filters.situation, filters.assigned_to_id
    open_only, unassigned = filters.open_only, filters.unassigned
    exploitation_type = filters.exploitation_type
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
    if unassigned:
        conditions.append(col(ReferralCase.assigned_to_id).is_(None))
    if open_only:
        # IN, not "!= closed": the index on (stage, ...) reads only the open stages.
        conditions.append(col(ReferralCase.stage).in_(_OPEN_STAGES))
    if exploitation_type:
        # JSON list of codes: match the quoted code in its text form (SQLite and PostgreSQL).
        types_text = sa.cast(ReferralCase.exploitation_types, sa.Text)
        conditions.append(types_text.contains(f'"{exploitation_type}"', autoescape=True))
    return conditions


_CARD_COLUMNS: tuple[Any, ...] = (
    ReferralCase.id,
    ReferralCase.case_code,
    ReferralCase.stage,
    ReferralCase.urgency,
    ReferralCase.age_band,
    ReferralCase.is_minor,
    ReferralCase.situation,
    ReferralCase.reporting_country,
    ReferralCase.stage_changed_at,
)


def _with_assignee(source: Any) -> sa.Select[Any]:
    """The card columns of `source` (the table or a subquery of it) and the assignee's name."""
    assignee = aliased(UserAccount)
    # SQLAlchemy's select: SQLModel's typed overloads stop at four columns.
    return sa.select(
        *(source.c[column.key] for column in _CARD_COLUMNS),
        col(assignee.display_name),
        col(assignee.email),
    ).outerjoin(assignee, col(assignee.id) == source.c.assigned_to_id)


def _unranked_urgency() -> sa.ColumnElement[bool]:
    """Urgency outside Urgency's codes (the column is NOT NULL), written as the ranges between
    them so that an index answers it with a few seeks (NOT IN would read every entry)."""
    column = col(ReferralCase.urgency)
    codes = sorted(_URGENCY_RANK)
    between = [sa.and_(column > low, column < high) for low, high in itertools.pairwise(codes)]
    return sa.or_(column < codes[0], *between, column > codes[-1])


def _urgency_groups(session: Session, urgency: str | None) -> Iterator[sa.ColumnElement[bool]]:
    """The urgencies of a board column in board order, each as a condition (lazily)."""
    if urgency:
        yield sa.true()  # the filter names the one urgency
        return
    for code in _URGENCY_RANK:
        yield col(ReferralCase.urgency) == code
    # Other codes rank last. The app stores none: look for one (an index seek) before reading.
    unranked = _unranked_urgency()
    if session.execute(sa.select(col(ReferralCase.id)).where(unranked).limit(1)).first():
        yield unranked


def _rows_by_urgency(
    session: Session,
    conditions: list[sa.ColumnElement[bool]],
    *,
    urgency: str | None,
    limit: int,
    offset: int,
) -> list[Any]:
    """Rows [offset, offset + limit) in board order (urgency rank, stage_changed_at, id), read
    one urgency at a time, most urgent first.

    Each read is `... AND urgency = ? ORDER BY stage_changed_at, id`: for a stage (or the open
    stages) the index (stage, urgency, stage_changed_at, id) serves it in order and it stops
    after the rows it needs, so its cost does not grow with the cases of the stage. Codes
    outside Urgency (none are stored by the app) come last, as in the one-query order.
    """
    order = (col(ReferralCase.stage_changed_at), col(ReferralCase.id))
    rows: list[Any] = []
    skip = offset
    for group in _urgency_groups(session, urgency):
        # The page of cases first, then the assignees: an outer join around the ordered read
        # would stop SQLite from reading each stage's index range in order.
        page = (
            sa.select(*(col(column) for column in _CARD_COLUMNS), col(ReferralCase.assigned_to_id))
            .where(*conditions, group)
            .order_by(*order)
            .offset(skip)
            .limit(limit - len(rows))
            .subquery()
        )
        part = session.execute(
            _with_assignee(page).order_by(page.c.stage_changed_at, page.c.id)
        ).all()
        rows += part
        if len(rows) >= limit:
            break
        if skip and part:
            skip = 0  # the group held all the rows skipped, and then some
        elif skip:
            # Fewer rows than skipped in this group: skip the rest in the next ones.
            skip -= session.execute(
                sa.select(func.count()).select_from(ReferralCase).where(*conditions, group)
            ).scalar_one()
    return rows


def list_cases(
    *,
    session: Session,
    actor: UserAccount,
    filters: CaseFilters = NO_FILTERS,
    limit: int = 50,
    offset: int = 0,
) -> list[CaseCard]:
    """The board's cards the actor may see: most urgent first, then longest in stage.

    A board column (`stage`) or the open cases are read one urgency at a time from the index
    (see `_rows_by_urgency`); any other list is one query.
    """
    indexed = bool(filters.stage or filters.open_only)
    scope = case_scope(actor, correlated=indexed)
    limit, offset = max(1, min(limit, MAX_PAGE_SIZE)), max(0, offset)
    conditions = [
        scope,
        *_filters(filters),
    ]
    if indexed:
        rows = _rows_by_urgency(
            session, conditions, urgency=filters.urgency, limit=limit, offset=offset
        )
    else:
        urgency_rank = sa.case(_URGENCY_RANK, value=ReferralCase.urgency, else_=len(_URGENCY_RANK))
        statement = (
            _with_assignee(ReferralCase.__table__)  # type: ignore[attr-defined]
            .where(*conditions)
            .order_by(urgency_rank, col(ReferralCase.stage_changed_at), col(ReferralCase.id))
            .limit(limit)
            .offset(offset)
        )
        rows = list(session.execute(statement).all())
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
        for row in rows
    ]


def board_counts(
    *, session: Session, actor: UserAccount, filters: CaseFilters = NO_FILTERS
) -> dict[str, int]:
    """Number of visible cases per stage (every stage present, in board order)."""
    scope = case_scope(actor)
    statement = (
        select(ReferralCase.stage, func.count(col(ReferralCase.id)))
        .where(
            scope,
            *_filters(filters),
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
        raise NotFound(N_("There is no case {code}."), code=case_code)
    return case_id


def get_case(
    *, session: Session, actor: UserAccount, case_code: str, audit_read: bool = True
) -> CaseDetail:
    """One case with its referrals and timeline.

    Opening a case is audited; a page reloading the case it already shows passes
    `audit_read=False` so that every click does not log another read.
    """
    scope = case_scope(actor)
    case = session.exec(
        select(ReferralCase)
        .where(col(ReferralCase.case_code) == case_code.strip().upper(), scope)
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(N_("There is no case {code}."), code=case_code)

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

    who = _party(session=session, actor=actor, case=case)
    assignee = session.get(UserAccount, case.assigned_to_id) if case.assigned_to_id else None
    if audit_read:
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.case_read,
            entity=ENTITY,
            entity_id=case.id,
        )
        session.flush()
    return CaseDetail(
        case=case,
        referrals=referrals,
        events=events,
        party=who.value,
        allowed=frozenset(action.value for action in workflow.allowed_actions(who)),
        assignee=(assignee.display_name or assignee.email) if assignee else None,
    )


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


# --- export -----------------------------------------------------------------------------

ExportLayout = Literal["list", "htcds", "ctdc"]
_EXPORTED_FIELDS = (
    *_ASSESSMENT_FIELDS,
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
) -> list[tuple[ReferralCase, str | None, str | None, set[str], date | None]]:
    """(case, assignee email, assignee name, organisations referred to, first referral date)
    for the cases the actor may export, by case code."""
    scope = case_scope(actor) if _may_read_case_rows(actor) else sa.true()
    conditions = _filters(filters)
    assignee = aliased(UserAccount)
    case_rows = session.exec(
        select(ReferralCase, assignee.email, assignee.display_name)
        .outerjoin(assignee, col(assignee.id) == ReferralCase.assigned_to_id)
        .where(scope, *conditions)
        .order_by(col(ReferralCase.case_code))
    ).all()
    # Referrals of the same cases in one more query, not one per case.
    chosen_ids = select(ReferralCase.id).where(scope, *conditions)
    referral_rows = session.exec(
        select(col(CaseReferral.case_id), col(Organisation.name), col(CaseReferral.sent_on))
        .join(Organisation, col(Organisation.id) == CaseReferral.organisation_id)
        .where(col(CaseReferral.case_id).in_(chosen_ids))
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
    rows: list[tuple[ReferralCase, str | None, str | None, set[str], date | None]],
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
                _("Types of exploitation"): _shown(list(case.exploitation_types or [])),
                _("Country of exploitation"): country_name(case.exploitation_country),
                _("Consent given"): _("Yes") if case.consent_given else _("No"),
                _("Days in stage"): max(0, (now - case.stage_changed_at).days),
                _("Assigned to"): (name or email) if email else "",
                _("Referrals"): len(organisations),
            }
            for case, email, name, organisations, _first in _export_rows(session, actor, filters)
        ]
    )
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.case_export,
        entity=ENTITY,
        changes={
            "layout": layout,
            "deidentified": False,
            "rows": len(frame),
            "filters": filters.given(),
        },
    )
    session.flush()
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
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.export,
        entity=ENTITY,
        entity_id=layout,
        changes={
            "layout": layout,
            "format": file_format,
            "deidentified": deidentified,
            "rows": len(result.frame),
            "k": result.k,
            "generalised": result.generalised,
            "withheld": result.withheld,
            "filters": chosen.given(),
        },
    )
    session.flush()
    return result


# --- forms -------------------------------------------------------------------------------


def form_errors(error: ValidationError) -> dict[str, str]:
    """{field: message} for a case form; the schema's whole-case rules go next to their field."""
    messages = validation.form_errors(error)
    if validation.FORM_LEVEL in messages:
        for detail in error.errors():
            raw = str((detail.get("ctx") or {}).get("error", ""))
            if not detail["loc"] and raw in _RULE_FIELDS:
                messages.setdefault(_RULE_FIELDS[raw], messages.pop(validation.FORM_LEVEL))
                break
    return messages


def validate_new_case(
    form: Mapping[str, Any],
) -> tuple[ReferralCaseCreate | None, dict[str, str]]:
    """The new-referral form checked: (the case to create, {}) or (None, {field: message})."""
    try:
        case_in = ReferralCaseCreate.model_validate(dict(form))
    except ValidationError as error:
        errors = form_errors(error)
        case_in = None
    else:
        errors = {}
    for name, message in personal_data_errors(
        {name: form.get(name) for name in CASE_TEXT_FIELDS}
    ).items():
        errors.setdefault(name, message)
    return (case_in, {}) if case_in is not None and not errors else (None, errors)


def edited_fields(base: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values that differ from the case it was filled from (lists as sets)."""

    def same(old: Any, new: Any) -> bool:
        if isinstance(old, list) or isinstance(new, list):
            return sorted(map(str, old or [])) == sorted(map(str, new or []))
        return (old if old != "" else None) == (new if new != "" else None)

    return {name: value for name, value in form.items() if not same(base.get(name), value)}


def validate_case_update(
    form: Mapping[str, Any],
) -> tuple[ReferralCaseUpdate | None, dict[str, str]]:
    """The edit-assessment form checked, like `validate_new_case` (a minor: high urgency)."""
    data = dict(form)
    if data.get("is_minor"):
        data["urgency"] = Urgency.high.value
    try:
        case_in = ReferralCaseUpdate.model_validate(data)
    except ValidationError as error:
        return None, form_errors(error)
    errors = personal_data_errors({name: data.get(name) for name in CASE_TEXT_FIELDS})
    return (None, errors) if errors else (case_in, {})


# --- presentation helpers (plain data for the pages) ------------------------------------


def card_lines(card: CaseCard) -> tuple[str, str]:
    """A board card's two plain-text lines: "code · urgency · age band[ · Minor]", then
    "situation · days in stage · assignee"."""
    minor = " · " + _("Minor") if card.is_minor else ""
    days = _("{days} days in stage").format(days=card.days_in_stage)
    return (
        f"{card.case_code} · {label(card.urgency)} · {card.age_band or '—'}{minor}",
        f"{label(card.situation)} · {days} · {card.assignee or _('Unassigned')}",
    )


def event_text(entry: TimelineEntry) -> str:
    """One line saying what happened, from the event's kind and coded details (never the note)."""
    details = entry.details
    what = label(entry.kind)
    if entry.kind == CaseEventKind.stage_change and details.get("to"):
        what += ": " + label(details.get("from")) + " → " + label(details["to"])
    elif entry.kind == CaseEventKind.referral_sent and details.get("organisation"):
        what += ": " + str(details["organisation"]) + " (" + str(details.get("country")) + ")"
        what += " · " + label(details.get("service"))
        if details.get("consent_override"):
            what += " · " + _("without consent, by coordinator override")
    elif entry.kind == CaseEventKind.referral_answered and details.get("to"):
        what += ": " + str(details.get("organisation") or "—")
        what += " · " + label(details.get("from")) + " → " + label(details["to"])
    elif entry.kind == CaseEventKind.assigned:
        what += ": " + str(details.get("to") or _("Unassigned"))
    elif entry.kind == CaseEventKind.assessment_updated and details.get("fields"):
        names = [_(FIELD_LABELS.get(name, name)) for name in details["fields"]]
        what += ": " + ", ".join(names)
    elif entry.kind == CaseEventKind.return_coordinated:
        parts = [details.get("counterpart"), details.get("travel_date")]
        what += ": " + " · ".join(str(part) for part in parts if part)
    stamp = entry.created_at.strftime("%Y-%m-%d %H:%M") + " UTC"
    return " · ".join([stamp, what, entry.author or "—"])


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
