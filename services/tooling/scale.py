"""Synthetic data at any size, for load tests and the benchmark (`enlace seed scale`).

Deterministic: the same seed, sizes, `today` and starting database give the same rows.
Realistic enough to load the dashboards the way a regional network would: the eight
countries with plausible weights, courses with modules and due dates, enrollment statuses
and Moodle progress states, cases at every stage (old cases mostly closed) drawn from the
demo's scenarios, about five timeline events per case, cross-border referrals.

Fast: rows are built as plain dicts, with ids allocated here (after the current maximum),
so nothing is read back. PostgreSQL takes them with COPY (each value bound by its column's
type, as an insert would bind it); other databases with SQLAlchemy Core `insert()` in
executemany batches. Safe on top of other data: course codes start with `SC-`, e-mails are
`scale.<participant id>@enlace.test`, case codes continue each country-year's sequence.
"""

import bisect
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, col

from models import (
    AuditEvent,
    Case,
    CaseEvent,
    Course,
    Enrollment,
    Module,
    ModuleProgress,
    Organisation,
    Participant,
    Referral,
    UserAccount,
)
from models.enums import (
    STAGE_ORDER,
    AgeBand,
    CaseEventKind,
    ConsentScope,
    EnrollmentStatus,
    ExploitationType,
    Gender,
    Language,
    ProgressState,
    ReferralState,
    Role,
    Service,
    Situation,
    Stage,
    TraffickingStatus,
    Urgency,
)
from services.platform.i18n import N_
from services.tooling.seed import (
    ADULT_BAND_WEIGHTS,
    ADULT_BANDS,
    CASE_SCENARIOS,
    CLOSURE_REASONS,
    COUNTRIES,
    DAYS_TO_REACH,
    DECLINE_REASONS,
    FOREIGN_SERVICES,
    IDENTIFIED_AT,
    INITIALS,
    LANGUAGES,
    NEW_PARTICIPANTS_2026,
    NOTES,
    OFFICERS_2018,
    ORGANISATIONS,
    POSITIONS,
    PROFILES,
    RECEPTION,
    RETURN_PARTNERS,
    Profile,
)

Progress = Callable[[str, int, int], None]
"""progress(step label, units done, units in all): participants plus cases."""

DEFAULT_SEED = 2026
SOURCE = "import:scale"
FIRST_DAY = date(2019, 1, 7)
BATCH_ROWS = 5000

# Participants: how many officers each foreign service sends to the courses.
PARTICIPANT_WEIGHTS = {
    "AR": 14,
    "BO": 10,
    "BR": 16,
    "CL": 12,
    "CO": 14,
    "PY": 9,
    "PE": 14,
    "UY": 11,
}
# Cases: the demo's share of each reporting country (its consulates attend their nationals).
CASE_WEIGHTS = {country: count for country, (count, _) in CASE_SCENARIOS.items()}
ENROLLMENTS_PER_PARTICIPANT = ((1, 2, 3), (1, 2, 1))  # (courses, weight): two on average
COURSE_TOPICS = (
    "Human trafficking: detection and first assistance",
    "Victim-centred case management and referral",
    "Labour exploitation in the textile industry",
    "Domestic servitude: indicators and interviews",
    "Cross-border coordination and assisted return",
    "Trafficking of children and adolescents",
    "Consent, confidentiality and data protection",
    "Trafficking for sexual exploitation: protection networks",
)
MODULE_TOPICS = (
    "Concepts: trafficking, smuggling and labour-rights violations",
    "International and regional legal framework",
    "Early detection and indicators",
    "Interviewing with a victim-centred approach",
    "First assistance and safety planning",
    "Referral to services and protection networks",
    "Consent and data protection",
    "Children and adolescents",
    "Labour inspection and forced labour",
    "Cross-border coordination",
    "Assisted return and reintegration",
    "Case studies from the region",
    "Final assessment",
)
# Closed paths and how often a closed case took each one. "early": screening found no
# trafficking and the person was informed of their rights, without a referral.
CLOSED_PATHS: dict[str, tuple[Stage, ...]] = {
    "early": (Stage.identified, Stage.screening, Stage.closed),
    "short": (Stage.identified, Stage.screening, Stage.referred, Stage.closed),
    "assistance": (
        Stage.identified,
        Stage.screening,
        Stage.referred,
        Stage.assistance,
        Stage.closed,
    ),
    "return": STAGE_ORDER,
}
CLOSED_PATH_WEIGHTS = {"early": 35, "short": 25, "assistance": 25, "return": 15}
EARLY_CLOSURES = (
    "Screening found no indicators of trafficking; the person was informed of their rights "
    "and of the labour inspectorate.",
    "The person did not want assistance after the first interview.",
)
# A case older than this many days is almost surely closed.
DAYS_TO_CLOSE = 420


