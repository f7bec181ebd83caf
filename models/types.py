"""Validated field types shared by the create/update schemas.

Their messages are message ids with parameters (`RuleViolation`): `validation.describe`
shows them in the reader's language; `str()` is the English text (command line, logs).
"""

import re
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

import pycountry
from pydantic import AfterValidator, BeforeValidator


def N_(message: str) -> str:
    """Marks a message id for extraction (models may not import services.platform.i18n)."""
    return message


class RuleViolation(ValueError):
    """A rule's message id and its parameters (`raise RuleViolation(N_("'{value}' is ..."),
    value=value)`)."""

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params) if params else message)


def _country_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise RuleViolation(N_("'{value}' is not an ISO 3166-1 alpha-2 country code"), value=value)
    return code


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _email(value: str) -> str:
    # Imported on first use: compiling its patterns is ~15 ms of every command's start.
    from email_validator import EmailNotValidError, validate_email

    try:
        # test_environment admits the reserved ".test" domain of the demo accounts.
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        reason, params = _email_reason(str(error))
        raise RuleViolation(reason, value=value, **params) from None
    return checked.normalized.lower()


# email_validator's reasons (English only) → ours, with the characters it names, if any.
_EMAIL_REASONS: tuple[tuple[str, str], ...] = (
    (
        r"must have an @-sign",
        N_("'{value}' is not a valid email address: it has no @ sign."),
    ),
    (
        r"something before the @-sign",
        N_("'{value}' is not a valid email address: there is nothing before the @ sign."),
    ),
    (
        r"something after the @-sign",
        N_("'{value}' is not a valid email address: there is nothing after the @ sign."),
    ),
    (
        r"after the @-sign is not valid\. It should have a period",
        N_(
            "'{value}' is not a valid email address: the domain after the @ sign needs a dot "
            "(e.g. example.org)."
        ),
    ),
    (
        r"invalid characters before the @-sign: (?P<chars>.+?)\.?$",
        N_(
            "'{value}' is not a valid email address: these characters are not allowed before the "
            "@ sign: {chars}."
        ),
    ),
    (
        r"after the @-sign contains invalid characters: (?P<chars>.+?)\.?$",
        N_(
            "'{value}' is not a valid email address: these characters are not allowed after the "
            "@ sign: {chars}."
        ),
    ),
    (
        r"two periods in a row",
        N_("'{value}' is not a valid email address: it has two dots in a row."),
    ),
    (
        r"period immediately (before|after) the @-sign|cannot (start|end) with a period",
        N_(
            "'{value}' is not a valid email address: a dot cannot stand next to the @ sign or at "
            "either end."
        ),
    ),
    (
        r"hyphen",
        N_(
            "'{value}' is not a valid email address: a part of the domain cannot start or end "
            "with a hyphen."
        ),
    ),
    (
        r"too long",
        N_("'{value}' is not a valid email address: it is too long."),
    ),
)
_EMAIL_OTHER = N_("'{value}' is not a valid email address.")


def _email_reason(reason: str) -> tuple[str, dict[str, str]]:
    """Our message id for email_validator's reason, and the parameters it names."""
    for pattern, message in _EMAIL_REASONS:
        found = re.search(pattern, reason)
        if found:
            chars = found.groupdict().get("chars")
            return message, ({"chars": chars} if chars else {})
    return _EMAIL_OTHER, {}


def _time_zone(value: str) -> str:
    name = value.strip()
    if name not in _zone_names():
        raise RuleViolation(
            N_("'{value}' is not a time zone: use a name such as America/Asuncion"), value=value
        )
    return name


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


CountryCode = Annotated[str, AfterValidator(_country_code)]
"""A real ISO 3166-1 alpha-2 code, normalised to upper case ('ar' → 'AR')."""

Email = Annotated[str, BeforeValidator(_strip), AfterValidator(_email)]
"""An email address, stored lower-case so lookups are case-insensitive."""

Text = Annotated[str, BeforeValidator(_strip)]

TimeZone = Annotated[str, AfterValidator(_time_zone)]
"""An IANA time zone name, e.g. 'America/Sao_Paulo'."""
