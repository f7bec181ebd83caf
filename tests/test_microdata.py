"""Case microdata: the CTDC layout, k-anonymous rows for managers, full rows for case workers,
the `enlace export cases` command and the Reports page's download."""

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import AuditEvent, CaseCreate, UserAccount
from models.enums import Role
from services.cases import exports, intake, microdata
from services.cases import records as cases
from services.cli.main import app as cli_app
from services.reporting import anonymise
from services.tooling.scale import seed_scale

YEAR = 2026
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def source_row(**overrides):
    """One case as services/cases hands it to the layouts."""
    row = {
        "case_code": "AR-2026-0001",
        "reporting_country": "AR",
        "stage": "referred",
        "identified_on": date(YEAR, 3, 2),
        "consular_post": "Consulado en São Paulo",
        "identified_place": "Brás",
        "person_alias": "M.G.",
        "gender": "TransgenderFeminine",
        "age_band": "9-17",
        "is_minor": True,
        "citizenship": "BO",
        "primary_language": "es",
        "situation": "trafficking",
        "trafficking_status": "PossibleVictimOfTrafficking",
        "exploitation_types": ["ForcedLabour", "SexualExploitation"],
        "forced_labour_industries": ["C_Manufacturing", "T_ActivitiesOfHouseholdsAsEmployers"],
        "means_of_control": ["ThreatensChildrenFamily", "WithholdsDocuments"],
        "indicators": ["restriction_of_movement"],
        "exploitation_country": "BR",
        "consent_given": False,
        "consent_scope": [],
        "urgency": "high",
        "needs": [],
        "assignee_email": None,
        "referred_organisations": [],
        "first_referral_on": None,
        "closure_reason": None,
        "return_counterpart": None,
        "return_travel_date": None,
        "return_reception": None,
    }
    return {**row, **overrides}


# --- the CTDC layout -----------------------------------------------------------------------


def test_ctdc_layout_has_the_dictionary_columns_in_order():
    frame = microdata.ctdc_frame([source_row()])
    columns = list(frame.columns)
    assert columns[:8] == [
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
        "MajorityEntry",
        "citizenship",
    ]
    assert columns[-6:] == [
        "CountryOfExploitation",
        "recruiterRelationIntimatePartner",
        "recruiterRelationFriend",
        "recruiterRelationFamily",
        "recruiterRelationOther",
        "recruiterRelationUnknown",
    ]
    assert len(columns) == 62 == len(set(columns))
    dictionary = REFERENCE / "ctdc_data_dictionary.tsv"
    if dictionary.exists():  # the reference files sit beside the project (DESIGN.md)
        lines = dictionary.read_text(encoding="utf-8").split("####")[1].splitlines()[2:]
        names = [line.split("\t")[0].strip() for line in lines if line.split("\t")[0].strip()]
        assert columns == names


def test_ctdc_layout_encodes_our_htcds_codes():
    row = microdata.ctdc_row(source_row())
    assert row["yearOfRegistration"] == YEAR
    assert row["Datasource"] == "Case management"
    assert (row["gender"], row["ageBroad"], row["majorityStatus"]) == (
        "Transgender/NonConforming",
        "9--17",
        "Minor",
    )
    assert (row["citizenship"], row["CountryOfExploitation"]) == ("BO", "BR")
    assert row["meansOfControlThreats"] == 1  # threatens children or family
    assert row["meansOfControlWithholdsDocuments"] == 1
    assert row["meansOfControlRestrictsMovement"] == 1  # the ILO indicator
    assert row["meansOfControlDebtBondage"] == 0
    assert row["meansOfControlNotSpecified"] == 0
    assert row["meansOfControlConcatenated"] == "RestrictsMovement;Threats;WithholdsDocuments"
    assert (row["isForcedLabour"], row["isSexualExploit"], row["isSexAndLabour"]) == (1, 1, 1)
    assert row["isForcedMarriage"] == 0
    assert row["typeOfExploitConcatenated"] == "Forced labour;Sexual exploitation"
    assert row["typeOfLabourManufacturing"] == row["typeOfLabourDomesticWork"] == 1
    assert row["typeOfLabourAgriculture"] == 0 and row["typeOfLabourNotSpecified"] == 0
    assert row["typeOfLabourConcatenated"] == "Domestic work;Manufacturing"
    assert row["typeOfSexProstitution"] == -99  # Enlace does not record the kind
    assert row["isAbduction"] == row["recruiterRelationFamily"] == -99


