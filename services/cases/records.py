"""Referral cases, the changes to an open case: notes, the assessment, assignment, stage
moves, referrals and their answers, the return, each checking the version the user started
from; the case's field labels, its personal-data check and the case forms' validation.
Opening a case is in `intake`, reads in `board`, files in `exports`, page text in
`presentation`.

Every function takes the acting user and scopes its query with `access.case_scope`, so an
officer only ever reaches the cases of their own country and the cases shared with it.
"""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
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
from models.enums import CaseEventKind, ReferralState, Role, Stage, Urgency
from models.types import Text
from services.cases import follow_ups, organisations, screening, workflow
from services.cases.storage import CaseChange, case_to_change, find_case, record_case_audit
from services.cases.workflow import Action
from services.platform import audit, personal_data, validation
from services.platform.errors import Conflict, NotFound
from services.platform.i18n import N_

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
    "screening_indicators": N_("Screening guide: indicators seen"),
    "screening_suggestion": N_("Screening guide's suggestion"),
    "initial_situation": N_("First classification"),
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
REFER_CLOSED_CASE = N_("Reopen the case before referring the person.")
NOT_AN_ASSIGNEE = N_(
    "A case can be assigned to a coordinator, an administrator or an officer of its country."
)
DUPLICATE_REFERRAL = N_(
    "This case already has an open referral to {organisation} for this service: answer or "
    "withdraw that one before sending another."
)
NOTHING_TO_RECORD = N_("Give at least the counterpart, the travel date or the reception.")


class ReturnPlan(BaseModel):
    """The return stage's arrangements with the country of origin."""

    counterpart: Text = PydanticField(default="", max_length=200)
    travel_date: date | None = None
    reception: Text = PydanticField(default="", max_length=4000)


# The case's own free-text fields (the workflow's texts are checked where they are written).
CASE_TEXT_FIELDS = ("person_alias", "consular_post", "identified_place", "primary_language")
ASSESSMENT_FIELDS = tuple(CaseBase.model_fields)


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


