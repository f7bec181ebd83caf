"""Validated field types shared by the create/update schemas."""

from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator


def _country_code(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
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
        raise ValueError(f"'{value}' is not a valid email address: {error}") from None
    return checked.normalized.lower()


CountryCode = Annotated[str, AfterValidator(_country_code)]
"""A real ISO 3166-1 alpha-2 code, normalised to upper case ('ar' → 'AR')."""

Email = Annotated[str, BeforeValidator(_strip), AfterValidator(_email)]
"""An email address, stored lower-case so lookups are case-insensitive."""

Text = Annotated[str, BeforeValidator(_strip)]
