"""Fixtures of the follow-ups, My tasks and the reminders (a pytest plugin named in
`tests/conftest.py`): an organisation, a case that consents to referrals, a due date set,
and a real local SMTP server that keeps what it receives."""

from collections.abc import Callable, Iterator
from datetime import date
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlmodel import Session

from models import Case, Organisation, UserAccount
from models.enums import OrgType
from services.cases import intake
from tests.e2e.support import free_port
from tests.support import case_form


@pytest.fixture
def make_organisation(session: Session) -> Callable[..., Organisation]:
    """`make_organisation(country, response_days=10, name=...)`: an active NGO, committed."""

    def make(country: str, response_days: int = 10, name: str = "") -> Organisation:
        organisation = Organisation(
            name=name or f"Refugio {country} {response_days}",
            org_type=OrgType.NGO,
            country=country,
            services=["shelter"],
            response_days=response_days,
        )
        session.add(organisation)
        session.commit()
        session.refresh(organisation)
        return organisation

    return make


@pytest.fixture
def consenting_case(session: Session) -> Callable[..., Case]:
    """`consenting_case(actor, **overrides)`: a case whose person consented to referrals to
    service providers, committed."""

    def open_(actor: UserAccount, **overrides: object) -> Case:
        form = case_form(
            consent_given=True,
            consent_date=date(2026, 3, 2),
            consent_scope=["service_providers"],
            **overrides,
        )
        case = intake.create_case(session=session, actor=actor, case_in=form)
        session.commit()
        return case

    return open_


@pytest.fixture
def set_follow_up(session: Session) -> Callable[[Case, date | None], None]:
    """`set_follow_up(case, day)`: the case's next follow-up is `day` (set-up, no workflow)."""

    def set_(case: Case, day: date | None) -> None:
        case.next_follow_up_on = day
        session.add(case)
        session.commit()

    return set_


class MailBox:
    """An aiosmtpd handler keeping each message it accepts; refuses the `refused` addresses."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refused: set[str] = set()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: SMTPSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refused:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: SMTPSession, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailBox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) and the ENLACE_SMTP_* settings pointing at it."""
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ENLACE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ENLACE_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("ENLACE_SMTP_FROM", "enlace@enlace.test")
    monkeypatch.setenv("ENLACE_SMTP_STARTTLS", "false")
    try:
        yield box
    finally:
        controller.stop()