@dataclass(frozen=True)
class _CourseRow:
    id: int
    starts_on: date
    ends_on: date
    module_ids: tuple[int, ...]
    due: tuple[date, ...]
    required: tuple[bool, ...]


@dataclass
class _Context:
    """What one run shares between its steps: ids, lookups, counts."""

    connection: Connection
    today: date
    next_id: dict[str, int]
    counts: dict[str, int]
    officers: dict[str, int]
    coordinator_id: int | None
    org_ids: dict[str, int]
    org_countries: dict[str, str]
    org_names: dict[str, str]
    total_units: int = 0

    def ids(self, table: str, count: int) -> range:
        start = self.next_id[table]
        self.next_id[table] = start + count
        return range(start, start + count)

    def insert(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        table = model.__table__  # type: ignore[attr-defined]
        if not (rows and _copy(self.connection, table, rows)):
            for start in range(0, len(rows), BATCH_ROWS):
                self.connection.execute(sa.insert(table), rows[start : start + BATCH_ROWS])
        self.counts[table.name] += len(rows)


def _copy(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> bool:
    """PostgreSQL: write `rows` with COPY, in the open transaction, each value bound by its
    column's type as `insert()` would bind it. False (nothing written) on another database,
    or when the rows leave out a column with a Python-side default, which COPY would not apply.
    """
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return False
    if any(c.default is not None and c.key not in rows[0] for c in table.columns):
        return False
    columns = [column for column in table.columns if column.key in rows[0]]
    keys = [column.key for column in columns]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    processed = [(index, p) for index, p in enumerate(processors) if p is not None]
    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(column.name) for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = [row[key] for key in keys]
            for index, process in processed:
                values[index] = process(values[index])
            copy.write_row(values)
    return True


def seed_scale(
    *,
    session: Session | None = None,
    engine: Engine | None = None,
    participants: int,
    cases: int,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Add `participants` participants (about 20 module-progress rows each, in courses of
    about 1,000) and `cases` referral cases (about 5 events each); return rows per table.

    Give a session (committed at the end) or an engine. One transaction.
    """
    if participants < 0 or cases < 0:
        raise ValueError("participants and cases must be zero or more")
    if session is None:
        if engine is None:
            raise ValueError("give a session or an engine")
        with Session(engine) as own_session:
            return seed_scale(
                session=own_session,
                participants=participants,
                cases=cases,
                seed=seed,
                today=today,
                progress=progress,
            )
    context = _context(session.connection(), today or date.today())
    total = context.total_units = participants + cases
    report = progress or (lambda _label, _done, _total: None)
    report(N_("Organisations"), 0, total)
    _ensure_organisations(context)
    _courses_and_participants(context, random.Random(f"{seed}-courses"), participants, report)
    _cases(context, random.Random(f"{seed}-cases"), cases, participants, report)
    _advance_sequences(context)
    created = {table: count for table, count in context.counts.items()}
    session.connection().execute(
        sa.insert(AuditEvent.__table__),  # type: ignore[attr-defined]
        [
            {
                "created_at": datetime.now(UTC),
                "actor_email": "seed_scale",
                "action": "seed_scale",
                "entity": "database",
                "entity_id": "",
                "changes": {table: [None, count] for table, count in created.items() if count},
            }
        ],
    )
    session.commit()
    report(N_("Done"), total, total)
    return created


# --- setup ----------------------------------------------------------------------------------

_TABLES: tuple[type[SQLModel], ...] = (
    Course,
    Module,
    Participant,
    Enrollment,
    ModuleProgress,
    Organisation,
    Case,
    Referral,
    CaseEvent,
)


def _name(model: type[SQLModel]) -> str:
    return str(model.__tablename__)


def _context(connection: Connection, today: date) -> _Context:
    next_id = {}
    for model in _TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        highest = connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
        next_id[table.name] = int(highest or 0) + 1
    accounts = sa.select(
        col(UserAccount.id), col(UserAccount.role), col(UserAccount.country)
    ).where(
        col(UserAccount.is_active).is_(True),
        col(UserAccount.role).in_([Role.officer.value, Role.coordinator.value]),
    )
    officers: dict[str, int] = {}
    coordinator_id = None
    for account_id, role, country in connection.execute(accounts.order_by(col(UserAccount.id))):
        if account_id is None:
            continue
        if role == Role.officer and country:
            officers.setdefault(country, account_id)
        elif role == Role.coordinator and coordinator_id is None:
            coordinator_id = account_id
    return _Context(
        connection=connection,
        today=today,
        next_id=next_id,
        counts={_name(model): 0 for model in _TABLES},
        officers=officers,
        coordinator_id=coordinator_id,
        org_ids={},
        org_countries={},
        org_names={},
    )


def _ensure_organisations(context: _Context) -> None:
    """The demo's partner organisations: the cases are referred to them."""
    found: dict[tuple[str, str], int] = {
        (name, country): org_id
        for org_id, name, country in context.connection.execute(
            sa.select(col(Organisation.id), col(Organisation.name), col(Organisation.country))
        )
        if org_id is not None
    }
    missing = [
        key for key, (name, _, country, *_) in ORGANISATIONS.items() if (name, country) not in found
    ]
    rows = []
    for key, org_id in zip(missing, context.ids("organisation", len(missing)), strict=True):
        name, org_type, country, city, services = ORGANISATIONS[key]
        found[(name, country)] = org_id
        rows.append(
            {
                "id": org_id,
                "name": name,
                "org_type": org_type.value,
                "country": country,
                "city": city,
                "services": [service.value for service in services],
                "contact": f"{key.replace('_', '.')}@partners.enlace.test",
                "is_active": True,
            }
        )
    context.insert(Organisation, rows)
    for key, (name, _, country, *_) in ORGANISATIONS.items():
        context.org_ids[key] = found[(name, country)]
        context.org_countries[key] = country
        context.org_names[key] = name


def _advance_sequences(context: _Context) -> None:
    """PostgreSQL: ids were given explicitly, so move each id sequence past them."""
    if context.connection.dialect.name != "postgresql":
        return
    for model in _TABLES:
        table = _name(model)
        context.connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


# --- courses, participants, enrollments, progress -------------------------------------------

_DATETIMES: dict[date, datetime] = {}


def _at(day: date, minutes: int = 0) -> datetime:
    """Nine in the morning (UTC) of `day`, plus `minutes`."""
    base = _DATETIMES.get(day)
    if base is None:
        base = _DATETIMES[day] = datetime.combine(day, time(9), tzinfo=UTC)
    return base + timedelta(minutes=minutes) if minutes else base


def _weighted(rng: random.Random, weights: dict[str, int], count: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=count)


def _courses_and_participants(
    context: _Context, rng: random.Random, participants: int, report: Progress
) -> None:
    if participants == 0:
        return
    courses = _courses(context, rng, max(2, math.ceil(participants / 1000)))
    people = _names()
    countries = _weighted(rng, PARTICIPANT_WEIGHTS, participants)
    chunk = 2000
    for start in range(0, participants, chunk):
        batch = countries[start : start + chunk]
        ids = context.ids("participant", len(batch))
        rows = [
            _participant(rng, pid, country, people[country])
            for pid, country in zip(ids, batch, strict=True)
        ]
        context.insert(Participant, rows)
        enrollments: list[dict[str, Any]] = []
        progress_rows: list[dict[str, Any]] = []
        for pid in ids:
            taken = rng.choices(*ENROLLMENTS_PER_PARTICIPANT)[0]
            for course in rng.sample(courses, min(taken, len(courses))):
                _enroll(context, rng, pid, course, enrollments, progress_rows)
        context.insert(Enrollment, enrollments)
        context.insert(ModuleProgress, progress_rows)
        report(
            N_("Participants, enrollments and progress"), start + len(batch), context.total_units
        )


def _courses(context: _Context, rng: random.Random, count: int) -> list[_CourseRow]:
    """Courses spread from 2019 to a few months ahead of today, 8 to 12 modules each."""
    span = (context.today + timedelta(days=120) - FIRST_DAY).days
    course_rows, module_rows, courses = [], [], []
    for index, course_id in enumerate(context.ids("course", count)):
        starts_on = FIRST_DAY + timedelta(
            days=span * index // max(1, count - 1) - 60 * (index == count - 1)
        )
        ends_on = starts_on + timedelta(days=rng.choice((84, 98, 112)))
        topic = COURSE_TOPICS[index % len(COURSE_TOPICS)]
        course_rows.append(
            {
                "id": course_id,
                "code": f"SC-{starts_on.year}-{course_id:04d}",
                "title": f"{topic} ({starts_on.year})",
                "description": "Synthetic course for load tests (enlace seed scale).",
                "organiser": "IOM & IPPDH",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "languages": [Language.es.value, Language.pt.value],
                "archived_at": None,
                "created_at": _at(starts_on - timedelta(days=30)),
            }
        )
        size = rng.randint(8, 12)
        topics = [*rng.sample(MODULE_TOPICS[:-1], size - 1), MODULE_TOPICS[-1]]
        module_ids = context.ids("module", size)
        step = (ends_on - starts_on).days // size
        due = tuple(starts_on + timedelta(days=step * (p + 1)) for p in range(size))
        required = tuple(p < size - 1 or rng.random() < 0.5 for p in range(size))
        for position, (module_id, title) in enumerate(zip(module_ids, topics, strict=True)):
            module_rows.append(
                {
                    "id": module_id,
                    "course_id": course_id,
                    "position": position + 1,
                    "title": f"{position + 1}. {title}",
                    "is_required": required[position],
                    "due_on": due[position],
                }
            )
        courses.append(_CourseRow(course_id, starts_on, ends_on, tuple(module_ids), due, required))
    context.insert(Course, course_rows)
    context.insert(Module, module_rows)
    return courses


def _names() -> dict[str, tuple[list[tuple[str, Gender]], list[str]]]:
    """Per country: (given name, gender) and surnames of the demo's officers."""
    people: dict[str, tuple[list[tuple[str, Gender]], list[str]]] = {}
    for table in (OFFICERS_2018, NEW_PARTICIPANTS_2026):
        for country, rows in table.items():
            given, surnames = people.setdefault(country, ([], []))
            for first, last, gender in rows:
                given.append((first, gender))
                surnames.append(last)
    return people


def _participant(
    rng: random.Random,
    participant_id: int,
    country: str,
    names: tuple[list[tuple[str, Gender]], list[str]],
) -> dict[str, Any]:
    ministry, language, _, posts = FOREIGN_SERVICES[country]
    given, gender = rng.choice(names[0])
    return {
        "id": participant_id,
        "full_name": f"{given} {rng.choice(names[1])}",
        "email": f"scale.{participant_id}@enlace.test",
        "country": country,
        "consular_post": rng.choice(posts),
        "institution": ministry,
        "position": rng.choice(POSITIONS),
        "gender": gender.value,
        "language": language.value,
        "external_id": f"scale{participant_id}",
    }


def _enroll(
    context: _Context,
    rng: random.Random,
    participant_id: int,
    course: _CourseRow,
    enrollments: list[dict[str, Any]],
    progress_rows: list[dict[str, Any]],
) -> None:
    today = context.today
    enrolled_on = course.starts_on - timedelta(days=rng.randint(0, 21))
    if today < course.starts_on:
        status = EnrollmentStatus.invited
    elif today > course.ends_on:
        status = rng.choices(tuple(EnrollmentStatus), weights=(3, 12, 72, 13))[0]
    else:
        status = rng.choices(tuple(EnrollmentStatus), weights=(12, 80, 0, 8))[0]
    if today <= enrolled_on:
        enrolled_on = today - timedelta(days=1)
    (enrollment_id,) = context.ids("enrollment", 1)
    states = _module_states(rng, status, course, today)
    scores = []
    last = enrolled_on
    for module_id, (state, day) in zip(course.module_ids, states, strict=True):
        score = None
        if state in (ProgressState.completed_pass, ProgressState.completed_fail):
            score = float(
                rng.randint(62, 99)
                if state == ProgressState.completed_pass
                else rng.randint(20, 55)
            )
            scores.append(score)
        if day is not None and day > last:
            last = day
        progress_rows.append(
            {
                "enrollment_id": enrollment_id,
                "module_id": module_id,
                "state": state.value,
                "score": score,
                "completed_on": day,
                "source": SOURCE,
                "updated_at": _at(day or enrolled_on),
            }
        )
    completed = status == EnrollmentStatus.completed
    enrollments.append(
        {
            "id": enrollment_id,
            "participant_id": participant_id,
            "course_id": course.id,
            "status": status.value,
            "enrolled_on": enrolled_on,
            "completed_on": last if completed else None,
            "final_grade": round(sum(scores) / len(scores), 1) if completed and scores else None,
            "updated_at": _at(last),
        }
    )


def _module_states(
    rng: random.Random, status: EnrollmentStatus, course: _CourseRow, today: date
) -> list[tuple[ProgressState, date | None]]:
    """(state, completed on) per module, consistent with the enrollment's status."""
    count = len(course.module_ids)
    if status == EnrollmentStatus.invited:
        return [(ProgressState.not_started, None)] * count
    if status == EnrollmentStatus.completed:
        done = count
    elif status == EnrollmentStatus.withdrawn:
        done = rng.randint(0, 2)
    else:  # active: on schedule, or one to three modules behind it
        due_so_far = bisect.bisect_left(course.due, today)
        done = max(0, min(count - 1, due_so_far - rng.choice((0, 0, 0, 1, 2, 3))))
    yesterday = today - timedelta(days=1)
    states: list[tuple[ProgressState, date | None]] = []
    for position in range(count):
        due = course.due[position]
        if position < done:
            if not course.required[position] and rng.random() < 0.15:
                states.append((ProgressState.not_started, None))
                continue
            day = min(due - timedelta(days=rng.randint(-4, 9)), yesterday)
            graded = position >= 2
            states.append(
                (ProgressState.completed_pass if graded else ProgressState.completed, day)
            )
        elif position == done and status == EnrollmentStatus.active:
            if position >= 2 and rng.random() < 0.25:
                states.append((ProgressState.completed_fail, min(due, yesterday)))
            elif rng.random() < 0.6:
                states.append((ProgressState.in_progress, None))
            else:
                states.append((ProgressState.not_started, None))
        else:
            states.append((ProgressState.not_started, None))
    return states


# --- cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scenario:
    post: str
    where: str | None
    profile: Profile
    targets: tuple[tuple[str, Service], ...]


def _scenarios() -> dict[str, list[_Scenario]]:
    return {
        country: [
            _Scenario(
                post,
                where,
                PROFILES[profile],
                tuple(
                    (key, Service(service))
                    for key, service in (t.split(":") for t in targets.split())
                ),
            )
            for post, where, profile, targets in scenarios
        ]
        for country, (_, scenarios) in CASE_SCENARIOS.items()
    }


def _case_days(rng: random.Random, today: date, count: int) -> list[int]:
    """Days since FIRST_DAY each case was identified: more cases every year (linear growth)."""
    span = (today - FIRST_DAY).days - 1
    return sorted(int(span * math.sqrt(rng.random())) for _ in range(count))


def _cases(
    context: _Context, rng: random.Random, count: int, offset: int, report: Progress
) -> None:
    if count == 0:
        return
    scenarios = _scenarios()
    countries = _weighted(rng, CASE_WEIGHTS, count)
    days = _case_days(rng, context.today, count)
    sequences = _case_sequences(context.connection)
    chunk = 2000
    for start in range(0, count, chunk):
        case_rows: list[dict[str, Any]] = []
        referral_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        batch = range(start, min(count, start + chunk))
        for case_id, index in zip(context.ids("referral_case", len(batch)), batch, strict=True):
            country = countries[index]
            identified_on = FIRST_DAY + timedelta(days=days[index])
            key = (country, identified_on.year)
            sequences[key] = sequences.get(key, 0) + 1
            code = f"{country}-{identified_on.year}-{sequences[key]:04d}"
            scenario = rng.choice(scenarios[country])
            _case(
                context,
                rng,
                case_id,
                code,
                country,
                identified_on,
                scenario,
                case_rows,
                referral_rows,
                event_rows,
            )
        context.insert(Case, case_rows)
        context.insert(Referral, referral_rows)
        context.insert(CaseEvent, event_rows)
        report(
            N_("Referral cases, referrals and timelines"), offset + batch.stop, context.total_units
        )


def _case_sequences(connection: Connection) -> dict[tuple[str, int], int]:
    """The highest sequence number of each country-year already used."""
    code = Case.__table__.c.case_code  # type: ignore[attr-defined]
    prefix = sa.func.substr(code, 1, 7)
    sequence = sa.func.max(sa.cast(sa.func.substr(code, 9), sa.Integer))
    found: dict[tuple[str, int], int] = {}
    for head, highest in connection.execute(sa.select(prefix, sequence).group_by(prefix)):
        country, _, year = str(head).partition("-")
        if year.isdigit():
            found[(country, int(year))] = int(highest or 0)
    return found


def _stage_path(rng: random.Random, profile: Profile, age: int) -> tuple[Stage, ...]:
    closed_chance = min(0.97, age / DAYS_TO_CLOSE) if age > 14 else 0.0
    if rng.random() < closed_chance:
        paths = dict(CLOSED_PATH_WEIGHTS)
        if profile.stage_weights[4] == 0 or profile.situation != Situation.trafficking:
            paths["return"] = 0  # labour-rights or smuggling cases rarely end in an assisted return
        path = rng.choices(list(paths), weights=list(paths.values()))[0]
        return CLOSED_PATHS[path]
    weights = list(profile.stage_weights[:5])
    if age < 30:  # a recent case has not gone far yet
        weights = [weights[0] + 3, weights[1] + 2, weights[2], 0, 0]
    if not any(weights):
        weights = [1, 1, 0, 0, 0]
    stage = rng.choices(STAGE_ORDER[:5], weights=weights)[0]
    return STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]


def _step_days(
    rng: random.Random, path: Sequence[Stage], identified_on: date, today: date
) -> list[date]:
    yesterday = today - timedelta(days=1)
    days = [identified_on]
    for stage in path[1:]:
        days.append(min(yesterday, days[-1] + timedelta(days=rng.randint(*DAYS_TO_REACH[stage]))))
    return days


def _case(
    context: _Context,
    rng: random.Random,
    case_id: int,
    code: str,
    country: str,
    identified_on: date,
    scenario: _Scenario,
    case_rows: list[dict[str, Any]],
    referral_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
) -> None:
    profile = scenario.profile
    today = context.today
    path = _stage_path(rng, profile, (today - identified_on).days)
    stage = path[-1]
    steps = list(zip(path, _step_days(rng, path, identified_on, today), strict=True))
    reached = dict(steps)
    minor = profile.minors and rng.random() < 0.1
    types = [t.value for t in profile.exploitation_types]
    if minor and ExploitationType.ForcedLabour.value in types:
        types.append(ExploitationType.ChildLabour.value)
    returns = Stage.return_reintegration in reached
    consent = stage not in (Stage.identified, Stage.screening) or rng.random() < 0.6
    scope = []
    if consent:
        scope = [ConsentScope.service_providers.value]
        if returns or rng.random() < 0.4:
            scope.append(ConsentScope.origin_authorities.value)
    needs = {*profile.needs, *((Service.return_, Service.reintegration) if returns else ())}
    officer = context.officers.get(country)
    coordinator = context.coordinator_id
    urgency = _urgency(rng, profile, minor)
    assigned = stage != Stage.identified and (urgency == Urgency.high or rng.random() < 0.4)
    events: list[tuple[date, CaseEventKind, int | None, str, dict[str, Any]]] = [
        (identified_on, CaseEventKind.created, officer, "", {"case_code": code})
    ]
    for (before, _), (moved_to, day) in itertools.pairwise(steps):
        author = officer if moved_to in (Stage.screening, Stage.referred) else coordinator
        change = {"from": before.value, "to": moved_to.value}
        events.append((day, CaseEventKind.stage_change, author, "", change))
    if rng.random() < 0.2:
        noted_stage, day = rng.choice(steps)
        note = rng.choice(NOTES.get(noted_stage, NOTES[Stage.identified]))
        events.append((day, CaseEventKind.note, officer, note, {}))
    if Stage.referred in reached:
        _referrals(context, rng, case_id, country, scenario, steps, referral_rows, events)
    outcome: dict[str, Any] = {
        "closure_reason": None,
        "return_counterpart": None,
        "return_travel_date": None,
        "return_reception": None,
    }
    if stage == Stage.closed:
        outcome["closure_reason"] = _closure_reason(rng, path, profile)
    if returns:
        start = reached[Stage.return_reintegration]
        end = reached.get(Stage.closed, start + timedelta(days=30))
        travel = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
        counterpart = RETURN_PARTNERS[country][2]
        outcome |= {
            "return_counterpart": counterpart,
            "return_travel_date": travel,
            "return_reception": RECEPTION,
        }
        details = {"counterpart": counterpart, "travel_date": travel.isoformat()}
        events.append((start, CaseEventKind.return_coordinated, coordinator, "", details))
    events.sort(key=lambda event: event[0])
    created_at = [_at(day, 20 * position) for position, (day, *_) in enumerate(events)]
    for (_, kind, author, note, details), at in zip(events, created_at, strict=True):
        event_rows.append(
            {
                "case_id": case_id,
                "kind": kind.value,
                "author_id": author,
                "note": note,
                "details": details,
                "created_at": at,
            }
        )
    moves = [
        at
        for (_, kind, *_), at in zip(events, created_at, strict=True)
        if kind == CaseEventKind.stage_change
    ]
    case_rows.append(
        {
            "id": case_id,
            "case_code": code,
            "reporting_country": country,
            "consular_post": scenario.post,
            "identified_on": identified_on,
            "identified_place": rng.choice((profile.place, *IDENTIFIED_AT)),
            "person_alias": f"{rng.choice(INITIALS)}.{rng.choice(INITIALS)}.",
            "gender": _gender(rng, profile).value,
            "age_band": (
                AgeBand.b9_17 if minor else rng.choices(ADULT_BANDS, ADULT_BAND_WEIGHTS)[0]
            ).value,
            "is_minor": minor,
            "citizenship": country,
            "primary_language": rng.choice(LANGUAGES.get(country, ("Spanish",))),
            "situation": profile.situation.value,
            "trafficking_status": _trafficking_status(profile.situation, stage),
            "exploitation_types": types,
            "forced_labour_industries": [i.value for i in profile.industries],
            "means_of_control": _some(rng, [m.value for m in profile.means]),
            "indicators": _some(rng, [i.value for i in profile.indicators]),
            "exploitation_country": scenario.where
            if profile.situation != Situation.migrant_smuggling
            else None,
            "consent_given": consent,
            "consent_date": identified_on if consent else None,
            "consent_scope": scope,
            "consent_override_reason": None,
            "urgency": urgency.value,
            "needs": [service.value for service in Service if service in needs],
            "reported_by_id": officer,
            "assigned_to_id": coordinator if assigned else None,
            "stage": stage.value,
            "stage_changed_at": moves[-1] if moves else created_at[0],
            "version": len(steps),
            "created_at": created_at[0],
            "updated_at": created_at[-1],
            **outcome,
        }
    )


def _referrals(
    context: _Context,
    rng: random.Random,
    case_id: int,
    country: str,
    scenario: _Scenario,
    steps: list[tuple[Stage, date]],
    referral_rows: list[dict[str, Any]],
    events: list[tuple[date, CaseEventKind, int | None, str, dict[str, Any]]],
) -> None:
    reached = dict(steps)
    stage = steps[-1][0]
    chosen = scenario.targets[:1] if rng.random() < 0.8 else scenario.targets
    targets = [(key, service, reached[Stage.referred]) for key, service in chosen]
    if Stage.return_reintegration in reached:
        key, service, _ = RETURN_PARTNERS[country]
        targets.append((key, service, reached[Stage.return_reintegration]))
    officer = context.officers.get(country)
    for key, service, sent_on in targets:
        org_country = context.org_countries[key]
        cross_border = org_country if org_country != country else None
        if stage == Stage.referred:
            state = rng.choices(
                (ReferralState.pending, ReferralState.accepted, ReferralState.declined), (5, 4, 1)
            )[0]
        elif stage == Stage.closed:
            state = rng.choices((ReferralState.completed, ReferralState.withdrawn), (4, 1))[0]
        else:
            state = rng.choices((ReferralState.accepted, ReferralState.completed), (3, 1))[0]
        answered_on = None
        if state not in (ReferralState.pending, ReferralState.withdrawn):
            answered_on = min(
                sent_on + timedelta(days=rng.randint(1, 5)), context.today - timedelta(days=1)
            )
        details = {
            "organisation": context.org_names[key],
            "service": service.value,
            "cross_border_country": cross_border,
        }
        referral_rows.append(
            {
                "case_id": case_id,
                "organisation_id": context.org_ids[key],
                "service": service.value,
                "sent_on": sent_on,
                "state": state.value,
                "decline_reason": rng.choice(DECLINE_REASONS)
                if state == ReferralState.declined
                else None,
                "answered_on": answered_on,
                "cross_border_country": cross_border,
                "created_by_id": officer,
                "created_at": _at(sent_on),
            }
        )
        events.append((sent_on, CaseEventKind.referral_sent, officer, "", details))
        if answered_on is not None:
            answer = {**details, "state": state.value}
            events.append(
                (answered_on, CaseEventKind.referral_answered, context.coordinator_id, "", answer)
            )


def _some(rng: random.Random, codes: list[str]) -> list[str]:
    """Some of `codes` (at least one when there are any), in their order."""
    chosen = [code for code in codes if rng.random() < 0.6]
    return chosen or codes[:1]


def _closure_reason(rng: random.Random, path: tuple[Stage, ...], profile: Profile) -> str:
    if Stage.referred not in path:
        return rng.choice(EARLY_CLOSURES)
    if Stage.return_reintegration in path:
        return rng.choice(CLOSURE_REASONS["return"])
    if profile.situation == Situation.labour_rights_violation:
        return rng.choice(CLOSURE_REASONS["labour"])
    return rng.choice(CLOSURE_REASONS["assistance" if Stage.assistance in path else "short"])


def _gender(rng: random.Random, profile: Profile) -> Gender:
    if profile.exploitation_types == (ExploitationType.SexualExploitation,) and rng.random() < 0.08:
        return Gender.TransgenderFeminine
    return Gender.Feminine if rng.random() < profile.female_share else Gender.Masculine


def _urgency(rng: random.Random, profile: Profile, minor: bool) -> Urgency:
    if minor:
        return Urgency.high
    if profile.exploitation_types[:1] == (ExploitationType.SexualExploitation,):
        return rng.choices((Urgency.high, Urgency.medium), (3, 2))[0]
    if profile.situation == Situation.trafficking:
        return rng.choices((Urgency.high, Urgency.medium, Urgency.low), (2, 5, 1))[0]
    return rng.choices((Urgency.medium, Urgency.low), (2, 3))[0]


def _trafficking_status(situation: Situation, stage: Stage) -> str | None:
    early = stage in (Stage.identified, Stage.screening)
    if situation == Situation.trafficking:
        status = (
            TraffickingStatus.PossibleVictimOfTrafficking
            if early
            else TraffickingStatus.ActualVictimOfTrafficking
        )
        return status.value
    if situation == Situation.undetermined or stage == Stage.identified:
        return None
    return TraffickingStatus.NotAVictimOfTrafficking.value


def scale_sizes(factor: float) -> dict[str, int]:
    """The benchmark's sizes: 16x is 20,000 participants and 100,000 cases."""
    return {"participants": round(1250 * factor), "cases": round(6250 * factor)}


__all__ = ["COUNTRIES", "DEFAULT_SEED", "scale_sizes", "seed_scale"]
