"""Training impact: what the officers who completed a course do differently, before and after
their completion date, and how the screening guide's suggestion compares with the officers'
first and final classification. Descriptive, not causal: the groups differ in more than the
course (country, post, caseload, time).

Officers (accounts with the officer role) are linked to course participants by the
participant record chosen on their account (`UserAccount.participant_id`, as the demo's
officers are), or else by e-mail address (both stored lower-case); an officer "completed a
course" on the earliest completion date of any of their completed enrollments. A case counts
for the officer who opened it (`reported_by_id`), on the day the person was identified.

Three groups: officers who have not completed a course (all their cases), and officers who
completed one, their cases identified before and from their completion date. For each:
officers, officer-months of exposure in the period (days / 30.44, each officer's period split
at their completion date), cases, cases per officer-month, the share of the screened cases
(past the screening stage, with a first classification) whose final situation is the first
one, the median days from identification to the first referral, and the share with consent
recorded. The counting is done in SQL (one GROUP BY per figure, days to referral as a
histogram); a group with fewer officers or cases than the small-count threshold is withheld.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models import Case, Enrollment, Participant, Referral, UserAccount
from models.base import utcnow
from models.enums import EnrollmentStatus, Role, Situation, Stage
from services.platform.access import DASHBOARD_READERS, require_role
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting import suppression
from services.reporting.report_parts import ReportFilters, ReportPart

DAYS_PER_MONTH = 365.25 / 12
NOT_COMPLETED, BEFORE, AFTER = "not_completed", "before", "after"
GROUPS: dict[str, str] = {
    NOT_COMPLETED: N_("Officers who have not completed a course"),
    BEFORE: N_("Officers who completed a course: cases before their completion"),
    AFTER: N_("Officers who completed a course: cases from their completion"),
}
NOT_CLASSIFIED = "not_classified"
# Stages a case reaches once screened: its classification has been checked by then.
_SCREENED_STAGES = [
    stage.value for stage in Stage if stage not in (Stage.identified, Stage.screening)
]
IMPACT, GUIDE_FIRST, GUIDE_FINAL = "training_impact", "guide_vs_first", "guide_vs_final"
PART_TITLES: dict[str, str] = {
    IMPACT: N_("Training impact: officers by course completion"),
    GUIDE_FIRST: N_("Screening guide's suggestion and the officer's first classification"),
    GUIDE_FINAL: N_("Screening guide's suggestion and the final classification"),
}
HOW_LINKED = N_(
    "Officers are linked to course participants by the participant record chosen on their "
    "account, or else by e-mail address; an officer completed a course on the earliest "
    "completion date of their enrollments. A case counts for the officer who opened it, on "
    "the day the person was identified."
)
NOT_CAUSAL = N_(
    "Descriptive, not causal: the officers who took the course differ from the others in "
    "more than the course (country, post, caseload, period), and so do the months before "
    "and after it."
)


@dataclass(frozen=True)
class GroupFigures:
    """One group's figures, before suppression."""

    group: str
    officers: int
    officer_months: float
    cases: int
    screened: int
    confirmed: int
    referred: int
    median_days_to_referral: float | None
    consent: int

    @property
    def cases_per_officer_month(self) -> float | None:
        return self.cases / self.officer_months if self.officer_months else None

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed / self.screened if self.screened else None

    @property
    def consent_share(self) -> float | None:
        return self.consent / self.cases if self.cases else None


# --- the figures (SQL) -----------------------------------------------------------------


def _completions() -> sa.Subquery:
    """Each participant's earliest course completion."""
    return (
        select(
            col(Enrollment.participant_id).label("participant_id"),
            func.min(col(Enrollment.completed_on)).label("completed_on"),
        )
        .where(
            col(Enrollment.status) == EnrollmentStatus.completed.value,
            col(Enrollment.completed_on).is_not(None),
        )
        .group_by(col(Enrollment.participant_id))
        .subquery("completion")
    )