def test_ctdc_layout_writes_missing_data_as_minus_99():
    row = microdata.ctdc_row(
        source_row(
            gender="NonSpecifiedUnknown",
            age_band=None,
            is_minor=False,
            citizenship=None,
            exploitation_country=None,
            exploitation_types=[],
            forced_labour_industries=[],
            means_of_control=[],
            indicators=[],
        )
    )
    assert (row["gender"], row["ageBroad"], row["majorityStatus"]) == ("Unknown", -99, "Unknown")
    assert row["citizenship"] == row["CountryOfExploitation"] == -99
    assert row["meansOfControlDebtBondage"] == row["meansOfControlNotSpecified"] == -99
    assert row["isForcedLabour"] == row["typeOfLabourManufacturing"] == -99
    assert row["meansOfControlConcatenated"] == row["typeOfExploitConcatenated"] == ""


def test_forced_labour_without_an_industry_is_not_specified():
    row = microdata.ctdc_row(source_row(exploitation_types=["ForcedBegging"]))
    assert row["isForcedLabour"] == 1 and row["typeOfLabourBegging"] == 1
    row = microdata.ctdc_row(
        source_row(exploitation_types=["ForcedLabour"], forced_labour_industries=[])
    )
    assert row["typeOfLabourNotSpecified"] == 1
    row = microdata.ctdc_row(source_row(exploitation_types=["SexualExploitation"]))
    assert row["isForcedLabour"] == 0 and row["typeOfLabourNotSpecified"] == 0


def test_countries_generalise_to_their_region():
    assert microdata.region_of("BO") == "South America"
    assert microdata.region_of("mx") == "Central America"
    assert microdata.region_of("ES") == "Europe"
    assert microdata.region_of("") == ""
    assert all(microdata.region_of(code) for code in ("AR", "BR", "CL", "CO", "PY", "PE", "UY"))


def test_generalised_rows_keep_the_layout_encodings():
    rows = [source_row(citizenship="BO"), source_row(citizenship="PE")]
    data = microdata.build(rows, layout="ctdc", deidentified=True, k=2)
    assert len(data.frame) == 2 and data.withheld == 0 and data.generalised == 2
    assert set(data.frame["citizenship"]) == {"South America"}
    assert list(data.frame["ageBroad"]) == ["9--17", "9--17"]


def test_full_rows_are_left_alone():
    data = microdata.build([source_row()], layout="htcds", deidentified=False, k=11)
    assert data.frame.loc[0, "cas_CaseNumber"] == "AR-2026-0001"
    assert data.frame.loc[0, "enl_PersonAlias"] == "M.G."
    assert (data.generalised, data.withheld, data.k) == (0, 0, None)


# --- k-anonymous for managers -----------------------------------------------------------------


def role(session: Session, wanted: Role) -> UserAccount:
    return session.exec(
        select(UserAccount).where(UserAccount.role == wanted).order_by(UserAccount.id)
    ).first()


def assert_k_anonymous(data: microdata.Microdata, k: int) -> None:
    """Grouped on every person-level column the file keeps, no group has fewer than k rows."""
    frame = data.frame
    assert data.deidentified and data.k == k
    assert len(frame) + data.withheld == data.records
    if frame.empty:
        return
    groups = frame.groupby(microdata.quasi_identifiers(data.layout), dropna=False).size()
    assert groups.min() >= k, groups[groups < k]
    text = frame.to_csv()
    for banned in ("cas_CaseNumber", "enl_PersonAlias", "enl_IdentifiedOn", "cas_CaseOwner"):
        assert banned not in frame.columns
    assert "-20" not in text.replace("2020-2024", "").replace("2025-2029", "")  # no dates


