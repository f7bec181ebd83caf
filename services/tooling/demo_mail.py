"""The demo's mail server: a real SMTP server (aiosmtpd) on loopback that keeps each message
it receives as an .eml file and says on the console whom it was for and its subject. The
demo points the ENLACE_SMTP_* settings at it, so the reminders go nowhere else."""

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from models.base import utcnow
from services.platform.i18n import _, get_language, set_language

LOOPBACK = "127.0.0.1"
DEMO_SENDER = "Enlace demo <enlace@enlace.test>"


class MailCatcher:
    """aiosmtpd handler: each message to `folder` as an .eml file, and a line to `report`."""

    def __init__(self, folder: Path, report: Callable[[str], None]) -> None:
        self.folder = folder
        self.report = report
        self.numbers = itertools.count(1)
        # The server's own thread does not inherit the language of the command that starts it.
        self.language = get_language()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{next(self.numbers):03d}.eml"
        path.write_bytes(content)
        recipients = ", ".join(str(address) for address in envelope.rcpt_tos)
        set_language(self.language)
        self.report(
            _("Mail caught for {recipients}: {subject} ({file})").format(
                recipients=recipients, subject=message["Subject"], file=path.name
            )
        )
        return "250 Message accepted"


@contextmanager
def local_smtp(folder: Path, report: Callable[[str], None], *, port: int) -> Iterator[int]:
    """The mail server on 127.0.0.1:`port`, running while the block runs; yields the port."""
    controller = Controller(MailCatcher(folder, report), hostname=LOOPBACK, port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def point_settings_at(smtp_port: int, *, app_port: int) -> dict[str, str]:
    """Set the ENLACE_SMTP_* environment to the local server (the caller clears the settings'
    cache); returns the variables, to show how to run the reminders again by hand."""
    variables = {
        "ENLACE_SMTP_HOST": LOOPBACK,
        "ENLACE_SMTP_PORT": str(smtp_port),
        "ENLACE_SMTP_FROM": DEMO_SENDER,
        "ENLACE_SMTP_STARTTLS": "false",
        "ENLACE_SMTP_USER": "",
        "ENLACE_PUBLIC_URL": f"http://localhost:{app_port}",
    }
    os.environ.update(variables)
    return variables
