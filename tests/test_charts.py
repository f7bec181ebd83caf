"""Exported files are real files: PNG/PDF magic bytes, SVG parses, XLSX opens, CSV is safe,
the report packs hold every chart, and every export leaves an audit event."""

import csv
import io
import xml.etree.ElementTree as ET
import zipfile

import altair as alt
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from models import AuditEvent
from services.cli.export import export_app
from services.platform.errors import PermissionDenied
from services.reporting import charts, dashboard, progress_view, report_catalog
from services.reporting.export import ExportInfo
from services.reporting.report_parts import ReportFilters
from tests.support import TODAY

PNG = b"\x89PNG\r\n\x1a\n"
PDF = b"%PDF-"
INFO = ExportInfo(title="Completion rate by country", filters={"Country": "=cmd|' /C calc'!A0"})


def small_chart() -> alt.Chart:
    data = pd.DataFrame({"country": ["Argentina", "Brasil"], "rate": [0.5, 0.25]})
    return alt.Chart(data, title="T").mark_bar().encode(x="country:N", y="rate:Q")


@pytest.mark.parametrize(("fmt", "magic"), [("png", PNG), ("pdf", PDF)])
def test_png_and_pdf_have_their_magic_bytes(fmt, magic):
    file = charts.chart_file(small_chart(), INFO, fmt)
    assert file.data.startswith(magic)
    assert file.name == f"completion-rate-by-country-{INFO.generated_at:%Y-%m-%d}.{fmt}"
    assert file.mime == charts.MIME_TYPES[fmt]


def test_svg_parses_as_xml_and_carries_title_filters_and_source():
    file = charts.chart_file(small_chart(), INFO, "svg")
    root = ET.fromstring(file.data)
    assert root.tag.endswith("svg")
    text = file.data.decode("utf-8")
    assert "Completion rate by country" in text
    assert "Source: Enlace" in text and "Country:" in text


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        charts.render(small_chart(), "gif")
    with pytest.raises(ValueError):
        charts.data_file(pd.DataFrame(), INFO, "ods")


def test_slug_makes_safe_file_names():
    assert charts.slug("Participación por país / 2018") == "participacion-por-pais-2018"
    assert charts.slug("¿?") == "export"


@pytest.fixture
def course(session, users, make_scheduled_course):
    """The scheduled course, with a participant whose name is a formula (CSV injection)."""
    course = make_scheduled_course(users["coordinator"])
    from models import Participant

    br1 = session.exec(select(Participant).where(Participant.email == "br1@c.test")).one()
    br1.full_name = '=HYPERLINK("http://evil.test","x")'
    session.add(br1)
    session.commit()
    return course


@pytest.fixture
def board(session, users, course):
    """The scheduled course's dashboard as the manager reads it (no names)."""
    return dashboard.progress_dashboard(
        session=session, actor=users["manager"], course_id=course.id, today=TODAY
    )


@pytest.fixture
def staff_board(session, users, course):
    """The same dashboard as a coordinator reads it, with the participants at risk."""
    return dashboard.progress_dashboard(
        session=session, actor=users["coordinator"], course_id=course.id, today=TODAY
    )


def _exports(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == "export")))


def test_every_chart_exports_to_every_format_and_each_is_audited(session, users, board):
    manager = users["manager"]
    for item in progress_view.CHARTS:
        for fmt in (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS):
            file = progress_view.export_item(
                session=session, actor=manager, dashboard=board, item=item, fmt=fmt
            )
            assert file.data, (item, fmt)
    session.commit()
    events = _exports(session)
    assert len(events) == len(progress_view.CHARTS) * 5
    assert {event.actor_email for event in events} == {"manager@enlace.test"}
    assert {event.entity_id for event in events} == {"SCH-2018"}
    assert events[0].changes["item"] == [None, "completion"]


def test_at_risk_csv_neutralises_a_formula_name(session, users, staff_board):
    file = progress_view.export_item(
        session=session, actor=users["admin"], dashboard=staff_board, item="at_risk", fmt="csv"
    )
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert rows[0] == ["# Title: Participants behind schedule"]
    assert ["# Course: SCH-2018"] in rows
    names = [row[0] for row in rows if row and not row[0].startswith("#")]
    assert '\'=HYPERLINK("http://evil.test","x")' in names
    assert not any(name.startswith("=") for name in names)


def test_xlsx_opens_with_openpyxl_and_holds_the_module_cells(session, users, board):
    file = progress_view.export_item(
        session=session, actor=users["coordinator"], dashboard=board, item="modules", fmt="xlsx"
    )
    workbook = load_workbook(io.BytesIO(file.data))
    header, *cells = list(workbook["Data"].iter_rows(values_only=True))
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert header == ("Module", "Country", "Completed", "Participants", "Completion rate")
    # 3 of 3 Argentinians: small counts of people, suppressed in every file.
    assert ("1. Detection", "Argentina", "<5", "<5", "x") in cells
    assert about["Counts below 5 shown as"] == "<5"
    assert about["Course"] == "SCH-2018"


def test_report_pack_pdf_and_zip(session, users, board):
    manager = users["manager"]
    pdf = progress_view.export_pack(session=session, actor=manager, dashboard=board, fmt="pdf")
    assert pdf.data.startswith(PDF)
    pack = progress_view.export_pack(session=session, actor=manager, dashboard=board, fmt="zip")
    with zipfile.ZipFile(io.BytesIO(pack.data)) as archive:
        names = archive.namelist()
        assert "README.txt" in names
        assert "Course: SCH-2018" in archive.read("README.txt").decode()
        extensions = sorted(name.rsplit(".", 1)[1] for name in names if name != "README.txt")
        pngs = [name for name in names if name.endswith(".png")]
        assert all(archive.read(name).startswith(PNG) for name in pngs)
    assert extensions.count("png") == 3 and extensions.count("svg") == 3
    assert extensions.count("csv") == 3  # modules, completions, countries: no names
    session.commit()
    assert [event.changes["item"] for event in _exports(session)] == [[None, "pack"]] * 2


