"""Referral cases, the writes: create a case, notes, the assessment, assignment, stage moves,
referrals and their answers, the return, each checking the version the user started from;
and the case forms' validation. Reads are in `board`, files in `exports`, page text in
`presentation`.

Every function takes the acting user and scopes its query with `access.case_scope`, so an
officer only ever reaches the cases of their own country and the cases shared with it.
"""

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import (
    Case,
    CaseCreate,
    CaseEvent,
    CaseEventCreate,
    CaseUpdate,
    Organisation,
    Referral,
    ReferralCreate,
    ReferralUpdate,
    UserAccount,
)
from models.base import utcnow
from models.cases import CaseBase
from models.enums import STAGE_ORDER, CaseEventKind, ReferralState, Role, Stage, Urgency
from models.types import Text
from services.cases import workflow
from services.platform import audit, personal_data, validation
from services.platform.access import CASE_WORKERS, case_scope, require_role
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import N_

ENTITY = "referral_case"
MAX_PAGE_SIZE = 500
URGENCY_RANK = {Urgency.high.value: 0, Urgency.medium.value: 1, Urgency.low.value: 2}
OPEN_STAGES = [stage.value for stage in STAGE_ORDER if stage != Stage.closed]
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
    sequence = sa.cast(func.substr(Case.case_code, len(prefix) + 1), sa.Integer)
    statement = select(func.max(sequence)).where(
        col(Case.case_code).startswith(prefix, autoescape=True)
    )
    highest = session.exec(statement).one() or 0
    return f"{prefix}{int(highest) + 1:04d}"


# --- writes ------------------------------------------------------------------------------


