"""Data versions: every write bumps its domain's counter in its own transaction, and the
cached reads are keyed on them, so a write through another process is seen at the next run."""

import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from models import AuditEvent, CourseCreate
from models.enums import Role
from services.cli.courses import courses_app
from services.courses import catalog as courses
from services.platform import audit, data_version, users
from services.ui import runtime
from tests.support import COORDINATOR


def _versions(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return data_version.read(connection)


def _add_course(session: Session, code: str) -> None:
    courses.create_course(
        session=session,
        actor=users.system_actor(),
        course_in=CourseCreate(code=code, title=f"Course {code}"),
        modules=["One"],
    )


def test_a_write_bumps_its_domain_in_its_own_transaction(db, session):
    before = _versions(db)
    _add_course(session, "DV-1")
    session.flush()
    assert _versions(db) == before  # not committed: another connection sees nothing yet
    session.commit()
    after = _versions(db)
    assert after == {**before, "courses": before["courses"] + 1}  # one bump per transaction


def test_a_rolled_back_write_does_not_bump(db, session):
    before = _versions(db)
    _add_course(session, "DV-2")
    session.flush()
    session.rollback()
    session.commit()  # nothing left to write: nothing bumped either
    assert _versions(db) == before


def test_a_savepoint_does_not_bump_before_the_commit(db, session):
    before = _versions(db)
    with session.begin_nested():
        _add_course(session, "DV-3")
    session.execute(sa.text("SELECT 1"))  # the transaction goes on after the savepoint
    assert _versions(db) == before
    if db.dialect.name == "postgresql":  # the version row is not locked yet: no one waits
        with db.connect() as other:
            lock = "SELECT 1 FROM data_version WHERE domain = 'courses' FOR UPDATE NOWAIT"
            other.execute(sa.text(lock))
            other.rollback()
    session.commit()
    assert _versions(db)["courses"] == before["courses"] + 1


def test_a_bulk_update_statement_bumps_and_an_audit_row_alone_does_not(db, session, make_user):
    officer = make_user("officer.dv@enlace.test", Role.officer, "AR")
    before = _versions(db)
    session.add(
        AuditEvent(actor_id=officer.id, action=audit.AuditAction.case_created.value, entity="case")
    )
    session.commit()
    assert _versions(db) == before  # the audit trail feeds no cached read
    session.execute(sa.update(type(officer)).values(display_name="Renamed"))
    session.commit()
    assert _versions(db)["accounts"] == before["accounts"] + 1


def test_an_unclassified_table_counts_as_every_domain():
    assert data_version.domains_of(["a_table_added_later"]) == set(data_version.DOMAINS)
    assert data_version.domains_of(["audit_event", "course"]) == {"courses"}


def test_a_command_line_write_is_seen_by_a_cached_read_at_the_next_run(demo_db, app_as):
    at = app_as(COORDINATOR).run()
    at.switch_page("pages/courses.py").run()
    assert not at.exception, at.exception
    assert "CLI-7" not in at.dataframe[0].value.to_string()  # the courses table

    added = CliRunner().invoke(courses_app, ["add", "CLI-7", "--title", "From the shell"])
    assert added.exit_code == 0, added.output  # another process; this one's caches untouched

    statements: list[str] = []
    sa.event.listen(
        runtime.get_engine(), "before_cursor_execute", lambda *a: statements.append(a[2])
    )
    at.run()
    assert "CLI-7" in at.dataframe[0].value.to_string()
    assert sum("data_version" in s for s in statements) == 1  # one tiny query for the run