@pytest.mark.parametrize("layout", ["htcds", "ctdc"])
def test_managers_get_k_anonymous_rows_of_the_demo_data(demo_db, layout):
    manager = role(demo_db, Role.manager)
    data = exports.case_microdata(session=demo_db, actor=manager, layout=layout)
    assert data.records == 60
    assert_k_anonymous(data, 11)
    # The bug of the issue: 44 of the 60 demo cases were unique; now none is.
    assert data.withheld <= 6 and data.generalised == len(data.frame)
    aliases = set(demo_db.exec(select(cases.Case.person_alias)))
    codes = set(demo_db.exec(select(cases.Case.case_code)))
    cells = set(data.frame.astype(str).to_numpy().ravel())
    assert not cells & (aliases | codes)
    event = demo_db.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.entity_id == layout and event.changes["deidentified"] is True
    assert event.changes["withheld"] == data.withheld


@pytest.mark.parametrize("k", [5, 11, 25])
def test_managers_get_k_anonymous_rows_of_scale_data(session, users, k, monkeypatch):
    monkeypatch.setenv("ENLACE_MICRODATA_K", str(k))
    seed_scale(session=session, participants=0, cases=400, seed=5, today=date(2026, 6, 1))
    for layout in ("htcds", "ctdc"):
        data = exports.case_microdata(session=session, actor=users["manager"], layout=layout)
        assert data.records == 400
        assert_k_anonymous(data, k)
        assert data.withheld <= 40  # within the budget: 10 % of the cases


def test_the_k_comes_from_the_setting(session, users, monkeypatch):
    monkeypatch.setenv("ENLACE_MICRODATA_K", "3")
    for _ in range(3):
        intake.create_case(
            session=session,
            actor=users["coordinator"],
            case_in=CaseCreate(
                reporting_country="AR", identified_on=date(YEAR, 1, 5), person_alias="Z.Q."
            ),
        )
    data = exports.case_microdata(session=session, actor=users["manager"], layout="ctdc")
    assert (data.k, len(data.frame), data.withheld) == (3, 3, 0)


# --- full rows for case workers ---------------------------------------------------------------


