"""How long the admin's audit-log CSV takes to build, and how much memory at its peak, on a
throwaway database holding N audit rows (`uv run python -m services.tooling.audit_export_figures
--rows 50000`; `--database-url` for an empty PostgreSQL database instead of a SQLite file).

Two builds of the whole log: one timed, one under tracemalloc (which slows Python down, so
it is not timed). Prints the figures; writes nothing outside its scratch folder.
"""

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from sqlmodel import Session

from models import AuditEvent, Case, UserAccount
from models.enums import Role
from services.platform import audit_log, formatting, migrate
from services.platform.db import build_engine
from services.platform.i18n import _

ACTIONS = ("case_stage_moved", "case_updated", "case_note_added", "case_viewed")


def _fill(url: str, rows: int) -> None:
    """An admin, ten officers, a hundred cases and `rows` audit rows about them."""
    engine = build_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        people = [
            {"email": f"p{n}@enlace.test", "display_name": f"Person {n}", "role": Role.officer}
            for n in range(10)
        ]
        people[0]["role"] = Role.admin
        connection.execute(sa.insert(UserAccount), [{**p, "country": "AR"} for p in people])
        cases = [
            {
                "case_code": f"AR-2026-{n:04d}",
                "reporting_country": "AR",
                "identified_on": start.date(),
                "person_alias": f"P-{n}",
            }
            for n in range(1, 101)
        ]
        connection.execute(sa.insert(Case), cases)
        batch = []
        for n in range(rows):
            batch.append(
                {
                    "created_at": start + timedelta(minutes=n),
                    "actor_id": rng.randint(2, 10),
                    "actor_email": "",
                    "action": rng.choice(ACTIONS),
                    "entity": "referral_case",
                    "entity_id": str(rng.randint(1, 100)),
                    "changes": {"stage": ["screening", "referred"], "assigned_to_id": [None, 3]},
                }
            )
            if len(batch) == 5000:
                connection.execute(sa.insert(AuditEvent), batch)
                batch = []
        if batch:
            connection.execute(sa.insert(AuditEvent), batch)
    engine.dispose()


def _export(url: str, max_rows: int) -> Callable[[], bytes]:
    engine = build_engine(url)

    def build() -> bytes:
        with Session(engine) as session:
            admin = session.get(UserAccount, 1)
            assert admin is not None
            data = audit_log.export_log(
                session=session, actor=admin, filters=audit_log.LogFilter(), max_rows=max_rows
            )
            session.rollback()  # the export's own audit row: not kept between the two builds
            return data

    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--max-rows", type=int, default=audit_log.EXPORT_MAX_ROWS)
    parser.add_argument("--database-url", default=None, help="an EMPTY database to fill")
    options = parser.parse_args()
    console = Console(width=200)
    with tempfile.TemporaryDirectory(prefix="enlace-audit-export-") as scratch:
        url = options.database_url or f"sqlite:///{Path(scratch) / 'audit.db'}"
        _fill(url, options.rows)
        build = _export(url, options.max_rows)
        began = time.perf_counter()
        data = build()
        seconds = time.perf_counter() - began
        tracemalloc.start()
        build()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    lines = data.count(b"\n")
    console.print(
        _(
            "{rows} audit rows, at most {most} exported: CSV of {lines} lines, {size} MB, "
            "built in {seconds} s; peak Python memory {peak} MB"
        ).format(
            rows=formatting.number(options.rows),
            most=formatting.number(options.max_rows),
            lines=formatting.number(lines),
            size=formatting.decimal(len(data) / 1e6, 1),
            seconds=formatting.decimal(seconds, 2),
            peak=formatting.decimal(peak / 1e6, 1),
        )
    )


if __name__ == "__main__":
    main()
