"""Spanish and Portuguese all the way (issue 17): formats, time zones, charts, files, the
command line, the models' messages and a language that stays chosen."""

import io
import re
from datetime import UTC, date, datetime

import altair as alt
import pandas as pd
import pytest
from openpyxl import load_workbook
from pydantic import ValidationError
from sqlmodel import select
from typer.testing import CliRunner

from models import ParticipantCreate, UserAccount, UserAccountUpdate
from models.enums import Language
from services.cli.main import app as cli_app
from services.platform import formatting
from services.platform import users as accounts
from services.platform.i18n import ngettext, set_language
from services.platform.validation import form_errors
from services.reporting import charts, progress_view
from services.reporting.export import ExportInfo, to_xlsx
from tests.support import ACCOUNTS

DEC_1 = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("language", "decimal", "thousands", "percent", "day"),
    [
        ("en", "78.7", "1,234", "78.7%", "Dec 1, 2026"),
        ("es", "78,7", "1.234", "78,7%", "1 dic 2026"),
        ("pt", "78,7", "1.234", "78,7%", "1 de dez. de 2026"),
    ],
)
def test_numbers_and_dates_as_the_reader_writes_them(language, decimal, thousands, percent, day):
    set_language(language)
    assert formatting.decimal(78.66) == decimal
    assert formatting.number(1234) == thousands
    assert formatting.percent(0.787, 1) == percent
    assert formatting.date_text(DEC_1) == day
    assert formatting.decimal(None) == "—" and formatting.date_text(None) == ""


def test_times_are_shown_in_the_persons_zone_which_defaults_from_the_country():
    assert formatting.country_time_zone("PY") == "America/Asuncion"
    assert formatting.country_time_zone("BR") == "America/Sao_Paulo"  # of its 16 zones
    assert formatting.country_time_zone(None) == "UTC"
    assert formatting.account_time_zone(None, "AR") == "America/Argentina/Buenos_Aires"
    assert formatting.account_time_zone("Europe/Lisbon", "BR") == "Europe/Lisbon"
    set_language("es")
    formatting.set_time_zone(formatting.account_time_zone(None, "BR"))
    # 13:05 UTC is 10:05 in São Paulo; a stored naive time is UTC.
    assert formatting.datetime_text(datetime(2026, 12, 1, 13, 5)) == "1 dic 2026, 10:05 (UTC-03)"
    formatting.set_time_zone("Asia/Tokyo")
    # A late UTC evening is the next day in Tokyo: the date follows the zone too.
    assert formatting.date_text(datetime(2026, 12, 1, 20, 0, tzinfo=UTC)) == "2 dic 2026"


def test_counts_use_the_plural_rule_of_the_language():
    for language, one, two in [
        ("en", "1 day in stage", "1,234 days in stage"),
        ("es", "1 día en la etapa", "1.234 días en la etapa"),
        ("pt", "1 dia na etapa", "1.234 dias na etapa"),
    ]:
        set_language(language)
        forms = ("{count} day in stage", "{count} days in stage")
        assert formatting.counted(ngettext(*forms, 1), 1) == one
        assert formatting.counted(ngettext(*forms, 1234), 1234) == two


def _monthly_chart() -> alt.Chart:
    months = pd.DataFrame(
        {"month": pd.date_range("2026-01-01", periods=6, freq="MS"), "cases": [3, 5, 2, 8, 13, 21]}
    )
    return alt.Chart(months).mark_line().encode(x="month:T", y="cases:Q")


def test_a_portuguese_chart_file_has_portuguese_month_names():
    set_language("pt")
    svg = charts.render(_monthly_chart(), "svg").decode()
    shown = set(re.findall(r">([^<>]+)</text>", svg))
    assert {"fevereiro", "março", "abril"} <= shown, shown
    assert not {"February", "March", "April"} & shown
    png = charts.render(_monthly_chart(), "png")
    assert png.startswith(b"\x89PNG") and len(png) > 1000
    set_language("en")
    english = charts.render(_monthly_chart(), "svg").decode()
    assert "February" in english and "fevereiro" not in english


def test_the_pages_chart_specs_carry_the_readers_locale():
    set_language("es")
    spec = _monthly_chart().to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["config"]["locale"]["time"]["shortMonths"][0] == "ene"
    set_language("pt")
    time_locale = _monthly_chart().to_dict()["config"]["locale"]["time"]
    assert time_locale["shortMonths"][:2] == ["jan.", "fev."]
    assert time_locale["days"][0] == "domingo"  # d3 counts from Sunday


