"""Sending e-mail through the SMTP server of the settings (ENLACE_SMTP_*), standard library only."""

import smtplib
import ssl
from email.message import EmailMessage

from services.platform.settings import Settings


def missing_setting(settings: Settings) -> str | None:
    """One line naming the SMTP setting that is missing, or None when mail can be sent."""
    if not settings.smtp_host:
        return "Configuration error: ENLACE_SMTP_HOST is not set: no server to send e-mail through."
    if not settings.smtp_from:
        return "Configuration error: ENLACE_SMTP_FROM is not set: the sender's address is needed."
    if settings.smtp_user and not settings.smtp_password.get_secret_value():
        return "Configuration error: ENLACE_SMTP_PASSWORD is not set, but ENLACE_SMTP_USER is."
    return None


def send(settings: Settings, message: EmailMessage) -> None:
    """Send one message; smtplib.SMTPException or OSError when the server refuses or is away."""
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as server:
        if settings.smtp_starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            server.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        server.send_message(message)
