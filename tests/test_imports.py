"""Bulk imports: Moodle's user upload, grade export and completion report, and the app's
own columns; preview → apply in one transaction, idempotent, garbage refused cleanly."""

import io
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from models import (
    AuditEvent,
    CourseCreate,
    Enrollment,
    Module,
    ModuleProgress,
    Participant,
)
from models.enums import EnrollmentStatus, ProgressState
from services.cli.courses import courses_app, import_app
from services.courses import catalog as courses
from services.courses import import_table, import_values, imports, moodle, participant_files
from services.courses.import_records import ImportFormat
from services.platform.errors import ImportRejected, PermissionDenied, StaleVersion

FIXTURES = Path(__file__).parent / "fixtures" / "moodle"
MODULES = [
    "Concepts and definitions",
    "Early detection and indicators",
    "Interviewing and first assistance",
    "Final assessment",
]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def course(session, users):
    """HT-2018 with four modules (committed: the command line reads it too)."""
    course = courses.create_course(
        session=session,
        actor=users["coordinator"],
        course_in=CourseCreate(code="HT-2018", title="Human trafficking: detection"),
        modules=MODULES,
    )
    session.commit()
    return course


def import_arguments(session, users, course, name: str, **options) -> dict:
    """The coordinator importing the fixture file `name` into `course`."""
    return {
        "session": session,
        "actor": users["coordinator"],
        "course_id": course.id,
        "data": fixture(name),
        "filename": name,
        **options,
    }


def preview(session, users, course, name: str, **options):
    return imports.preview_import(**import_arguments(session, users, course, name, **options))


def apply(session, users, course, name: str, **options):
    return imports.apply_import(**import_arguments(session, users, course, name, **options))


def count(session, model) -> int:
    """Rows now, as committed by anyone (a new transaction: SQLite reads a snapshot)."""
    session.commit()
    return session.exec(select(func.count()).select_from(model)).one()


# ------------------------------------------------------------------------ reading files


def test_format_is_detected_from_the_header_of_each_fixture():
    expected = {
        "user_upload_bom.csv": (ImportFormat.moodle_users, "UTF-8 (BOM)", ","),
        "user_upload_latin1_semicolon.csv": (ImportFormat.moodle_users, "Windows-1252", ";"),
        "user_upload_broken.csv": (ImportFormat.moodle_users, "UTF-8", ","),
        "grade_export.csv": (ImportFormat.moodle_grades, "UTF-8", ","),
        "completion_semicolon.csv": (ImportFormat.moodle_completion, "UTF-8", ";"),
    }
    for name, (import_format, encoding, delimiter) in expected.items():
        table = import_table.read_table(fixture(name), name)
        assert moodle.detect_format(table.columns) == import_format, name
        assert (table.encoding, table.delimiter) == (encoding, delimiter), name


def test_bom_and_stray_spaces_do_not_reach_the_header_or_values():
    table = import_table.read_table(fixture("user_upload_bom.csv"))
    assert table.columns[:4] == ["username", "firstname", "lastname", "email"]
    row, cells = table.rows[0]
    assert row == 2
    assert cells[3] == "martin.fernandez@cancilleria.ar.test"
    # A quoted value with a comma inside stays one cell.
    assert table.rows[3][1][4] == "Ministerio de Relaciones Exteriores, Chile"


def test_latin1_accents_are_read_as_written():
    parsed = participant_files.parse_moodle_users(
        import_table.read_table(fixture("user_upload_latin1_semicolon.csv"))
    )
    people = {record.participant.email: record.participant for record in parsed.participants}
    assert people["jose.benitez@mre.py.test"].consular_post == "Asunción"
    assert people["carmen.penaloza@rree.pe.test"].full_name == "Carmen Peñaloza"
    assert people["jose.benitez@mre.py.test"].language == "es"
    assert parsed.rejected == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02garbage", "not a text"),
        (b"PK\x03\x04not really a workbook", "XLSX"),
        (b"name;age\nAna;3\n", "header row is not one"),
        (b"# Title: only comments\n", "no header"),
    ],
)
def test_unreadable_files_are_rejected_with_a_plain_reason(data, message):
    with pytest.raises(ImportRejected, match=message):
        moodle.parse_file(data)