def test_xlsx_keeps_numbers_and_dates_formatted_by_the_cell():
    set_language("es")
    frame = pd.DataFrame(
        {"País": ["Brasil", "Chile"], "Tasa": [0.787, "x"], "Fecha": [DEC_1, DEC_1]}
    )
    frame.attrs["number_formats"] = {"Tasa": "0%"}
    sheet = load_workbook(io.BytesIO(to_xlsx(frame, ExportInfo(title="Prueba")))).active
    rate, hidden, day = sheet["B2"], sheet["B3"], sheet["C2"]
    assert rate.value == pytest.approx(0.787) and rate.number_format == "0%"
    assert hidden.value == "x"
    assert day.is_date and day.number_format == "dd/mm/yyyy"


def test_the_progress_table_keeps_numbers_for_files_and_formats_them_for_the_page():
    frame = pd.DataFrame({"Completion rate": [0.787, "x"], "Average final grade": [78.66, None]})
    frame.attrs["number_formats"] = {"Completion rate": "0%", "Average final grade": "0.0"}
    set_language("pt")
    shown = progress_view.page_table(frame)
    assert list(shown["Completion rate"]) == ["79%", "x"]
    assert list(shown["Average final grade"]) == ["78,7", "—"]


@pytest.mark.parametrize(
    ("email", "spanish"),
    [
        ("@consul.test", "'@consul.test' no es una dirección de correo electrónico válida: no hay "
         "nada antes de la @."),
        ("ana@consul", "'ana@consul' no es una dirección de correo electrónico válida: el dominio "
         "después de la @ necesita un punto (p. ej., ejemplo.org)."),
        ("ana maria@consul.test", "'ana maria@consul.test' no es una dirección de correo "
         "electrónico válida: estos caracteres no se admiten antes de la @: SPACE."),
    ],
)  # fmt: skip
def test_email_reasons_are_translated_with_their_details(email, spanish):
    with pytest.raises(ValidationError) as raised:
        ParticipantCreate(full_name="Ana", email=email)
    assert "not a valid email" in str(raised.value)  # English for logs and the command line
    set_language("es")
    assert form_errors(raised.value)["email"] == spanish


def test_the_models_messages_are_ids_with_parameters():
    with pytest.raises(ValidationError) as raised:
        UserAccountUpdate(country="ZZ", time_zone="Mars/Olympus")
    set_language("pt")
    errors = form_errors(raised.value)
    assert errors["country"] == "'ZZ' não é um código de país ISO 3166-1 alfa-2."
    assert errors["time_zone"].startswith("'Mars/Olympus' não é um fuso horário")


def test_the_import_preview_gives_its_reasons_in_the_readers_language(
    session, users, make_scheduled_course
):
    from services.courses import imports

    course = make_scheduled_course(users["coordinator"])
    data = b"full_name,email,country\nAna,ana@consul,AR\n"
    set_language("pt")
    preview = imports.preview_import(
        session=session, actor=users["coordinator"], course_id=course.id, data=data,
        filename="people.csv",
    )  # fmt: skip
    [rejection] = preview.rejected
    assert "o domínio depois do @ precisa de um ponto" in rejection.reason


def test_a_person_keeps_their_own_language_and_time_zone(session, users):
    officer = users["officer_ar"]
    accounts.set_own_preferences(
        session=session,
        actor=officer,
        preferences=UserAccountUpdate(preferred_language=Language.pt, time_zone="America/Asuncion"),
    )
    session.commit()
    stored = session.get(UserAccount, officer.id)
    assert (stored.preferred_language, stored.time_zone) == (Language.pt, "America/Asuncion")
    # Only the preferences are taken: a role in the same update changes nothing.
    accounts.set_own_preferences(
        session=session, actor=officer, preferences=UserAccountUpdate(time_zone=None, role="admin")
    )
    session.commit()
    stored = session.get(UserAccount, officer.id)
    assert (stored.role, stored.time_zone) == ("officer", None)


def _sidebar_language(at) -> str:
    [picker] = [box for box in at.sidebar.selectbox if box.key == "language_picker"]
    return picker.value


