"""E-mail reminders (issue 14): `enlace reminders send` against a real SMTP server (aiosmtpd):
one digest a person in their language, never twice, a failed recipient tried again next run,
a dry run that sends nothing, and the settings' errors in one line."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlmodel import select
from typer.testing import CliRunner

from models import AuditEvent, ReminderSent
from models.base import utcnow
from models.enums import Language
from services.cases import records
from services.cli.main import app
from services.tooling import demo_mail
from tests.e2e.support import free_port

TODAY = utcnow().date()
AR, BR = "officer.ar@enlace.test", "officer.br@enlace.test"


def send(*args: str):
    return CliRunner().invoke(app, ["reminders", "send", *args], env={"COLUMNS": "200"})


@pytest.fixture
def due_cases(session, users, open_case, set_follow_up):
    """An overdue Argentine case and a Brazilian one due today; the Argentine officer reads
    Spanish."""
    users["officer_ar"].preferred_language = Language.es
    session.add(users["officer_ar"])
    ar_case = open_case(users["officer_ar"])
    set_follow_up(ar_case, TODAY - timedelta(days=2))
    br_case = open_case(users["officer_br"], reporting_country="BR")
    set_follow_up(br_case, TODAY)
    return {"ar": ar_case, "br": br_case}


def test_each_person_gets_one_digest_in_their_language_once(smtp_server, due_cases, session):
    result = send()
    assert result.exit_code == 0, result.output
    assert "Sent 2 digests to 2 people; 0 failed." in result.output
    spanish, english = smtp_server.to(AR), smtp_server.to(BR)
    assert len(spanish) == 1 and len(english) == 1
    assert spanish[0]["Subject"] == "Recordatorio de Enlace: vencidos o por vencer (1)"
    body = spanish[0].get_payload(decode=True).decode()
    ar_code = due_cases["ar"].case_code
    # The date as Spanish writes it: "29 nov 2026".
    overdue_since = format_date(TODAY - timedelta(days=2), "medium", locale="es")
    assert f"{ar_code} · ⚠ Vencido desde el {overdue_since}" in body
    assert f"http://localhost:8501/case?code={ar_code}" in body
    assert "M.G." not in body  # the alias never leaves the app
    assert due_cases["br"].case_code not in body
    assert "Due today" in english[0].get_payload(decode=True).decode()
    # The same day again: nothing new, nothing sent.
    again = send()
    assert again.exit_code == 0, again.output
    assert "Nothing to remind" in again.output
    assert len(smtp_server.messages) == 2
    session.commit()
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "reminder_sent")).all())


def test_a_new_due_item_is_sent_alone(smtp_server, due_cases, session, users, open_case):
    assert send().exit_code == 0
    session.commit()
    newer = open_case(users["officer_ar"])
    newer.next_follow_up_on = TODAY
    session.add(newer)
    session.commit()
    result = send()
    assert "Sent 1 digest to 1 person; 0 failed." in result.output
    latest = smtp_server.to(AR)[-1].get_payload(decode=True).decode()
    assert newer.case_code in latest and due_cases["ar"].case_code not in latest


def test_a_refused_recipient_is_reported_and_tried_again_next_run(smtp_server, due_cases, session):
    smtp_server.refused.add(BR)
    result = send()
    assert result.exit_code == 1
    assert f"Not sent to {BR}" in result.output and "tried again next run" in result.output
    assert "Sent 1 digest to 1 person; 1 failed." in result.output
    assert len(smtp_server.to(AR)) == 1 and smtp_server.to(BR) == []
    smtp_server.refused.clear()
    retried = send()
    assert retried.exit_code == 0, retried.output
    assert "Sent 1 digest to 1 person; 0 failed." in retried.output
    assert len(smtp_server.to(BR)) == 1 and len(smtp_server.to(AR)) == 1


def test_a_dry_run_says_who_would_get_what_and_sends_nothing(smtp_server, due_cases, session):
    result = send("--dry-run")
    assert result.exit_code == 0, result.output
    assert f"Would send to {AR} (es): 1 reminder: {due_cases['ar'].case_code}" in result.output
    assert "Dry run, nothing sent: 2 digests would be sent." in result.output
    assert smtp_server.messages == []
    session.commit()
    assert session.exec(select(ReminderSent)).all() == []
    assert send().exit_code == 0 and len(smtp_server.messages) == 2


def test_a_late_referral_reminds_the_coordinator_who_sent_it(
    smtp_server, session, users, consenting_case, make_organisation
):
    case = consenting_case(users["officer_ar"])
    records.refer_case(
        session=session,
        actor=users["coordinator"],
        case_code=case.case_code,
        organisation_id=make_organisation("AR", response_days=3, name="Casa Refugio").id,
        service="shelter",
        sent_on=TODAY - timedelta(days=5),
        expected_version=case.version,
    )
    session.commit()
    assert send().exit_code == 0
    body = smtp_server.to("coordinator@enlace.test")[0].get_payload(decode=True).decode()
    assert "Answer to the referral from Casa Refugio (Shelter)" in body


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ENLACE_SMTP_HOST": ""}, "ENLACE_SMTP_HOST is not set"),
        ({"ENLACE_SMTP_FROM": ""}, "ENLACE_SMTP_FROM is not set"),
        ({"ENLACE_SMTP_USER": "mailer"}, "ENLACE_SMTP_PASSWORD is not set"),
        ({"ENLACE_SMTP_PORT": "smtp"}, "ENLACE_SMTP_PORT"),
    ],
)
def test_a_missing_or_bad_smtp_setting_is_one_line_and_exit_2(
    smtp_server, due_cases, monkeypatch, env, named
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = send()
    assert result.exit_code == 2
    assert named in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert smtp_server.messages == []


def test_the_demo_mail_server_keeps_each_reminder_as_eml_and_says_so(
    due_cases, session, tmp_path, monkeypatch
):
    for name in ("HOST", "PORT", "FROM", "STARTTLS", "USER"):
        monkeypatch.setenv(f"ENLACE_SMTP_{name}", "")  # restored after the test
    monkeypatch.setenv("ENLACE_PUBLIC_URL", "")
    port = free_port()
    lines: list[str] = []
    demo_mail.point_settings_at(port, app_port=8599)
    with demo_mail.local_smtp(tmp_path / "mail", lines.append, port=port):
        result = send()
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    assert f"Mail caught for {AR}: Recordatorio de Enlace: vencidos o por vencer (1)" in lines[0]
    assert "http://localhost:8599/case?code=" in files[0].read_text() + files[1].read_text()
