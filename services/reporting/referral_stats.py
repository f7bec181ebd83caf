"""Issue 16's referral statistics: each one aggregate query over the cases a reader may count
(their scope and the filters: reporting country, period identified), never a case row.

Time statistics: SQL counts the cases per whole number of days (a histogram of at most a few
hundred rows per stage); the median and 90th percentile are computed from that histogram with
linear interpolation between the closest ranks, the definition of PostgreSQL's
`percentile_cont`. SQLite has no percentile function, so both databases use the histogram:
the same answer on both, and exact at the resolution of a day. Durations leave out the cases
that retention anonymised (their dates are kept to the month only).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from models import Case, CaseEvent, Organisation, Referral, UserAccount
from models.enums import CaseEventKind, ReferralState, Role, Situation, Stage
from services.platform.access import DASHBOARD_READERS, require_role
from services.platform.errors import EnlaceError, PermissionDenied
from services.platform.i18n import N_
from services.reporting.report_parts import ReportFilters

# Officers read their own country's statistics; coordinators, managers and admins every
# country's. Partner staff read none.
STATISTICS_READERS = (Role.officer, *DASHBOARD_READERS)
UNKNOWN = "??"  # the code of a country not recorded (origin or exploitation)
NOT_RECORDED = "not_recorded"  # no exploitation type / industry recorded


class InvalidFilter(EnlaceError):
    """A report filter that cannot be applied (a bad country code, an empty period)."""


def check_filters(filters: ReportFilters) -> ReportFilters:
    """The filters, or InvalidFilter naming what is wrong."""
    country = filters.country
    if country is not None and not (len(country) == 2 and country.isalpha() and country.isupper()):
        raise InvalidFilter(
            N_("Reporting country: {value!r} is not a two-letter ISO code such as AR."),
            value=country,
        )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidFilter(
            N_("Period: the start ({start}) is after the end ({end})."),
            start=filters.date_from.isoformat(),
            end=filters.date_to.isoformat(),
        )
    return filters


def scoped(actor: UserAccount, filters: ReportFilters) -> ReportFilters:
    """The filters as they apply to `actor`: an officer's reporting country is always their
    own (what every file then names)."""
    if actor.role == Role.officer and filters.country is None and actor.country:
        return ReportFilters(actor.country, filters.date_from, filters.date_to)
    return filters


def case_conditions(actor: UserAccount, filters: ReportFilters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the cases counted for `actor` with `filters`: an officer's own
    reporting country only (another country asked for is refused), the others' any country."""
    require_role(actor, STATISTICS_READERS)
    check_filters(filters)
    conditions: list[ColumnElement[bool]] = []
    country = filters.country
    if actor.role == Role.officer:
        if not actor.country:
            raise PermissionDenied(
                N_("Your account has no country; ask an administrator to set it.")
            )
        if country is not None and country != actor.country:
            raise PermissionDenied(
                N_("You may read the statistics of your own country ({country}) only."),
                country=actor.country,
            )
        country = actor.country
    if country is not None:
        conditions.append(col(Case.reporting_country) == country)
    if filters.date_from is not None:
        conditions.append(col(Case.identified_on) >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(col(Case.identified_on) <= filters.date_to)
    return conditions


def reader_countries(*, session: Session, actor: UserAccount) -> list[str]:
    """The reporting countries a reader may choose: an officer's own, else every country
    that has cases (alphabetical codes)."""
    require_role(actor, STATISTICS_READERS)
    if actor.role == Role.officer:
        return [actor.country] if actor.country else []
    statement = select(Case.reporting_country).distinct().order_by(Case.reporting_country)
    return [str(code) for code in session.exec(statement).all()]


# --- counts -----------------------------------------------------------------------------------


def count_by(
    *, session: Session, actor: UserAccount, filters: ReportFilters, column: Any
) -> dict[str, int]:
    """{code: cases} of one coded case column (stage, situation, reporting country...)."""
    statement = (
        sa.select(column, func.count())
        .select_from(Case)
        .where(*case_conditions(actor, filters))
        .group_by(column)
    )
    return {str(code): int(number) for code, number in session.execute(statement).all()}


def count_by_day(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[tuple[Any, int]]:
    """(day identified, cases) pairs, straight from the index on identified_on."""
    day = col(Case.identified_on)
    statement = (
        sa.select(day, func.count())
        .select_from(Case)
        .where(*case_conditions(actor, filters))
        .group_by(day)
    )
    return [(identified_on, int(number)) for identified_on, number in session.execute(statement)]


def count_listed(
    *,
    session: Session,
    actor: UserAccount,
    filters: ReportFilters,
    column: Any,
    codes: Sequence[str],
) -> dict[str, int]:
    """{code: cases whose JSON list `column` holds it} for every code, plus NOT_RECORDED (an
    empty list): one pass over the cases, the same SQL on SQLite and PostgreSQL (the stored
    list's text holds each code in double quotes)."""
    text = sa.cast(column, sa.Text)
    listed = [
        func.coalesce(func.sum(sa.case((text.like(f'%"{code}"%'), 1), else_=0)), 0)
        for code in codes
    ]
    empty = sa.or_(column.is_(None), text.in_(["[]", "null"]))
    listed.append(func.coalesce(func.sum(sa.case((empty, 1), else_=0)), 0))
    statement = sa.select(*listed).select_from(Case).where(*case_conditions(actor, filters))
    row = session.execute(statement).one()
    return dict(zip([*codes, NOT_RECORDED], (int(value) for value in row), strict=True))


def suspected_situations(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> dict[str, int]:
    """{situation: cases} by the situation suspected when the case was opened: the old value
    of the first assessment change of the situation on the timeline, or the situation now
    when it never changed."""
    changed = col(CaseEvent.details)[("changes", "situation", 0)].as_string()
    # The first change of the situation of each case (few cases have one): one pass over
    # the assessment events, joined to the cases, instead of a subquery per case.
    order = func.row_number().over(
        partition_by=col(CaseEvent.case_id),
        order_by=(col(CaseEvent.created_at), col(CaseEvent.id)),
    )
    changes = (
        sa.select(
            col(CaseEvent.case_id).label("case_id"),
            changed.label("suspected"),
            order.label("position"),
        )
        .where(
            col(CaseEvent.kind) == CaseEventKind.assessment_updated.value,
            changed.is_not(None),
        )
        .subquery()
    )
    suspected = func.coalesce(changes.c.suspected, col(Case.situation))
    statement = (
        sa.select(suspected, func.count())
        .select_from(Case)
        .outerjoin(changes, sa.and_(changes.c.case_id == col(Case.id), changes.c.position == 1))
        .where(*case_conditions(actor, filters))
        .group_by(suspected)
    )
    return {str(code): int(number) for code, number in session.execute(statement).all()}


def final_situations(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> dict[str, int]:
    """{situation: closed cases} by the situation recorded when the case was closed."""
    statement = (
        sa.select(col(Case.situation), func.count())
        .select_from(Case)
        .where(*case_conditions(actor, filters), col(Case.stage) == Stage.closed.value)
        .group_by(col(Case.situation))
    )
    return {str(code): int(number) for code, number in session.execute(statement).all()}


def origin_destination(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> dict[tuple[str, str], int]:
    """{(citizenship, country of exploitation): cases}; UNKNOWN where not recorded."""
    origin = func.coalesce(col(Case.citizenship), UNKNOWN)
    destination = func.coalesce(col(Case.exploitation_country), UNKNOWN)
    statement = (
        sa.select(origin, destination, func.count())
        .select_from(Case)
        .where(*case_conditions(actor, filters))
        .group_by(origin, destination)
    )
    return {(str(o), str(d)): int(n) for o, d, n in session.execute(statement).all()}


# --- durations ------------------------------------------------------------------------------


def _precise() -> ColumnElement[bool]:
    """Cases whose dates are still exact: retention keeps an anonymised case's dates and
    times to the month only, so durations leave those cases out."""
    return col(Case.anonymised_at).is_(None)


def _days(session: Session, later: Any, earlier: Any) -> Any:
    """Whole calendar days from `earlier` to `later` (dates or timestamps), in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(later, sa.Date) - sa.cast(earlier, sa.Date)
    # SQLite stores dates and timestamps as ISO text: the first ten characters are the day.
    return sa.cast(
        func.julianday(func.substr(later, 1, 10)) - func.julianday(func.substr(earlier, 1, 10)),
        sa.Integer,
    )


Histogram = dict[Any, list[tuple[int, int]]]
"""{group: [(days, cases), ...]}: how many cases took each whole number of days."""


def _histogram(rows: Sequence[Sequence[Any]]) -> Histogram:
    found: Histogram = {}
    for group, days, number in rows:
        if days is None:
            continue
        found.setdefault(str(group), []).append((int(days), int(number)))
    return found


def stage_durations(*, session: Session, actor: UserAccount, filters: ReportFilters) -> Histogram:
    """{stage: histogram of days spent in it}, over the stays that have ended (a case still
    in a stage is not counted for it). A stay ends with a move out of the stage (the event
    names the stage it left) and began with the case's previous move, or its creation."""
    entered_at = func.lag(col(CaseEvent.created_at)).over(
        partition_by=col(CaseEvent.case_id),
        order_by=(col(CaseEvent.created_at), col(CaseEvent.id)),
    )
    moves = (
        sa.select(
            col(CaseEvent.kind).label("kind"),
            col(CaseEvent.details)["from"].as_string().label("stage"),
            col(CaseEvent.created_at).label("left_at"),
            entered_at.label("entered_at"),
        )
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .where(
            col(CaseEvent.kind).in_(
                [CaseEventKind.created.value, CaseEventKind.stage_change.value]
            ),
            *case_conditions(actor, filters),
            _precise(),
        )
        .subquery()
    )
    days = _days(session, moves.c.left_at, moves.c.entered_at)
    statement = (
        sa.select(moves.c.stage, days, func.count())
        .where(moves.c.kind == CaseEventKind.stage_change.value, moves.c.entered_at.is_not(None))
        .group_by(moves.c.stage, days)
    )
    return _histogram(session.execute(statement).all())


def milestone_durations(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> Histogram:
    """{"referral": days from identification to the first referral sent, "assistance": days
    from identification to the first move into assistance}, histograms over the cases that
    reached the milestone."""
    conditions = [*case_conditions(actor, filters), _precise()]
    first_referral = (
        sa.select(
            col(Case.identified_on).label("start"),
            func.min(col(Referral.sent_on)).label("reached"),
        )
        .join(Referral, col(Referral.case_id) == col(Case.id))
        .where(*conditions)
        .group_by(col(Case.id), col(Case.identified_on))
        .subquery()
    )
    moved_to = col(CaseEvent.details)["to"].as_string()
    first_assistance = (
        sa.select(
            col(Case.identified_on).label("start"),
            func.min(col(CaseEvent.created_at)).label("reached"),
        )
        .join(CaseEvent, col(CaseEvent.case_id) == col(Case.id))
        .where(
            *conditions,
            col(CaseEvent.kind) == CaseEventKind.stage_change.value,
            moved_to == Stage.assistance.value,
        )
        .group_by(col(Case.id), col(Case.identified_on))
        .subquery()
    )
    found: Histogram = {}
    for name, reached in (("referral", first_referral), ("assistance", first_assistance)):
        days = _days(session, reached.c.reached, reached.c.start)
        statement = sa.select(sa.literal(name), days, func.count()).group_by(days)
        found.update(_histogram(session.execute(statement).all()))
    return found


@dataclass(frozen=True)
class Spread:
    """How long something took: over `cases` cases, the median and 90th percentile in days."""

    cases: int
    median: float | None
    p90: float | None


def spread(histogram: Sequence[tuple[int, int]]) -> Spread:
    """The median and 90th percentile of a histogram (linear interpolation between the
    closest ranks, as PostgreSQL's percentile_cont and numpy's default)."""
    cases = sum(number for _days, number in histogram)
    if cases == 0:
        return Spread(0, None, None)
    values = np.repeat(
        [days for days, _n in histogram], [number for _d, number in histogram]
    ).astype(float)
    median, p90 = np.percentile(values, [50, 90])
    return Spread(cases, float(median), float(p90))


# --- referrals ------------------------------------------------------------------------------

REFERRAL_STATES = [state.value for state in ReferralState]


@dataclass(frozen=True)
class OrganisationReferrals:
    """Referrals of the counted cases, by organisation: counts by state and answer times."""

    organisations: dict[int, tuple[str, str]]  # id: (name, country)
    counts: dict[tuple[int, str], int]  # (organisation id, state): referrals
    answer_days: Histogram  # str(organisation id): days from sent to answered


def referrals_by_organisation(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> OrganisationReferrals:
    """Every organisation that received a referral of the counted cases: how many referrals
    in each state, and how many days each answered one took (sent_on → answered_on)."""
    conditions = case_conditions(actor, filters)
    statement = (
        sa.select(col(Referral.organisation_id), col(Referral.state), func.count())
        .select_from(Referral)
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(*conditions)
        .group_by(col(Referral.organisation_id), col(Referral.state))
    )
    counts: dict[tuple[int, str], int] = {}
    for org_id, state, number in session.execute(statement).all():
        counts[(int(org_id), str(state))] = int(number)
    # The few organisations' names, by id (not joined into the count of every referral).
    named = sa.select(col(Organisation.id), col(Organisation.name), col(Organisation.country))
    organisations = {
        int(org_id): (str(name), str(country))
        for org_id, name, country in session.execute(
            named.where(col(Organisation.id).in_({org for org, _state in counts}))
        ).all()
    }
    days = _days(session, col(Referral.answered_on), col(Referral.sent_on))
    answered = (
        sa.select(col(Referral.organisation_id), days, func.count())
        .select_from(Referral)
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(*conditions, _precise(), col(Referral.answered_on).is_not(None))
        .group_by(col(Referral.organisation_id), days)
    )
    return OrganisationReferrals(organisations, counts, _histogram(session.execute(answered).all()))


def situation_order() -> list[str]:
    return [situation.value for situation in Situation]


def frame(column: str, counts: dict[str, int], order: Sequence[str]) -> pd.DataFrame:
    """Columns (column, cases) in `order`, missing codes as 0."""
    return pd.DataFrame(
        {column: list(order), "cases": [int(counts.get(code, 0)) for code in order]}
    ).astype({"cases": "int64"})