def test_a_coordinator_gets_full_rows_of_every_case(demo_db):
    coordinator = role(demo_db, Role.coordinator)
    data = exports.case_microdata(session=demo_db, actor=coordinator, layout="htcds")
    assert not data.deidentified and len(data.frame) == data.records == 60
    assert data.frame["cas_CaseNumber"].is_unique
    assert data.frame["enl_PersonAlias"].str.len().min() > 0
    event = demo_db.exec(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.changes["deidentified"] is False and event.changes["rows"] == 60


def test_an_officer_gets_full_rows_of_their_scope_only(demo_db):
    officer = demo_db.exec(
        select(UserAccount).where(UserAccount.role == Role.officer, UserAccount.country == "AR")
    ).first()
    data = exports.case_microdata(session=demo_db, actor=officer, layout="ctdc")
    scoped = exports.case_microdata(session=demo_db, actor=officer, layout="htcds").frame
    assert len(data.frame) == len(scoped) < 60
    assert (scoped["enl_ReportingCountry"] == "AR").sum() >= 1
    assert not data.deidentified


# --- files and the command line ---------------------------------------------------------------


def _cli(*args: str):
    """`enlace export cases ...` in English (the demo manager reads Portuguese)."""
    return CliRunner().invoke(cli_app, ["--lang", "en", "export", "cases", *args])


def test_cli_writes_a_k_anonymous_ctdc_csv_for_a_manager(demo_db, tmp_path):
    out = tmp_path / "cases.csv"
    manager = role(demo_db, Role.manager)
    result = _cli("--layout", "ctdc", "--format", "csv", "--out", str(out), "--as", manager.email)
    assert result.exit_code == 0, result.output
    assert "k-anonymous (k=11)" in result.output and "withheld" in result.output
    text = out.read_text(encoding="utf-8-sig")
    notes = [line for line in text.splitlines() if line.startswith("#")]
    assert any("Rows withheld" in line for line in notes)
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == list(microdata.CTDC_COLUMNS)
    assert anonymise.smallest_group(frame, microdata.quasi_identifiers("ctdc")) >= 11
    assert "'-99" not in text and ",-99," in text  # codes, not neutralised text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[len(notes)][0] == "yearOfRegistration"


def test_cli_writes_full_htcds_xlsx_rows_with_formulas_neutralised(session, users, tmp_path):
    intake.create_case(
        session=session,
        actor=users["officer_ar"],
        case_in=CaseCreate(
            reporting_country="AR",
            identified_on=date(YEAR, 2, 1),
            person_alias="Z.Q.",
            consular_post="=HYPERLINK(1)",
        ),
    )
    session.commit()
    out = tmp_path / "cases.xlsx"
    result = _cli("--layout", "htcds", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 case, full rows" in result.output
    workbook = openpyxl.load_workbook(out)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert values["cas_CaseNumber"] == f"AR-{YEAR}-0001"
    assert values["enl_ConsularPost"] == "'=HYPERLINK(1)"
    about = {row[0].value: row[1].value for row in workbook["About"].iter_rows()}
    assert about["Layout"] == "HTCDS" and about["Rows in this file"] == "1"


def test_cli_writes_a_k_anonymous_htcds_xlsx_for_a_manager(demo_db, tmp_path):
    out = tmp_path / "cases.xlsx"
    manager = role(demo_db, Role.manager)
    result = _cli("--layout", "htcds", "--format", "xlsx", "--out", str(out), "--as", manager.email)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    header, *rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    frame = pd.DataFrame(rows, columns=header).fillna("")
    assert "cas_CaseNumber" not in header and "cas_ReferredOrganisation" not in header
    assert anonymise.smallest_group(frame, microdata.quasi_identifiers("htcds")) >= 11
    about = {row[0].value: row[1].value for row in workbook["About"].iter_rows()}
    assert int(about["Rows withheld (groups smaller than k)"]) + len(rows) == 60
    assert int(about["Rows generalised"]) == len(rows)


def test_cli_refuses_an_unknown_account(session, users, tmp_path):
    result = _cli("--layout", "ctdc", "--format", "csv", "--out", str(tmp_path / "x.csv"),
                  "--as", "nobody@enlace.test")  # fmt: skip
    assert result.exit_code == 2


# --- the Reports page ---------------------------------------------------------------------------


def test_the_reports_page_prepares_k_anonymous_files_for_a_manager(demo_db, app_as):
    at = app_as("manager@enlace.test").run()
    at.switch_page("pages/reports.py").run()
    at.radio(key="reports_microdata_layout").set_value("ctdc")
    at.button(key="reports_microdata_prepare").click().run()
    assert not at.exception, at.exception
    message = at.success[0].value
    assert "k-anonymous (k = 11)" in message and "withheld" in message
    keys = {button.key for button in at.get("download_button")}
    assert {"reports_microdata_csv", "reports_microdata_xlsx"} <= keys
    notes = at.dataframe[-1].value  # after the report parts' tables
    assert "Rows withheld (groups smaller than k)" in list(notes["Note"])


def test_the_reports_page_gives_a_coordinator_full_rows(demo_db, app_as):
    at = app_as("coordinator@enlace.test").run()
    at.switch_page("pages/reports.py").run()
    at.button(key="reports_microdata_prepare").click().run()
    assert not at.exception, at.exception
    assert "60 cases, full rows" in at.success[0].value