def test_values_as_moodle_and_spreadsheets_write_them():
    assert import_values.parse_date("03/07/18, 14:05") == date(2018, 7, 3)
    assert import_values.parse_date("2018-07-03") == date(2018, 7, 3)
    assert import_values.parse_date("3 July 2018") == date(2018, 7, 3)
    assert import_values.parse_date("1530627900") == date(2018, 7, 3)
    assert import_values.parse_date("-") is None
    assert import_values.parse_number("85,5") == 85.5
    assert import_values.parse_number("85.00 %") == 85.0
    assert import_values.parse_country("Perú") == "PE"
    assert import_values.parse_country("Brasil") == "BR"
    assert import_values.parse_country("arg") == "AR"
    with pytest.raises(ValueError):
        import_values.parse_country("Atlantis")
    with pytest.raises(ValueError):
        import_values.parse_number("nan")


# ------------------------------------------------------------------- participant imports


def test_moodle_user_upload_preview_writes_nothing(session, users, course):
    result = preview(session, users, course, "user_upload_bom.csv")
    assert result.counts == {"create": 4, "update": 0, "unchanged": 0, "rejected": 0}
    assert count(session, Participant) == 0
    assert count(session, Enrollment) == 0


def test_moodle_user_upload_creates_participants_enrollments_and_progress(session, users, course):
    result = apply(session, users, course, "user_upload_bom.csv")
    assert result.written
    martin = session.exec(
        select(Participant).where(Participant.email == "martin.fernandez@cancilleria.ar.test")
    ).one()
    assert (martin.full_name, martin.country, martin.consular_post) == (
        "Martín Fernández",
        "AR",
        "São Paulo",
    )
    assert (martin.external_id, martin.position) == ("AR-001", "Sección consular")
    enrollment = session.exec(
        select(Enrollment).where(Enrollment.participant_id == martin.id)
    ).one()
    assert enrollment.enrolled_on == date(2018, 4, 2)
    assert enrollment.status == EnrollmentStatus.invited
    assert count(session, ModuleProgress) == 4 * len(MODULES)
    # No country in the file: unknown until someone completes it.
    lucia = session.exec(
        select(Participant).where(Participant.email == "lucia.rojas@minrel.cl.test")
    ).one()
    assert lucia.country is None
    actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("participant_created") == 4
    assert actions.count("enrollment_created") == 4
    assert actions.count("import_applied") == 1


def test_second_import_of_the_same_file_changes_nothing(session, users, course):
    apply(session, users, course, "user_upload_bom.csv")
    events = count(session, AuditEvent)
    again = apply(session, users, course, "user_upload_bom.csv")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 4, "rejected": 0}
    assert not again.written
    assert count(session, Participant) == 4
    assert count(session, AuditEvent) == events


def test_default_country_fills_unknown_countries_only(session, users, course):
    result = apply(session, users, course, "user_upload_bom.csv", default_country="cl")
    assert result.written
    countries = dict(session.exec(select(Participant.email, Participant.country)).all())
    assert countries["lucia.rojas@minrel.cl.test"] == "CL"
    assert countries["martin.fernandez@cancilleria.ar.test"] == "AR"


def test_a_file_without_country_never_erases_a_completed_one(session, users, course):
    apply(session, users, course, "user_upload_bom.csv")
    lucia = session.exec(
        select(Participant).where(Participant.email == "lucia.rojas@minrel.cl.test")
    ).one()
    lucia.country = "CL"
    session.add(lucia)
    session.commit()
    again = preview(session, users, course, "user_upload_bom.csv")
    assert again.counts["unchanged"] == 4


def test_broken_rows_are_rejected_with_row_column_and_reason(session, users, course):
    result = preview(session, users, course, "user_upload_broken.csv")
    reasons = {(r.row, r.column): r.reason for r in result.rejected}
    assert "not a valid email" in reasons[(3, "email")]
    assert "Unknown country “XX”" in reasons[(4, "country")]
    assert "same person as row 2" in reasons[(5, "email")]
    assert (6, "firstname") in reasons and (6, "email") in reasons
    assert "8 cells" in reasons[(7, "—")]
    assert result.counts == {"create": 2, "update": 0, "unchanged": 0, "rejected": 5}