def _with_completion(statement: Any, completion: sa.Subquery) -> Any:
    """`statement` (on user_account) joined to the officer's participant record, the one
    chosen on the account or else the one with the account's e-mail address, and to its
    earliest completion."""
    linked = sa.or_(
        col(Participant.id) == col(UserAccount.participant_id),
        sa.and_(
            col(UserAccount.participant_id).is_(None),
            col(Participant.email) == col(UserAccount.email),
        ),
    )
    return statement.outerjoin(Participant, linked).outerjoin(
        completion, completion.c.participant_id == col(Participant.id)
    )


def _case_conditions(filters: ReportFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.country:
        conditions.append(col(Case.reporting_country) == filters.country)
    if filters.date_from:
        conditions.append(col(Case.identified_on) >= filters.date_from)
    if filters.date_to:
        conditions.append(col(Case.identified_on) <= filters.date_to)
    return conditions


def _period(session: Session, filters: ReportFilters) -> tuple[date, date]:
    """The period counted: the filters' dates, else from the first case identified to today."""
    start = filters.date_from
    if start is None:
        statement = select(func.min(col(Case.identified_on))).where(*_case_conditions(filters))
        start = session.exec(statement).one() or utcnow().date()
    return start, filters.date_to or utcnow().date()


def _officers(session: Session, filters: ReportFilters) -> list[tuple[int, date | None]]:
    """(officer account id, completion date or None) of every officer in the filters' country."""
    completion = _completions()
    statement = _with_completion(
        select(col(UserAccount.id), completion.c.completed_on).select_from(UserAccount),
        completion,
    ).where(col(UserAccount.role) == Role.officer.value)
    if filters.country:
        statement = statement.where(col(UserAccount.country) == filters.country)
    rows = session.exec(statement).all()
    return [(int(officer_id), done) for officer_id, done in rows if officer_id is not None]


def _exposure(
    officers: Sequence[tuple[int, date | None]], start: date, end: date
) -> dict[str, tuple[int, float]]:
    """{group: (officers, officer-months)} over the period `start`–`end` (both included)."""

    def days(first: date, last: date) -> int:
        return max(0, (last - first).days + 1)

    totals = {group: [0, 0] for group in GROUPS}
    for _officer, done in officers:
        if done is None:
            spans = {NOT_COMPLETED: days(start, end)}
        else:
            before_end = min(end, date.fromordinal(done.toordinal() - 1))
            spans = {BEFORE: days(start, before_end), AFTER: days(max(start, done), end)}
        for group, span in spans.items():
            if span:
                totals[group][0] += 1
                totals[group][1] += span
    return {group: (n, span / DAYS_PER_MONTH) for group, (n, span) in totals.items()}


def _days_between(later: Any, earlier: Any, dialect: str) -> sa.ColumnElement[int]:
    if dialect == "sqlite":
        return sa.cast(func.julianday(later) - func.julianday(earlier), sa.Integer)
    return sa.cast(later - earlier, sa.Integer)


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}."""
    total = sum(histogram.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the 0-based ranks of the middle value(s)
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and middle[len(found)] < seen:
            found.append(value)
    return (found[0] + found[1]) / 2


def impact_groups(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[GroupFigures]:
    """The three groups' figures, unsuppressed (GROUPS order)."""
    require_role(actor, DASHBOARD_READERS)
    start, end = _period(session, filters)
    exposure = _exposure(_officers(session, filters), start, end)
    completion = _completions()
    first_referral = (
        select(
            col(Referral.case_id).label("case_id"),
            func.min(col(Referral.sent_on)).label("sent_on"),
        )
        .group_by(col(Referral.case_id))
        .subquery("first_referral")
    )
    group = sa.case(
        (completion.c.completed_on.is_(None), NOT_COMPLETED),
        (col(Case.identified_on) < completion.c.completed_on, BEFORE),
        else_=AFTER,
    ).label("grp")
    screened = sa.and_(
        col(Case.stage).in_(_SCREENED_STAGES), col(Case.initial_situation).is_not(None)
    )
    confirmed = sa.and_(screened, col(Case.situation) == col(Case.initial_situation))

    def counted(condition: sa.ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)

    def joined(statement: Any) -> Any:
        with_officer = statement.select_from(Case).join(
            UserAccount, col(UserAccount.id) == col(Case.reported_by_id)
        )
        return (
            _with_completion(with_officer, completion)
            .outerjoin(first_referral, first_referral.c.case_id == col(Case.id))
            .where(
                col(UserAccount.role) == Role.officer.value,
                col(Case.identified_on) >= start,
                col(Case.identified_on) <= end,
                *_case_conditions(filters),
            )
        )

    totals = session.execute(
        joined(
            sa.select(
                group,
                func.count(col(Case.id)),
                counted(screened),
                counted(confirmed),
                func.count(first_referral.c.sent_on),
                counted(col(Case.consent_given).is_(True)),
            )
        ).group_by(group)
    ).all()
    dialect = session.get_bind().dialect.name
    days = _days_between(first_referral.c.sent_on, col(Case.identified_on), dialect).label("d")
    histograms: dict[str, dict[int, int]] = {name: {} for name in GROUPS}
    for name, value, number in session.execute(
        joined(sa.select(group, days, func.count()))
        # Retention keeps an anonymised case's dates to the month only: no durations from it.
        .where(first_referral.c.sent_on.is_not(None), col(Case.anonymised_at).is_(None))
        .group_by(group, days)
    ).all():
        histograms[str(name)][int(value)] = int(number)
    by_group = {str(row[0]): [int(value or 0) for value in row[1:]] for row in totals}
    figures = []
    for name in GROUPS:
        cases, screened_n, confirmed_n, referred, consent = by_group.get(name, [0] * 5)
        officers, months = exposure[name]
        figures.append(
            GroupFigures(
                group=name,
                officers=officers,
                officer_months=months,
                cases=cases,
                screened=screened_n,
                confirmed=confirmed_n,
                referred=referred,
                median_days_to_referral=_median(histograms[name]),
                consent=consent,
            )
        )
    return figures


