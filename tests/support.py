"""Plain constants and helpers with no set-up of their own, shared by the test modules.

Set-ups (accounts, cases, courses) are fixtures: `tests/conftest.py` and the plugin modules
it names (`tests/fixtures_*.py`). A test module imports from here, never from another test
module (`tests/test_architecture.py` checks it)."""

import os
import pwd
import subprocess
from datetime import date
from pathlib import Path

from models import CaseCreate, CourseCreate
from models.enums import Stage
from services.cases import intake
from services.courses import catalog as courses

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")

# --- AppTest: the accounts of the demo data (the `app_as` fixture signs one in) ----------

ACCOUNTS = {
    "admin": "admin@enlace.test",
    "coordinator": "coordinator@enlace.test",
    "manager": "manager@enlace.test",
    "officer": "officer.ar@enlace.test",
    "partner": "ngo.py@enlace.test",
}
OFFICER = ACCOUNTS["officer"]
COORDINATOR = ACCOUNTS["coordinator"]
PARTNER = ACCOUNTS["partner"]


# --- cases ------------------------------------------------------------------------------


def case_form(**overrides: object) -> CaseCreate:
    """A valid new-referral form for Argentina, with `overrides` applied."""
    data: dict[str, object] = {
        "reporting_country": "AR",
        "consular_post": "São Paulo",
        "identified_on": date(2026, 3, 2),
        "person_alias": "M.G.",
        "age_band": "24-26",
        "situation": "trafficking",
        "exploitation_types": ["ForcedLabour"],
        "urgency": "medium",
    }
    data.update(overrides)
    return CaseCreate.model_validate(data)


def validate_case_form(**fields: object) -> tuple[CaseCreate | None, dict[str, str]]:
    """The new-referral form's check (`validate_new_case`) of `case_form()` with `fields`
    replaced: the new case, or None and a message per field."""
    return intake.validate_new_case(case_form().model_dump() | fields)


REPORT_ALIAS = "Z.Q."
# (reporting country, stage, situation, identified on) — the hand-counted cases of the
# reports' tests (the `seed_cases` fixture opens them).
REPORT_CASES = [
    ("AR", Stage.identified, "trafficking", date(2026, 1, 10)),
    ("AR", Stage.identified, "trafficking", date(2026, 1, 25)),
    ("AR", Stage.referred, "labour_rights_violation", date(2026, 3, 3)),
    ("BR", Stage.referred, "trafficking", date(2026, 3, 15)),
    ("BR", Stage.closed, "migrant_smuggling", date(2025, 12, 31)),
    ("PY", Stage.assistance, "undetermined", date(2026, 3, 31)),
    ("AR", Stage.assistance, "trafficking", date(2026, 1, 1)),
]

# --- courses ----------------------------------------------------------------------------

COURSE_MODULES = ["Trafficking and smuggling", "Assistance to victims", "Return coordination"]


def course_form(code: str = "CTR-2018", **fields: object) -> CourseCreate:
    """A valid new-course form, with `fields` applied."""
    values: dict[str, object] = {
        "code": code,
        "title": "Consular detection of trafficking",
        "organiser": "IOM / IPPDH",
        "starts_on": date(2018, 5, 7),
        "ends_on": date(2018, 7, 3),
    }
    values.update(fields)
    return CourseCreate(**values)


def enroll(session, actor, participant, course, **fields):
    """`courses.enroll` of `participant` in `course`, with `fields` (status, enrolled_on)."""
    return courses.enroll(
        session=session,
        actor=actor,
        participant_id=participant.id,
        course_id=course.id,
        **fields,
    )


# The day the scheduled course (the `make_scheduled_course` fixture) is looked at.
TODAY = date(2018, 6, 15)
ENDS_ON = date(2018, 7, 3)

# --- the [auth] secrets -----------------------------------------------------------------

STRONG = "Zx8-q2LmN4vR7tY1wE5uI9oP3aS6dF0gH2jK"
ENTRA = "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration"


def production_auth(**values) -> dict:
    """A complete [auth] section for a production deployment on Entra ID."""
    return {
        "redirect_uri": "https://enlace.example.org/oauth2callback",
        "cookie_secret": STRONG,
        "client_id": "enlace",
        "client_secret": "s3cret-from-the-provider",
        "server_metadata_url": ENTRA,
        **values,
    }


# --- nginx in front of the replicas ---------------------------------------------------------


def nginx_workers_run_as_expected(master_pid: int) -> None:
    """nginx's workers run as the unprivileged user when started by root (CI), else as the
    person who started them: never as root unless root started them and chose it."""
    from services.tooling.cluster import worker_user

    workers = subprocess.run(
        ["ps", "-o", "user=", "--ppid", str(master_pid)], capture_output=True, text=True, check=True
    ).stdout.split()
    user = worker_user()
    expected = user.name if user else pwd.getpwuid(os.geteuid()).pw_name
    assert workers and set(workers) == {expected}
