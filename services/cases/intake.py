"""Opening a referral case: its code, the new-referral form's check, and the case's first
event and audit row. The changes to an open case are in `records`.
"""

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models import Case, CaseCreate, CaseEvent, UserAccount
from models.base import utcnow
from models.enums import CaseEventKind, Role, Stage
from services.cases import follow_ups, screening
from services.cases.records import (
    CASE_TEXT_FIELDS,
    form_errors,
    personal_data_errors,
    refuse_personal_data,
)
from services.cases.storage import record_case_audit
from services.platform import audit
from services.platform.access import CASE_WORKERS, require_role
from services.platform.errors import Conflict, PermissionDenied
from services.platform.i18n import N_

_COUNTRY = re.compile(r"^[A-Z]{2}$")


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
                "next_follow_up_on": follow_ups.after_move(Stage.identified, now.date()),
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **screening.with_carried(case_in.model_dump()),
                **screening.derived(case_in.model_dump(), initial=None),
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
    changes, action = audit.diff({}, snapshot), audit.AuditAction.case_created
    record_case_audit(session, actor=actor, action=action, entity_id=case.id, changes=changes)
    session.refresh(case)
    return case


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
