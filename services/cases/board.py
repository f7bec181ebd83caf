"""The board's reads: cards per stage, counts, a case's detail, assignees, organisations.

Every read takes the acting user and scopes its query with `access.case_scope`, so an officer
only ever reaches the cases of their own country and the cases shared with it.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from models import (
    Case,
    CaseEvent,
    Organisation,
    Referral,
    UserAccount,
)
from models.base import utcnow
from models.enums import STAGE_ORDER, Role, Stage, Urgency
from services.cases import workflow
from services.cases.storage import find_case, party_of, record_case_audit
from services.platform import audit
from services.platform.access import CASE_WORKERS, case_scope, require_role

MAX_PAGE_SIZE = 500
URGENCY_RANK = {Urgency.high.value: 0, Urgency.medium.value: 1, Urgency.low.value: 2}
OPEN_STAGES = [stage.value for stage in STAGE_ORDER if stage != Stage.closed]


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
    next_follow_up_on: date | None = None


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
    case: Case
    referrals: list[ReferralLine]
    events: list[TimelineEntry]
    party: str = workflow.Party.outsider.value
    allowed: frozenset[str] = frozenset()
    assignee: str | None = None
    reporter: str | None = None


@dataclass(frozen=True)
class Assignee:
    id: int
    name: str
    role: str
    country: str | None


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


def filter_conditions(filters: CaseFilters) -> list[sa.ColumnElement[bool]]:
    stage, country, urgency = filters.stage, filters.country, filters.urgency
    situation, assigned_to_id = filters.situation, filters.assigned_to_id
    open_only, unassigned = filters.open_only, filters.unassigned
    exploitation_type = filters.exploitation_type
    conditions: list[sa.ColumnElement[bool]] = []
    if stage:
        conditions.append(col(Case.stage) == str(stage))
    if country:
        conditions.append(col(Case.reporting_country) == country.upper())
    if urgency:
        conditions.append(col(Case.urgency) == str(urgency))
    if situation:
        conditions.append(col(Case.situation) == str(situation))
    if assigned_to_id is not None:
        conditions.append(col(Case.assigned_to_id) == assigned_to_id)
    if unassigned:
        conditions.append(col(Case.assigned_to_id).is_(None))
    if open_only:
        # IN, not "!= closed": the index on (stage, ...) reads only the open stages.
        conditions.append(col(Case.stage).in_(OPEN_STAGES))
    if exploitation_type:
        # JSON list of codes: match the quoted code in its text form (SQLite and PostgreSQL).
        types_text = sa.cast(Case.exploitation_types, sa.Text)
        conditions.append(types_text.contains(f'"{exploitation_type}"', autoescape=True))
    return conditions


_CARD_COLUMNS: tuple[Any, ...] = (
    Case.id,
    Case.case_code,
    Case.stage,
    Case.urgency,
    Case.age_band,
    Case.is_minor,
    Case.situation,
    Case.reporting_country,
    Case.stage_changed_at,
    Case.next_follow_up_on,
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
    column = col(Case.urgency)
    codes = sorted(URGENCY_RANK)
    between = [sa.and_(column > low, column < high) for low, high in itertools.pairwise(codes)]
    return sa.or_(column < codes[0], *between, column > codes[-1])


def _urgency_groups(session: Session, urgency: str | None) -> Iterator[sa.ColumnElement[bool]]:
    """The urgencies of a board column in board order, each as a condition (lazily)."""
    if urgency:
        yield sa.true()  # the filter names the one urgency
        return
    for code in URGENCY_RANK:
        yield col(Case.urgency) == code
    # Other codes rank last. The app stores none: look for one (an index seek) before reading.
    unranked = _unranked_urgency()
    if session.execute(sa.select(col(Case.id)).where(unranked).limit(1)).first():
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
    order = (col(Case.stage_changed_at), col(Case.id))
    rows: list[Any] = []
    skip = offset
    for group in _urgency_groups(session, urgency):
        # The page of cases first, then the assignees: an outer join around the ordered read
        # would stop SQLite from reading each stage's index range in order.
        page = (
            sa.select(*(col(column) for column in _CARD_COLUMNS), col(Case.assigned_to_id))
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
                sa.select(func.count()).select_from(Case).where(*conditions, group)
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
        *filter_conditions(filters),
    ]
    if indexed:
        rows = _rows_by_urgency(
            session, conditions, urgency=filters.urgency, limit=limit, offset=offset
        )
    else:
        urgency_rank = sa.case(URGENCY_RANK, value=Case.urgency, else_=len(URGENCY_RANK))
        statement = (
            _with_assignee(Case.__table__)  # type: ignore[attr-defined]
            .where(*conditions)
            .order_by(urgency_rank, col(Case.stage_changed_at), col(Case.id))
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
            next_follow_up_on=row.next_follow_up_on,
        )
        for row in rows
    ]


def board_counts(
    *, session: Session, actor: UserAccount, filters: CaseFilters = NO_FILTERS
) -> dict[str, int]:
    """Number of visible cases per stage (every stage present, in board order)."""
    scope = case_scope(actor)
    statement = (
        select(Case.stage, func.count(col(Case.id)))
        .where(
            scope,
            *filter_conditions(filters),
        )
        .group_by(Case.stage)
    )
    found = {str(row_stage): count for row_stage, count in session.exec(statement).all()}
    return {stage_.value: found.get(stage_.value, 0) for stage_ in STAGE_ORDER}


def case_countries(*, session: Session, actor: UserAccount) -> list[str]:
    """Reporting countries among the cases the actor may see, for the board's filter."""
    statement = (
        select(Case.reporting_country)
        .where(case_scope(actor))
        .distinct()
        .order_by(Case.reporting_country)
    )
    return list(session.exec(statement).all())


def get_case(
    *, session: Session, actor: UserAccount, case_code: str, audit_read: bool = True
) -> CaseDetail:
    """One case with its referrals and timeline.

    Opening a case is audited; a page reloading the case it already shows passes
    `audit_read=False` so that every click does not log another read.
    """
    case = find_case(session=session, actor=actor, case_code=case_code)

    referral_rows = session.exec(
        select(Referral, Organisation.name, Organisation.country)
        .join(Organisation, col(Organisation.id) == Referral.organisation_id)
        .where(col(Referral.case_id) == case.id)
        .order_by(col(Referral.sent_on), col(Referral.id))
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

    who = party_of(session=session, actor=actor, case=case)
    assignee = session.get(UserAccount, case.assigned_to_id) if case.assigned_to_id else None
    reporter = session.get(UserAccount, case.reported_by_id) if case.reported_by_id else None
    if audit_read:
        record_case_audit(
            session, actor=actor, action=audit.AuditAction.case_read, entity_id=case.id
        )
    return CaseDetail(
        case=case,
        referrals=referrals,
        events=events,
        party=who.value,
        allowed=frozenset(action.value for action in workflow.allowed_actions(who)),
        assignee=(assignee.display_name or assignee.email) if assignee else None,
        reporter=(reporter.display_name or reporter.email) if reporter else None,
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