def classification_grid(
    *, session: Session, actor: UserAccount, filters: ReportFilters, compared: str
) -> pd.DataFrame:
    """Cases with a screening suggestion: rows the guide's suggestion, columns the officer's
    first (`compared="first"`) or the final (`"final"`) classification; every situation, and
    "not classified yet" for a first classification not given yet. Unsuppressed counts."""
    require_role(actor, DASHBOARD_READERS)
    other = col(Case.initial_situation) if compared == "first" else col(Case.situation)
    suggestion = col(Case.screening_suggestion)
    statement = (
        select(suggestion, other, func.count(col(Case.id)))
        .where(suggestion.is_not(None), *_case_conditions(filters))
        .group_by(suggestion, other)
    )
    situations = [situation.value for situation in Situation]
    # A first classification is never "not yet determined": until given, it is missing.
    classified = [code for code in situations if code != Situation.undetermined.value]
    columns = [*classified, NOT_CLASSIFIED] if compared == "first" else situations
    grid = pd.DataFrame(0, index=situations, columns=columns, dtype="int64")
    for guide, given, number in session.exec(statement).all():
        grid.loc[str(guide), str(given) if given else NOT_CLASSIFIED] += int(number)
    return grid


# --- as published ----------------------------------------------------------------------


def _withheld(figures: Sequence[GroupFigures], threshold: int) -> dict[str, str]:
    """{group: suppression status}: primary when it has fewer officers or cases than the
    threshold; then, if that leaves one hidden group with cases, the smallest other group with
    cases too (the groups' cases add up to the cases counted by other reports)."""
    status = {
        f.group: suppression.PRIMARY
        if suppression.is_small(f.officers, threshold) or suppression.is_small(f.cases, threshold)
        else suppression.SHOWN
        for f in figures
    }
    hidden = [f for f in figures if status[f.group] != suppression.SHOWN and f.cases]
    shown = [f for f in figures if status[f.group] == suppression.SHOWN and f.cases]
    if threshold > 1 and len(hidden) == 1 and shown:
        status[min(shown, key=lambda f: f.cases).group] = suppression.SECONDARY
    return status