def create_case(*, session: Session, actor: UserAccount, case_in: CaseCreate) -> Case:
    """Open a case at stage 'identified'; officers only for their own country."""
    require_role(actor, CASE_WORKERS)
    if actor.role == Role.officer and case_in.reporting_country != actor.country:
        raise PermissionDenied(N_("Officers report cases of their own country only."))
    refuse_personal_data({name: getattr(case_in, name) for name in CASE_TEXT_FIELDS})
    actor_id, country = actor.id, case_in.reporting_country
    for attempt in (1, 2):
        now = utcnow()
        case = Case.model_validate(
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
    case_id = scoped_case_id(session=session, actor=actor, case_code=case_code)
    event_in = CaseEventCreate(kind=CaseEventKind.note, note=note)
    if not event_in.note:
        raise ValueError("the note is empty")
    refuse_personal_data({"note": event_in.note})
    bumped = session.exec(
        sa.update(Case)
        .where(col(Case.id) == case_id, col(Case.version) == expected_version)
        .values(version=col(Case.version) + 1, updated_at=utcnow())
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
        select(Referral.cross_border_country)
        .where(
            col(Referral.case_id) == case_id,
            col(Referral.cross_border_country).is_not(None),
        )
        .distinct()
    )
    return {country for country in session.exec(statement).all() if country}


def party_of(*, session: Session, actor: UserAccount, case: Case) -> workflow.Party:
    shared: set[str] = set()
    if actor.role == Role.officer and actor.country != case.reporting_country:
        shared = _shared_countries(session=session, case_id=case.id)  # type: ignore[arg-type]
    return workflow.party(actor, reporting_country=case.reporting_country, shared_countries=shared)


def _load_case(
    *, session: Session, actor: UserAccount, case_code: str, action: workflow.Action
) -> tuple[Case, workflow.Party]:
    """The case, if the actor may see it (else NotFound) and do `action` (else refused)."""
    scope = case_scope(actor)
    case = session.exec(
        select(Case)
        .where(col(Case.case_code) == case_code.strip().upper(), scope)
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(N_("There is no case {code}."), code=case_code)
    who = party_of(session=session, actor=actor, case=case)
    workflow.require(who, action)
    return case, who


def _check_version(case: Case, expected_version: int) -> None:
    if case.version != expected_version:
        raise StaleVersion(STALE)


def _save(*, session: Session, case: Case, expected_version: int, values: dict[str, Any]) -> None:
    """Write `values` only if the case is still at `expected_version`, and bump the version.

    One UPDATE ... WHERE version = expected: of two concurrent saves, exactly one wins, on
    every replica and on SQLite and PostgreSQL alike.
    """
    bumped = session.exec(
        sa.update(Case)
        .where(col(Case.id) == case.id, col(Case.version) == expected_version)
        .values(**values, version=expected_version + 1, updated_at=utcnow())
    )
    if bumped.rowcount == 0:
        session.rollback()
        raise StaleVersion(STALE)


def _event(
    session: Session,
    *,
    case: Case,
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


def _finish(session: Session, case: Case) -> Case:
    session.flush()
    session.refresh(case)
    return case


def stored_value(value: Any) -> Any:
    """A value as the database column takes it: codes as plain strings, lists of codes."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [stored_value(item) for item in value]
    return value


ASSESSMENT_FIELDS = tuple(CaseBase.model_fields)


def update_assessment(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    case_in: CaseUpdate,
    expected_version: int,
) -> Case:
    """Edit the person's profile and the assessment of the case at `expected_version`.

    The edit is checked as a whole case (a minor stays high urgency, consent needs its date).
    """
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.edit_assessment
    )
    _check_version(case, expected_version)
    current = {name: stored_value(getattr(case, name)) for name in ASSESSMENT_FIELDS}
    edits = case_in.model_dump(exclude_unset=True)
    merged = CaseCreate.model_validate(
        {**current, **edits, "reporting_country": case.reporting_country}
    )
    after = {name: stored_value(getattr(merged, name)) for name in ASSESSMENT_FIELDS}
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


def _may_be_assigned(user: UserAccount, case: Case) -> bool:
    if not user.is_active:
        return False
    if user.role in (Role.coordinator, Role.admin):
        return True
    return user.role == Role.officer and user.country == case.reporting_country


def assign_case(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    assignee_id: int | None,
    expected_version: int,
) -> Case:
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
    statement = select(func.count(col(Referral.id))).where(
        col(Referral.case_id) == case_id,
        col(Referral.state).in_([state.value for state in workflow.LIVE_REFERRAL_STATES]),
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
) -> Case:
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
) -> Referral:
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
    referral_in = ReferralCreate(
        case_id=case.id,  # type: ignore[arg-type]
        organisation_id=organisation_id,
        service=service,  # type: ignore[arg-type]
        sent_on=sent_on,
    )
    overridden = None if covered else (override_reason or "").strip()
    values: dict[str, Any] = {"consent_override_reason": overridden} if overridden else {}
    _save(session=session, case=case, expected_version=expected_version, values=values)
    cross_border = organisation.country if organisation.country != case.reporting_country else None
    referral = Referral.model_validate(
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
    answer: ReferralUpdate,
    expected_version: int,
) -> Referral:
    """Record the organisation's answer: pending → accepted / declined (reason) → completed,
    or withdrawn."""
    case, _who = _load_case(
        session=session, actor=actor, case_code=case_code, action=workflow.Action.answer_referral
    )
    _check_version(case, expected_version)
    referral = session.get(Referral, referral_id)
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
) -> Case:
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
) -> tuple[CaseCreate | None, dict[str, str]]:
    """The new-referral form checked: (the case to create, {}) or (None, {field: message})."""
    try:
        case_in = CaseCreate.model_validate(dict(form))
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
) -> tuple[CaseUpdate | None, dict[str, str]]:
    """The edit-assessment form checked, like `validate_new_case` (a minor: high urgency)."""
    data = dict(form)
    if data.get("is_minor"):
        data["urgency"] = Urgency.high.value
    try:
        case_in = CaseUpdate.model_validate(data)
    except ValidationError as error:
        return None, form_errors(error)
    errors = personal_data_errors({name: data.get(name) for name in CASE_TEXT_FIELDS})
    return (None, errors) if errors else (case_in, {})


def scoped_case_id(*, session: Session, actor: UserAccount, case_code: str) -> int:
    statement = select(Case.id).where(
        col(Case.case_code) == case_code.strip().upper(), case_scope(actor)
    )
    case_id = session.exec(statement).first()
    if case_id is None:
        # Same answer whether the case does not exist or is outside the actor's scope.
        raise NotFound(N_("There is no case {code}."), code=case_code)
    return case_id