def stored_value(value: Any) -> Any:
    """A value as the database column takes it: codes as plain strings, lists of codes."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list):
        return [stored_value(item) for item in value]
    return value


def add_note(
    *, session: Session, actor: UserAccount, case_code: str, note: str, expected_version: int
) -> CaseEvent:
    """Append a note; refused with StaleVersion if the case changed since `expected_version`."""
    case = find_case(session=session, actor=actor, case_code=case_code)
    change = CaseChange(session, actor, case, expected_version)
    event_in = CaseEventCreate(kind=CaseEventKind.note, note=note)
    if not event_in.note:
        raise ValueError("the note is empty")
    refuse_personal_data({"note": event_in.note})
    change.save({}, stale=N_("Someone else changed this case meanwhile; nothing was saved."))
    event = change.add_event(CaseEventKind.note, note=event_in.note)
    change.audit(
        audit.AuditAction.case_note_added, before={"note": None}, after={"note": event_in.note}
    )
    session.flush()
    session.refresh(event)
    return event


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
    change, _who = case_to_change(
        session, actor, case_code, Action.edit_assessment, expected_version
    )
    case = change.case
    fields = (*ASSESSMENT_FIELDS, *screening.DERIVED_FIELDS)
    current = {name: stored_value(getattr(case, name)) for name in fields}
    edits = case_in.model_dump(exclude_unset=True)
    merged = CaseCreate.model_validate(
        {**current, **edits, "reporting_country": case.reporting_country}
    )
    after = {name: stored_value(getattr(merged, name)) for name in ASSESSMENT_FIELDS}
    # What the guide's ticks stand for is on the case too; the guide's suggestion follows its
    # indicators; the first classification is kept.
    after |= screening.with_carried(after)
    after |= screening.derived(after, initial=case.initial_situation)
    changed = {name: value for name, value in after.items() if value != current[name]}
    if not changed:
        return case
    refuse_personal_data({name: changed[name] for name in CASE_TEXT_FIELDS if name in changed})
    change.save(changed)
    change.add_event(
        CaseEventKind.assessment_updated,
        details={"fields": sorted(changed), "changes": _coded_changes(current, changed)},
    )
    change.audit(
        audit.AuditAction.case_assessment_updated,
        before={name: current[name] for name in changed},
        after=changed,
    )
    return change.finish()


def _coded_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} of the changed coded fields, for the timeline (free text is named
    there, never repeated); dates as ISO text, as the event's JSON keeps them."""

    def kept(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    return {
        name: [kept(before.get(name)), kept(value)]
        for name, value in after.items()
        if name not in CASE_TEXT_FIELDS
    }


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
    change, _who = case_to_change(session, actor, case_code, Action.assign, expected_version)
    case = change.case
    if assignee_id == case.assigned_to_id:
        return case
    assignee = session.get(UserAccount, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not _may_be_assigned(assignee, case)):
        raise Conflict(NOT_AN_ASSIGNEE)
    old_id = case.assigned_to_id
    previous = session.get(UserAccount, old_id) if old_id is not None else None
    change.save({"assigned_to_id": assignee_id})
    change.add_event(
        CaseEventKind.assigned,
        details={
            "from": (previous.display_name or previous.email) if previous else None,
            "to": (assignee.display_name or assignee.email) if assignee else None,
        },
    )
    change.audit(
        audit.AuditAction.case_assigned,
        before={"assigned_to_id": old_id},
        after={"assigned_to_id": assignee_id},
    )
    return change.finish()


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
    change, _who = case_to_change(session, actor, case_code, Action.move_stage, expected_version)
    case = change.case
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
    now = utcnow()
    change.save(
        {
            "stage": target.value,
            "stage_changed_at": now,
            "closure_reason": new_reason,
            "next_follow_up_on": follow_ups.after_move(target, now.date()),
        }
    )
    change.add_event(
        CaseEventKind.stage_change,
        note="\n\n".join(part for part in (note, new_reason or "") if part),
        details={"from": current.value, "to": target.value},
    )
    change.audit(
        audit.AuditAction.case_stage_moved,
        before={"stage": current.value, "closure_reason": old_reason},
        after={"stage": target.value, "closure_reason": new_reason},
    )
    return change.finish()


def _refuse_a_second_open_referral(
    session: Session, *, case_id: int, organisation: Organisation, service: str
) -> None:
    """Conflict if the case already has a pending or accepted referral to this organisation
    for this service (a second click, a second tab, or the same referral sent twice)."""
    statement = select(func.count(col(Referral.id))).where(
        col(Referral.case_id) == case_id,
        col(Referral.organisation_id) == organisation.id,
        col(Referral.service) == str(service),
        col(Referral.state).in_([ReferralState.pending.value, ReferralState.accepted.value]),
    )
    if session.exec(statement).one():
        raise Conflict(DUPLICATE_REFERRAL, organisation=organisation.name)


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
    change, who = case_to_change(session, actor, case_code, Action.refer, expected_version)
    case = change.case
    if case.stage == Stage.closed:
        raise Conflict(REFER_CLOSED_CASE)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not organisation.is_active:
        raise NotFound(N_("This organisation does not exist (any more)."))
    _refuse_a_second_open_referral(
        session,
        case_id=case.id,  # type: ignore[arg-type]
        organisation=organisation,
        service=service,
    )
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
    due = follow_ups.response_due(referral_in.sent_on, organisation)
    values["next_follow_up_on"] = follow_ups.after_referral(case.next_follow_up_on, due)
    change.save(values)
    cross_border = organisation.country if organisation.country != case.reporting_country else None
    referral = Referral.model_validate(
        referral_in,
        update={
            "state": ReferralState.pending,
            "cross_border_country": cross_border,
            "created_by_id": actor.id,
            "response_due_on": due,
        },
    )
    session.add(referral)
    session.flush()
    change.add_event(
        CaseEventKind.referral_sent,
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
    change.audit(
        audit.AuditAction.case_referral_sent,
        before={},
        after={
            "case_id": case.id,
            "organisation_id": organisation_id,
            "service": referral_in.service.value,
            "state": ReferralState.pending.value,
            "cross_border_country": cross_border,
        },
        referral_id=referral.id,
    )
    if overridden:
        changes = audit.diff({}, {"consent_override_reason": overridden})
        action = audit.AuditAction.case_consent_overridden
        record_case_audit(session, actor=actor, action=action, entity_id=case.id, changes=changes)
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
    change, who = case_to_change(
        session, actor, case_code, Action.answer_referral, expected_version
    )
    case = change.case
    referral = session.get(Referral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise NotFound(N_("This referral is not part of case {code}."), code=case.case_code)
    session.refresh(referral)
    workflow.check_shared_answer(
        who=who,
        actor_country=actor.country,
        referral_country=referral.cross_border_country,
        has_staff=organisations.has_partner_staff(session, referral.organisation_id),
    )
    old_state = ReferralState(referral.state)
    workflow.check_referral_answer(old_state, answer.state)
    refuse_personal_data({"decline_reason": answer.decline_reason})
    change.save({})
    reason = answer.decline_reason if answer.state == ReferralState.declined else None
    referral.state = answer.state
    referral.decline_reason = reason
    if answer.state in (ReferralState.accepted, ReferralState.declined):
        referral.answered_on = utcnow().date()
    session.add(referral)
    organisation = session.get(Organisation, referral.organisation_id)
    change.add_event(
        CaseEventKind.referral_answered,
        note=reason or "",
        details={
            "referral_id": referral.id,
            "organisation": organisation.name if organisation else None,
            "service": str(referral.service),
            "from": old_state.value,
            "to": answer.state.value,
        },
    )
    change.audit(
        audit.AuditAction.case_referral_answered,
        before={"state": old_state.value, "decline_reason": None},
        after={"state": answer.state.value, "decline_reason": reason},
        referral_id=referral.id,
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
    change, _who = case_to_change(session, actor, case_code, Action.record_return, expected_version)
    case = change.case
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
    change.save(after)
    change.add_event(
        CaseEventKind.return_coordinated,
        details={
            "counterpart": plan.counterpart or None,
            "travel_date": plan.travel_date.isoformat() if plan.travel_date else None,
        },
    )
    change.audit(
        audit.AuditAction.case_return_recorded,
        before=before,
        after=after,
    )
    return change.finish()


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