def _share(numerator: int, denominator: int, threshold: int) -> float | None:
    """A percentage, when its denominator is not a small count."""
    return round(100 * numerator / denominator, 1) if denominator >= threshold else None


def impact_table(figures: Sequence[GroupFigures], threshold: int) -> pd.DataFrame:
    """The groups as published: a withheld group shows "<threshold" for its small count and
    "x" for every other figure; shares are left empty when their denominator is small."""
    status = _withheld(figures, threshold)
    rows = []
    for f in figures:
        values: dict[str, Any] = {
            "officers": f.officers,
            "officer_months": round(f.officer_months, 1),
            "cases": f.cases,
            "per_officer_month": round(f.cases_per_officer_month, 2)
            if f.cases_per_officer_month is not None
            else None,
            "confirmed_pct": _share(f.confirmed, f.screened, threshold),
            "median_days": f.median_days_to_referral if f.referred >= threshold else None,
            "consent_pct": _share(f.consent, f.cases, threshold),
        }
        if status[f.group] != suppression.SHOWN:
            small = f"<{threshold}"
            values = {name: suppression.SECONDARY_MARK for name in values}
            if status[f.group] == suppression.PRIMARY:
                if suppression.is_small(f.officers, threshold):
                    values["officers"] = small
                if suppression.is_small(f.cases, threshold):
                    values["cases"] = small
        rows.append({"group": f.group, **values})
    return pd.DataFrame(rows)


COLUMNS: dict[str, str] = {
    "group": N_("Group"),
    "officers": N_("Officers"),
    "officer_months": N_("Officer-months"),
    "cases": N_("Cases"),
    "per_officer_month": N_("Cases per officer-month"),
    "confirmed_pct": N_("Suspected situation confirmed (%)"),
    "median_days": N_("Median days from identification to referral"),
    "consent_pct": N_("Consent recorded (%)"),
}
METRICS = ("per_officer_month", "confirmed_pct", "median_days", "consent_pct")
_PALETTE = ["#999999", "#E69F00", "#0072B2"]  # Okabe & Ito: grey, orange, blue


def _shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """Headers and group names in the reader's language; empty figures as "—"."""
    shown = table.copy()
    shown["group"] = [_(GROUPS[name]) for name in shown["group"]]
    shown = shown.astype(object).where(shown.notna(), "—")
    return shown.rename(columns={name: _(title) for name, title in COLUMNS.items()})


def impact_chart(table: pd.DataFrame) -> alt.VConcatChart:
    """One bar per group for each figure compared; a withheld figure draws no bar."""
    panels = []
    for metric in METRICS:
        data = pd.DataFrame(
            {
                "name": [_(GROUPS[name]) for name in table["group"]],
                "value": pd.to_numeric(table[metric], errors="coerce"),
                "shown": ["—" if pd.isna(v) else str(v) for v in table[metric]],
            }
        )
        order = data["name"].tolist()
        base = alt.Chart(data).encode(
            y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("value:Q", title=_(COLUMNS[metric]), axis=alt.Axis(tickCount=5)),
        )
        bars = base.mark_bar().encode(
            color=alt.Color("name:N", sort=order, legend=None, scale=alt.Scale(range=_PALETTE))
        )
        text = base.mark_text(align="left", dx=4).encode(text="shown:N")
        panels.append((bars + text).properties(width=360, height=90))
    return alt.vconcat(*panels).properties(title=_(PART_TITLES[IMPACT]))