def test_rejected_rows_stop_the_import_unless_skipped(session, users, course):
    with pytest.raises(ImportRejected, match="5 rows are rejected"):
        apply(session, users, course, "user_upload_broken.csv")
    assert count(session, Participant) == 0
    result = apply(session, users, course, "user_upload_broken.csv", skip_rejected=True)
    assert result.written and count(session, Participant) == 2


def test_plain_xlsx_with_the_apps_own_columns(session, users, course):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["full_name", "email", "country", "consular_post", "status", "enrolled_on"])
    sheet.append(["Ana Pérez", "ana@consul.test", "Argentina", "Asunción", "active", "2018-04-02"])
    sheet.append(["Bruno Silva", "bruno@consul.test", "BR", "", "Invited", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = imports.apply_import(
        session=session,
        actor=users["coordinator"],
        course_id=course.id,
        data=buffer.getvalue(),
        filename="people.xlsx",
        expected_format=ImportFormat.participants,
    )
    assert result.format == ImportFormat.participants
    assert result.counts["create"] == 2
    ana = session.exec(select(Participant).where(Participant.email == "ana@consul.test")).one()
    assert (ana.country, ana.consular_post) == ("AR", "Asunción")
    enrollment = session.exec(select(Enrollment).where(Enrollment.participant_id == ana.id)).one()
    assert (enrollment.status, enrollment.enrolled_on) == ("active", date(2018, 4, 2))


def test_a_changed_row_is_an_update_with_old_and_new_values(session, users, course):
    data = b"full_name,email,country,status\nAna Perez,ana@consul.test,AR,invited\n"
    arguments = {"session": session, "actor": users["coordinator"], "course_id": course.id}
    imports.apply_import(**arguments, data=data)
    changed = b"full_name,email,country,status\nAna P\xc3\xa9rez,ana@consul.test,AR,active\n"
    result = imports.apply_import(**arguments, data=changed)
    [update] = result.to_update
    assert {(c.field, c.old, c.new) for c in update.changes} == {
        ("Full name", "Ana Perez", "Ana Pérez"),
        ("Status", "invited", "active"),
    }
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant_updated")).one()
    assert event.changes["full_name"] == ["Ana Perez", "Ana Pérez"]


def test_a_file_of_another_format_than_asked_is_refused(session, users, course):
    with pytest.raises(ImportRejected, match="Moodle grade export"):
        preview(session, users, course, "grade_export.csv", expected_format="moodle_users")


def test_officer_and_manager_cannot_import(session, users, course):
    for role in ("officer_ar", "manager"):
        with pytest.raises(PermissionDenied):
            imports.preview_import(
                session=session,
                actor=users[role],
                course_id=course.id,
                data=fixture("user_upload_bom.csv"),
            )


# ---------------------------------------------------------------------- progress imports


@pytest.fixture
def enrolled(session, users, course):
    """The four people of the user upload, enrolled in HT-2018."""
    apply(session, users, course, "user_upload_bom.csv")


def _progress(session, email: str) -> dict[str, ModuleProgress]:
    rows = session.exec(
        select(Module.title, ModuleProgress)
        .join(Module, Module.id == ModuleProgress.module_id)
        .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
        .join(Participant, Participant.id == Enrollment.participant_id)
        .where(Participant.email == email)
    ).all()
    return dict(rows)


def test_grade_export_sets_module_scores_and_final_grades(session, users, course, enrolled):
    result = apply(session, users, course, "grade_export.csv")
    assert result.counts == {"create": 0, "update": 2, "unchanged": 1, "rejected": 0}
    martin = _progress(session, "martin.fernandez@cancilleria.ar.test")
    assert martin["Early detection and indicators"].score == 85.0
    assert martin["Final assessment"].score == 88.5
    assert martin["Final assessment"].source == "import:grade_export.csv"
    assert martin["Concepts and definitions"].score is None
    grades = dict(
        session.exec(
            select(Participant.email, Enrollment.final_grade).join(
                Enrollment, Enrollment.participant_id == Participant.id
            )
        ).all()
    )
    assert grades["martin.fernandez@cancilleria.ar.test"] == 87.83
    assert grades["ana.costa@itamaraty.br.test"] is None
    again = preview(session, users, course, "grade_export.csv")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "rejected": 0}


def test_completion_report_sets_states_dates_and_course_completion(
    session, users, course, enrolled
):
    result = apply(session, users, course, "completion_semicolon.csv")
    assert result.counts["update"] == 2 and result.counts["rejected"] == 0
    martin = _progress(session, "martin.fernandez@cancilleria.ar.test")
    assert martin["Concepts and definitions"].state == ProgressState.completed
    assert martin["Concepts and definitions"].completed_on == date(2018, 4, 16)
    assert martin["Final assessment"].state == ProgressState.completed_pass
    rodrigo = _progress(session, "rodrigo.vargas@cancilleria.bo.test")
    assert rodrigo["Early detection and indicators"].state == ProgressState.completed_fail
    assert rodrigo["Final assessment"].state == ProgressState.not_started
    enrollment = session.exec(
        select(Enrollment)
        .join(Participant, Participant.id == Enrollment.participant_id)
        .where(Participant.email == "martin.fernandez@cancilleria.ar.test")
    ).one()
    assert (enrollment.status, enrollment.completed_on) == ("completed", date(2018, 7, 3))
    again = apply(session, users, course, "completion_semicolon.csv")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "rejected": 0}