def test_officers_cannot_export(session, users, board):
    with pytest.raises(PermissionDenied):
        progress_view.export_item(
            session=session, actor=users["officer_ar"], dashboard=board, item="modules", fmt="png"
        )
    with pytest.raises(PermissionDenied):
        progress_view.export_pack(
            session=session, actor=users["officer_ar"], dashboard=board, fmt="pdf"
        )


ALL = ReportFilters()


def test_referral_report_exports_keep_small_counts_suppressed(session, users, seed_cases):
    seed_cases(users["coordinator"])
    manager = users["manager"]
    every = report_catalog.build_reports(session=session, actor=manager, filters=ALL)

    def export(name: str, fmt: str) -> charts.ExportFile:
        part = report_catalog.find_part(every, name)
        return report_catalog.export_part(
            session=session, actor=manager, part=part, filters=ALL, fmt=fmt
        )

    file = export("stage", "csv")
    rows = list(csv.reader(io.StringIO(file.data.decode("utf-8-sig"))))
    assert ["Identified", "<5"] in rows and ["Screening", "0"] in rows
    xlsx = export("country", "xlsx")
    data = list(load_workbook(io.BytesIO(xlsx.data))["Data"].iter_rows(values_only=True))
    assert data[1:] == [("Argentina", "<5"), ("Brazil", "<5"), ("Paraguay", "<5")]
    png = export("month", "png")
    assert png.data.startswith(PNG)
    pack = report_catalog.export_pack(
        session=session, actor=manager, reports=every, filters=ALL, fmt="pdf"
    )
    assert pack.data.startswith(PDF)
    session.commit()
    events = _exports(session)
    assert [(e.entity, e.entity_id) for e in events] == [
        ("report", "stage"), ("report", "country"), ("report", "month"), ("report", "pack")
    ]  # fmt: skip


def test_deferred_build_runs_later_in_the_askers_language():
    from services.platform.i18n import _, get_language, set_language

    set_language("pt")
    try:
        later = charts.deferred(lambda: f"{get_language()}:{_('Completed')}".encode())
    finally:
        set_language("en")
    assert later().startswith(b"pt:")
    assert get_language() == "en"


# --- the command line: enlace export ... ---------------------------------------------------


def _cli(*args: str):
    return CliRunner().invoke(export_app, list(args))


def test_cli_exports_a_progress_chart_as_png_and_audits_it(
    session, users, tmp_path, make_scheduled_course
):
    make_scheduled_course(users["coordinator"])
    out = tmp_path / "completion.png"
    result = _cli(
        "progress", "--course", "SCH-2018", "--format", "png", "--out", str(out),
        "--as-of", "2018-06-15",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(PNG)
    assert "Wrote" in result.output
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    (event,) = _exports(session)
    assert (event.actor_email, event.entity_id) == ("cli", "SCH-2018")


def test_cli_exports_filtered_data_and_the_pack(session, users, tmp_path, make_scheduled_course):
    make_scheduled_course(users["coordinator"])
    csv_file, zip_file = tmp_path / "risk.csv", tmp_path / "pack.zip"
    result = _cli(
        "progress", "--course", "SCH-2018", "--chart", "at_risk", "--format", "csv",
        "--country", "br", "--as-of", "2018-06-15", "--as", "coordinator@enlace.test",
        "--out", str(csv_file),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = csv_file.read_text(encoding="utf-8-sig")
    assert "# Country: Brazil" in text and "br1" in text and "ar3" not in text
    as_manager = _cli(
        "progress", "--course", "SCH-2018", "--chart", "at_risk", "--format", "csv",
        "--as", "manager@enlace.test", "--out", str(tmp_path / "names.csv"),
    )  # fmt: skip
    assert as_manager.exit_code == 1 and "Refused" in as_manager.output
    assert not (tmp_path / "names.csv").exists()
    result = _cli("progress", "--course", "SCH-2018", "--format", "zip", "--out", str(zip_file))
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(zip_file)


def test_cli_refuses_bad_input_with_exit_code_2(session, users, tmp_path, make_scheduled_course):
    make_scheduled_course(users["coordinator"])
    out = str(tmp_path / "x.png")
    assert _cli("progress", "--course", "NOPE", "--format", "png", "--out", out).exit_code == 2
    table_as_image = _cli(
        "progress", "--course", "SCH-2018", "--chart", "at_risk", "--format", "png", "--out", out
    )
    assert table_as_image.exit_code == 2 and "csv or xlsx" in table_as_image.output
    assert _cli("progress", "--course", "SCH-2018", "--format", "gif", "--out", out).exit_code == 2


def test_cli_refuses_an_officer(session, users, tmp_path, make_scheduled_course):
    make_scheduled_course(users["coordinator"])
    result = _cli(
        "progress", "--course", "SCH-2018", "--format", "csv", "--as", "officer.ar@enlace.test",
        "--out", str(tmp_path / "x.csv"),
    )  # fmt: skip
    assert result.exit_code == 1 and "Refused" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_cli_exports_a_suppressed_report(session, users, tmp_path, seed_cases):
    seed_cases(users["coordinator"])
    out = tmp_path / "stages.csv"
    result = _cli("reports", "--report", "stage", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Identified,<5" in out.read_text(encoding="utf-8-sig")