def test_the_sidebar_choice_is_saved_and_wins_at_the_next_visit(demo_db, app_as):
    coordinator = ACCOUNTS["coordinator"]  # Spanish on the account
    at = app_as(coordinator, language=None).run()
    assert _sidebar_language(at) == "es"
    [picker] = [box for box in at.sidebar.selectbox if box.key == "language_picker"]
    set_language("es")  # AppTest formats the page's options in the test's language
    picker.set_value("pt").run()
    assert not at.exception, at.exception
    assert _sidebar_language(at) == "pt"
    demo_db.commit()  # end this session's snapshot: read what the app wrote
    account = demo_db.exec(select(UserAccount).where(UserAccount.email == coordinator)).one()
    assert account.preferred_language == Language.pt
    # A new visit (a reload: a new session) opens in Portuguese.
    again = app_as(coordinator, language=None).run()
    assert _sidebar_language(again) == "pt"
    assert "Sair" in [button.label for button in again.sidebar.button]


def test_the_uploader_refuses_another_file_type_in_words(demo_db, app_as):
    set_language("es")  # AppTest formats the page's options in the test's language
    at = app_as(ACCOUNTS["coordinator"], language="es").run()
    at.switch_page("pages/courses.py").run()
    [section] = [group for group in at.button_group if group.key == "courses_section"]
    section.set_value("import").run()
    at.file_uploader[0].set_value(("acta.pdf", b"%PDF-1.7", "application/pdf")).run()
    assert not at.exception, at.exception
    assert [error.value for error in at.error] == [
        "acta.pdf no se puede importar: no es un archivo CSV (.csv, .txt) ni Excel (.xlsx). "
        "Guárdelo en uno de esos formatos y vuelva a elegirlo."
    ]


def _cli(*args: str):
    return CliRunner().invoke(cli_app, list(args))


def test_the_command_line_speaks_lang_or_the_accounts_language(
    session, users, tmp_path, seed_cases
):
    seed_cases(users["coordinator"])
    out = tmp_path / "etapas.csv"
    result = _cli("--lang", "es", "export", "reports", "--report", "stage", "--format", "csv",
                  "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "la exportación queda registrada" in result.output
    assert "# Título:" in out.read_text(encoding="utf-8-sig")
    manager = users["manager"]
    manager.preferred_language = Language.pt
    session.add(manager)
    session.commit()
    out = tmp_path / "etapas-pt.csv"
    result = _cli("export", "reports", "--report", "stage", "--format", "csv",
                  "--as", manager.email, "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a exportação fica registrada" in result.output
    assert "# Título:" in out.read_text(encoding="utf-8-sig")
    # --lang wins over the account's language.
    result = _cli("--lang", "en", "export", "reports", "--report", "stage", "--format", "csv",
                  "--as", manager.email, "--out", str(out))  # fmt: skip
    assert "the export is audited" in result.output
    refused = _cli("--lang", "pt", "export", "reports", "--format", "png", "--out", str(out),
                   "--report", "all")  # fmt: skip
    assert refused.exit_code == 2 and "gera um pacote" in refused.output


def test_an_administrator_sets_a_time_zone_from_the_command_line(session, users):
    officer = users["officer_ar"]
    result = _cli("users", "set", officer.email, "--time-zone", "America/Asuncion")
    assert result.exit_code == 0, result.output
    session.commit()  # end the read snapshot: see what the command wrote
    session.expire_all()
    assert session.get(UserAccount, officer.id).time_zone == "America/Asuncion"
    wrong = _cli("--lang", "es", "users", "set", officer.email, "--time-zone", "Asuncion")
    assert wrong.exit_code == 2
    assert "'Asuncion' no es una zona horaria" in wrong.output
    back = _cli("users", "set", officer.email, "--time-zone", "country")
    assert back.exit_code == 0, back.output
    session.commit()  # end the read snapshot: see what the command wrote
    session.expire_all()
    assert session.get(UserAccount, officer.id).time_zone is None


def test_a_download_built_later_keeps_the_language_and_time_zone_of_who_asked():
    import threading

    set_language("pt")
    formatting.set_time_zone("America/Asuncion")
    build = charts.deferred(lambda: f"{formatting.get_time_zone()} {formatting.decimal(1.5)}")
    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(build()))  # a server thread
    worker.start()
    worker.join()
    assert results == ["America/Asuncion 1,5"]


def test_a_person_chooses_their_time_zone_in_the_sidebar(demo_db, app_as):
    officer = ACCOUNTS["officer"]  # Argentina
    at = app_as(officer).run()
    [picker] = [box for box in at.sidebar.selectbox if box.key == "time_zone_picker"]
    assert picker.value == "America/Argentina/Buenos_Aires"  # the country's, until chosen
    picker.set_value("America/Asuncion").run()
    assert not at.exception, at.exception
    demo_db.commit()  # end this session's snapshot: read what the app wrote
    account = demo_db.exec(select(UserAccount).where(UserAccount.email == officer)).one()
    assert account.time_zone == "America/Asuncion"