def test_progress_of_someone_not_enrolled_or_of_an_unknown_module_is_rejected(
    session, users, course, enrolled
):
    data = (
        '"First name",Surname,"Email address","Quiz: Early detection and indicators",'
        '"Forum: News forum","Course total"\n'
        "Martín,Fernández,martin.fernandez@cancilleria.ar.test,80,5,80\n"
        "Nadie,Nunca,nobody@example.org,50,5,50\n"
        "Martín,Fernández,martin.fernandez@cancilleria.ar.test,81,5,81\n"
        "Rodrigo,Vargas,rodrigo.vargas@cancilleria.bo.test,180,5,90\n"
    ).encode()
    result = imports.preview_import(
        session=session, actor=users["coordinator"], course_id=course.id, data=data
    )
    reasons = {(r.row, r.column): r.reason for r in result.rejected}
    assert "No module of HT-2018 is called “News forum”" in reasons[(1, "Forum: News forum")]
    assert "not enrolled in HT-2018" in reasons[(3, "Email address")]
    assert "same person as row 2" in reasons[(4, "Email address")]
    assert "not a score" in reasons[(5, "Quiz: Early detection and indicators")]
    assert result.counts["update"] == 1


def test_data_changed_since_the_preview_is_refused(session, users, course, enrolled):
    seen = preview(session, users, course, "grade_export.csv")
    apply(session, users, course, "grade_export.csv")
    with pytest.raises(StaleVersion):
        apply(session, users, course, "grade_export.csv", confirmed=seen)


# ------------------------------------------------------------------- garbage, property


