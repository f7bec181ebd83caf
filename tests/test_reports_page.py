"""The Reports page under AppTest (filters in the link, every part downloadable, Spanish and
Portuguese, officers' own country) and `enlace export reports` (filters, scope, clear errors,
audit) on the demo data."""

import json

import pytest
from pypdf import PdfReader
from sqlmodel import select
from typer.testing import CliRunner

from models import AuditEvent
from services.cli.export import export_app
from services.reporting import report_catalog
from tests.support import OFFICER

MANAGER = "manager@enlace.test"
PARTS = [
    "stage", "situation", "final_situation", "country", "month", "exploitation_type",
    "industry", "stage_times", "milestone_times", "origin_destination", "referral_outcomes",
    "answer_times", "training_impact", "guide_vs_first", "guide_vs_final",
]  # fmt: skip


def reports_page(app_as, email: str = MANAGER, language: str = "en", **query: str):
    at = app_as(email, language=language)
    at.query_params.update(query)
    at.run()
    at.switch_page("pages/reports.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def chart_titles(at) -> list[str]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(chart.proto.spec)["title"] for chart in charts]


def test_every_report_is_drawn_one_at_a_time_and_every_part_is_downloadable(demo_db, app_as):
    at = reports_page(app_as)
    control = at.get("button_group")[0]
    assert [option.content for option in control.proto.options] == [
        report_catalog.REPORTS[name][0] for name in report_catalog.REPORTS
    ]
    drawn: list[str] = []
    for name in report_catalog.REPORTS:
        at = reports_page(app_as, report=name)
        keys = {button.key for button in at.get("download_button")}
        parts = [key.removeprefix("reports_export_").removesuffix("_csv") for key in keys
                 if key.startswith("reports_export_") and key.endswith("_csv")]  # fmt: skip
        assert parts, name
        for part in parts:
            assert {f"reports_export_{part}_{fmt}" for fmt in ("png", "svg", "pdf", "xlsx")} <= (
                keys
            ), part
        assert {"reports_pack_pdf", "reports_pack_zip"} <= keys
        assert [header.value for header in at.header] == [report_catalog.REPORTS[name][0]]
        assert len(chart_titles(at)) == len(parts)
        assert dict(at.query_params).get("report") == (None if name == "cases" else name)
        drawn += parts
    assert sorted(drawn) == sorted(PARTS)


@pytest.mark.parametrize(
    ("language", "first", "matrix"),
    [
        ("es", "Casos por etapa", "País de origen × país de explotación"),
        ("pt", "Casos por etapa", "País de origem × país de exploração"),
    ],
)
def test_the_page_speaks_spanish_and_portuguese(demo_db, app_as, language, first, matrix):
    at = reports_page(app_as, language=language)
    titles = chart_titles(at)
    assert titles[0] == first
    routes = chart_titles(reports_page(app_as, language=language, report="routes"))
    assert matrix in routes
    assert "Cases" not in json.dumps(titles + routes)


def test_filters_come_from_the_link_and_narrow_every_part(demo_db, app_as):
    everyone = reports_page(app_as)
    narrowed = reports_page(app_as, country="BO", **{"from": "2026-06-01"})
    assert narrowed.selectbox(key="reports_country").value == "BO"
    assert str(narrowed.date_input(key="reports_from").value) == "2026-06-01"
    assert dict(narrowed.query_params) == {"country": "BO", "from": "2026-06-01"}
    assert chart_titles(narrowed) == chart_titles(everyone)
    # The country part lists Bolivia alone.
    tables = [frame.value for frame in narrowed.dataframe]
    country = next(t for t in tables if "Reporting country" in t.columns)
    assert list(country["Reporting country"]) == ["Bolivia"]


def test_an_officer_reads_their_own_country_without_microdata(demo_db, app_as):
    at = reports_page(app_as, OFFICER, country="BR")
    offered = [option.content for option in at.get("button_group")[0].proto.options]
    assert "Training impact" not in offered and "Cases" in offered
    assert at.text_input[0].value == "Argentina" and at.text_input[0].disabled
    tables = [frame.value for frame in at.dataframe]
    country = next(t for t in tables if "Reporting country" in t.columns)
    assert list(country["Reporting country"]) == ["Argentina"]
    assert not [b for b in at.button if b.key == "reports_microdata_prepare"]


def test_the_page_is_for_officers_and_readers_of_statistics_not_partners(demo_db):
    from models import UserAccount
    from models.enums import Role
    from services.platform.access import pages_for

    def keys(role: Role, country: str | None = None) -> set[str]:
        account = UserAccount(email="x@enlace.test", role=role, country=country)
        return {page.key for page in pages_for(account)}

    assert "reports" in keys(Role.officer, "AR") and "reports" in keys(Role.manager)
    assert "reports" not in keys(Role.partner)


# --- the command line ---------------------------------------------------------------------


def test_the_command_line_names_every_report():
    from services.cli.export import REPORT_NAMES

    assert list(REPORT_NAMES) == list(report_catalog.REPORTS)


def cli(*args: str):
    return CliRunner().invoke(export_app, ["reports", *args])


def test_cli_writes_a_report_pack_one_chart_per_page_with_filters_and_audits(demo_db, tmp_path):
    out = tmp_path / "routes.pdf"
    result = cli(
        "--report", "routes", "--country", "bo", "--from", "2026-01-01", "--to", "2026-12-31",
        "--format", "pdf", "--out", str(out), "--as", MANAGER,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = PdfReader(out).pages
    assert len(pages) == 2  # the cover, the matrix
    cover = pages[0].extract_text()
    # The demo manager reads Portuguese: the command writes the file in the account's language.
    assert "Bolívia" in cover and "2026-01-01 – 2026-12-31" in cover
    demo_db.commit()
    event = demo_db.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()[-1]
    assert (event.actor_email, event.entity_id) == (MANAGER, "pack")
    assert event.changes["country"] == [None, "BO"] and event.changes["format"] == [None, "pdf"]


def test_cli_writes_one_part_as_csv(demo_db, tmp_path):
    out = tmp_path / "matrix.csv"
    result = cli("--report", "origin_destination", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "Origin (citizenship)" in text and "Period identified: Every case" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "ARG"], "--country must be a two-letter ISO code such as AR, not 'ARG'."),
        (["--from", "2026-02-30"], "--from must be a date as YYYY-MM-DD, not '2026-02-30'."),
        (["--from", "2026-03-01", "--to", "2026-01-01"], "Period: the start (2026-03-01)"),
        (["--report", "nothing"], "There is no report part nothing"),
        (["--report", "routes"], "--report routes writes a pack: use --format pdf or zip."),
    ],
)
def test_cli_bad_input_is_one_clear_line_and_exit_2(demo_db, tmp_path, args, message):
    out = tmp_path / "x.csv"
    result = cli(*args, "--format", "csv", "--out", str(out))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_refuses_another_country_to_an_officer(demo_db, tmp_path):
    out = tmp_path / "x.csv"
    result = cli("--country", "BR", "--format", "csv", "--out", str(out), "--as", OFFICER)
    # The demo officer of Argentina reads Spanish: so does the command acting as them.
    assert result.exit_code == 1 and "Rechazado: Solo puede consultar" in result.output
    own = cli("--format", "csv", "--out", str(out), "--as", OFFICER)
    assert own.exit_code == 0, own.output
    assert "Argentina" in out.read_text(encoding="utf-8-sig")


def test_cli_zip_holds_every_part_in_every_format(demo_db, tmp_path):
    import zipfile

    out = tmp_path / "all.zip"
    result = cli("--format", "zip", "--out", str(out), "--country", "PY")
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "README.txt" in names
    for title in ("country-of-origin-country-of-exploitation", "days-in-each-stage"):
        assert {name.rsplit(".", 1)[1] for name in names if name.startswith(title)} == {
            "png",
            "svg",
            "pdf",
            "csv",
            "xlsx",
        }