def grid_table(grid: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """A classification grid as published, with its totals, small counts suppressed."""
    cells = grid.to_numpy().tolist()
    status = suppression.suppress_grid(cells, threshold)
    rows = []
    for r, name in enumerate(grid.index):
        row: dict[str, Any] = {"guide": name}
        for c, column in enumerate(grid.columns):
            row[column] = suppression.shown(cells[r][c], status.cells[r][c], threshold)
        row["total"] = suppression.shown(sum(cells[r]), status.row_totals[r], threshold)
        rows.append(row)
    totals: dict[str, Any] = {"guide": "total"}
    for c, column in enumerate(grid.columns):
        column_sum = int(grid[column].sum())
        totals[column] = suppression.shown(column_sum, status.column_totals[c], threshold)
    grand = int(grid.to_numpy().sum())
    totals["total"] = suppression.shown(grand, status.grand_total, threshold)
    return pd.DataFrame([*rows, totals])


def _category(code: str) -> str:
    if code == "total":
        return _("All cases")
    if code == NOT_CLASSIFIED:
        return _("Not classified yet")
    return label(code)


def _shown_grid(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    shown["guide"] = [_category(code) for code in shown["guide"]]
    return shown.rename(
        columns={
            "guide": _("Screening guide's suggestion"),
            **{code: _category(code) for code in table.columns if code != "guide"},
        }
    )


def grid_chart(table: pd.DataFrame, title: str, column_title: str) -> alt.LayerChart:
    """The grid as a heat map of its cells (totals left out), each cell's count written."""
    body = table[table["guide"] != "total"].drop(columns=["total"])
    long = body.melt(id_vars="guide", var_name="given", value_name="shown")
    long["value"] = pd.to_numeric(long["shown"], errors="coerce")
    long["shown"] = long["shown"].astype(str)
    long["guide"] = [_category(code) for code in long["guide"]]
    long["given"] = [_category(code) for code in long["given"]]
    rows = [_category(code) for code in body["guide"]]
    columns = [_category(code) for code in body.columns if code != "guide"]
    base = alt.Chart(long).encode(
        x=alt.X("given:N", sort=columns, title=column_title, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("guide:N", sort=rows, title=_("Screening guide's suggestion")),
    )
    cells = base.mark_rect(stroke="#ffffff").encode(
        color=alt.Color("value:Q", title=_("Cases"), scale=alt.Scale(scheme="blues"))
    )
    text = base.mark_text().encode(text="shown:N")
    return (cells + text).properties(title=title, width=360, height=200)


def _filters_note(filters: ReportFilters) -> str:
    country = country_name(filters.country) if filters.country else _("Every reporting country")
    first = filters.date_from.isoformat() if filters.date_from else "…"
    last = filters.date_to.isoformat() if filters.date_to else "…"
    return _("{country}, cases identified {first} to {last}.").format(
        country=country, first=first, last=last
    )


def training_impact(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[ReportPart]:
    """The training-impact report as published: the groups, then the guide's suggestion
    against the first and the final classification; small groups and counts suppressed."""
    require_role(actor, DASHBOARD_READERS)
    threshold = get_settings().small_count_threshold
    table = impact_table(impact_groups(session=session, actor=actor, filters=filters), threshold)
    scope = _filters_note(filters)
    parts = [
        ReportPart(
            name=IMPACT,
            title=_(PART_TITLES[IMPACT]),
            table=_shown_table(table),
            chart=impact_chart(table),
            note=" ".join(
                [
                    scope,
                    _(HOW_LINKED),
                    _(NOT_CAUSAL),
                    _(
                        "A group with fewer than {threshold} officers or cases is withheld "
                        "(“<{threshold}”, and “x” for a group that would give it away); a share "
                        "or a median over fewer than {threshold} cases is left empty (—)."
                    ).format(threshold=threshold),
                ]
            ),
        )
    ]
    for name, compared, column_title in (
        (GUIDE_FIRST, "first", _("Officer's first classification")),
        (GUIDE_FINAL, "final", _("Final classification")),
    ):
        grid = classification_grid(session=session, actor=actor, filters=filters, compared=compared)
        published = grid_table(grid, threshold)
        parts.append(
            ReportPart(
                name=name,
                title=_(PART_TITLES[name]),
                table=_shown_grid(published),
                chart=grid_chart(published, _(PART_TITLES[name]), column_title),
                note=" ".join(
                    [
                        scope,
                        _(
                            "Cases whose screening guide was filled in. Rows: what the "
                            "guide's indicators point to."
                        ),
                    ]
                ),
            )
        )
    return parts