@st.composite
def uploads(draw) -> bytes:
    """Arbitrary bytes, or a known header followed by arbitrary text rows."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    header = draw(
        st.sampled_from(
            [
                "username,firstname,lastname,email,country",
                "full_name;email;country;status;final_grade",
                '"First name",Surname,"Email address","Quiz: Final assessment","Course total"',
                "ID,Name,Email address,Final assessment,Final assessment - Completion date,"
                "Course complete",
            ]
        )
    )
    body = draw(st.lists(st.text(max_size=60), max_size=6))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    text = header + "\n" + "\n".join(body)
    return text.encode(encoding, errors="replace")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=uploads())
def test_garbage_is_refused_cleanly_and_never_written(session, users, course, data):
    arguments = {
        "session": session,
        "actor": users["coordinator"],
        "course_id": course.id,
        "data": data,
        "filename": "upload.csv",
    }
    try:
        result = imports.preview_import(**arguments)
    except ImportRejected:
        result = None
    assert count(session, Participant) == 0
    if result is not None and result.has_changes:
        return  # a well-formed row by chance: not garbage
    try:
        imports.apply_import(**arguments)
    except ImportRejected:
        pass
    assert count(session, Participant) == 0
    assert count(session, AuditEvent) == 1  # the course's own creation


# ------------------------------------------------------------------------------ the CLI


def test_cli_adds_and_lists_courses(db, session):
    runner = CliRunner()
    added = runner.invoke(
        courses_app,
        [
            "add",
            "HT-2026",
            "--title",
            "Assistance to victims",
            "--module",
            "One",
            "--module",
            "Two",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "Added course HT-2026 with 2 modules." in added.output
    listed = runner.invoke(courses_app, ["list"])
    assert listed.exit_code == 0 and "HT-2026" in listed.output
    twice = runner.invoke(courses_app, ["add", "HT-2026", "--title", "Again"])
    assert twice.exit_code == 1 and "already exists" in twice.output


def test_cli_import_dry_run_then_real_then_idempotent(db, session, users, course):
    runner = CliRunner()
    file = str(FIXTURES / "user_upload_bom.csv")
    dry = runner.invoke(import_app, ["moodle-users", file, "--course", "HT-2018", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "4 to create" in dry.output and "nothing was written" in dry.output
    assert count(session, Participant) == 0
    real = runner.invoke(import_app, ["moodle-users", file, "--course", "HT-2018"])
    assert real.exit_code == 0, real.output
    assert "4 created, 0 updated" in real.output
    assert count(session, Participant) == 4
    again = runner.invoke(import_app, ["moodle-users", file, "--course", "HT-2018"])
    assert again.exit_code == 0 and "4 unchanged" in again.output


def test_cli_import_with_rejected_rows_writes_nothing_and_fails(db, session, users, course):
    runner = CliRunner()
    file = str(FIXTURES / "user_upload_broken.csv")
    result = runner.invoke(import_app, ["moodle-users", file, "--course", "HT-2018"])
    assert result.exit_code == 1
    assert "5 rows rejected." in result.output and "Unknown country" in result.output
    assert count(session, Participant) == 0
    wrong = runner.invoke(import_app, ["moodle-grades", file, "--course", "HT-2018"])
    assert wrong.exit_code == 2 and "Moodle user upload" in wrong.output
    unknown = runner.invoke(import_app, ["moodle-users", file, "--course", "NOPE"])
    assert unknown.exit_code == 2


# --------------------------------------------------------------------------- scale


def test_two_thousand_row_import_is_quick_and_idempotent(session, users, course):
    lines = ["username,firstname,lastname,email,city,country"]
    countries = ["AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY", ""]
    for number in range(2000):
        country = countries[number % len(countries)]
        lines.append(f"u{number},Name{number},Surname{number},p{number}@consul.test,City,{country}")
    data = "\n".join(lines).encode()
    arguments = {
        "session": session,
        "actor": users["coordinator"],
        "course_id": course.id,
        "data": data,
        "filename": "big.csv",
    }
    started = time.perf_counter()
    first = imports.apply_import(**arguments)
    seconds = time.perf_counter() - started
    assert first.counts["create"] == 2000
    assert count(session, ModuleProgress) == 2000 * len(MODULES)
    started = time.perf_counter()
    again = imports.preview_import(**arguments)
    again_seconds = time.perf_counter() - started
    assert again.counts["unchanged"] == 2000

    header = ['"First name"', "Surname", '"Email address"']
    header += [f'"Quiz: {title} (Real)"' for title in MODULES] + ['"Course total (Real)"']
    grades = [",".join(header)]
    for number in range(2000):
        scores = [f"{(number * 7 + offset) % 101}.00" for offset in range(len(MODULES))]
        grades.append(
            f"Name{number},Surname{number},p{number}@consul.test," + ",".join(scores) + ",75.5"
        )
    arguments["data"] = "\n".join(grades).encode()
    started = time.perf_counter()
    graded = imports.apply_import(**arguments)
    grade_seconds = time.perf_counter() - started
    assert graded.counts["update"] == 2000
    assert imports.preview_import(**arguments).counts["unchanged"] == 2000
    print(  # noqa: T201  (numbers for the report)
        f"2,000 participants: import {seconds:.2f} s, re-import preview {again_seconds:.2f} s; "
        f"2,000-row grade export: import {grade_seconds:.2f} s"
    )
    assert seconds < 30 and grade_seconds < 30
