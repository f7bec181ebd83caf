"""Synthetic data at any size, for load tests and the benchmark (`enlace seed scale`).

Deterministic: the same seed, sizes, `today` and starting database give the same rows.
Realistic enough to load the dashboards the way a regional network would: the eight
countries with plausible weights, courses with modules and due dates, enrollment statuses
and Moodle progress states, cases at every stage (old cases mostly closed) drawn from the
demo's scenarios, about five timeline events per case, cross-border referrals.

Here the command's steps; the rows are made in scale_courses.py and scale_cases.py. Fast:
rows are built as plain dicts, with ids allocated after the current maximum, so nothing is
read back (bulk_insert.py: COPY on PostgreSQL, executemany batches elsewhere). Safe on top of
other data: course codes start with `SC-`, e-mails are
`scale.<participant id>@enlace.test`, case codes continue each country-year's sequence.
"""

import random
from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from models import (
    AuditEvent,
    Organisation,
    UserAccount,
)
from models.enums import Role
from services.platform.i18n import _
from services.tooling.bulk_insert import BulkInsert
from services.tooling.demo_data import ORGANISATIONS
from services.tooling.scale_cases import CaseContext, add_cases
from services.tooling.scale_courses import add_courses_and_participants
from services.tooling.seed import CREATED_TABLES

Progress = Callable[[str, int, int], None]
"""progress(step label in the run's language, units done, units in all): participants plus
cases."""

DEFAULT_SEED = 2026
# The tables written: the demo's but the accounts, in the same order (the rows created are
# counted per table in this order).
TABLES = tuple(model for model in CREATED_TABLES if model is not UserAccount)


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
    writer = BulkInsert(session.connection(), TABLES)
    context = _case_context(session.connection(), today or date.today())
    total = participants + cases
    report = progress or (lambda _label, _done, _total: None)
    report(_("Organisations"), 0, total)
    with writer.deferred():
        _ensure_organisations(writer, context)
        add_courses_and_participants(
            writer, random.Random(f"{seed}-courses"), context.today, participants, report, total
        )
        add_cases(
            writer, context, random.Random(f"{seed}-cases"), cases, participants, report, total
        )
        report(_("Indexes and foreign keys"), total, total)
    writer.advance_sequences()
    created = dict(writer.counts)
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
    report(_("Done"), total, total)
    return created


def _case_context(connection: Connection, today: date) -> CaseContext:
    """Today and who reports the cases: the first active officer of each country and the
    first active coordinator. The organisations are added by `_ensure_organisations`."""
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
    return CaseContext(
        today=today,
        officers=officers,
        coordinator_id=coordinator_id,
        org_ids={},
        org_countries={},
        org_names={},
    )


def _ensure_organisations(writer: BulkInsert, context: CaseContext) -> None:
    """The demo's partner organisations: the cases are referred to them."""
    found: dict[tuple[str, str], int] = {
        (name, country): org_id
        for org_id, name, country in writer.connection.execute(
            sa.select(col(Organisation.id), col(Organisation.name), col(Organisation.country))
        )
        if org_id is not None
    }
    missing = [
        key for key, (name, _, country, *_) in ORGANISATIONS.items() if (name, country) not in found
    ]
    rows = []
    for key, org_id in zip(missing, writer.ids("organisation", len(missing)), strict=True):
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
    writer.insert(Organisation, rows)
    for key, (name, _kind, country, *_rest) in ORGANISATIONS.items():
        context.org_ids[key] = found[(name, country)]
        context.org_countries[key] = country
        context.org_names[key] = name


def scale_sizes(factor: float) -> dict[str, int]:
    """The benchmark's sizes: 16x is 20,000 participants and 100,000 cases."""
    return {"participants": round(1250 * factor), "cases": round(6250 * factor)}


__all__ = ["DEFAULT_SEED", "scale_sizes", "seed_scale"]
