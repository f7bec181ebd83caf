"""Parsing an import file's cells (pure): dates, grades, countries, codes and languages as
Moodle and spreadsheets write them; anything else is a ValueError."""

import gettext
import math
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache

import pycountry

from models.enums import Language
from services.courses.import_table import header_key

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "enero", "janeiro"),
            ("february", "febrero", "fevereiro"),
            ("march", "marzo", "marco"),
            ("april", "abril"),
            ("may", "mayo", "maio"),
            ("june", "junio", "junho"),
            ("july", "julio", "julho"),
            ("august", "agosto"),
            ("september", "septiembre", "setiembre", "setembro"),
            ("october", "octubre", "outubro"),
            ("november", "noviembre", "novembro"),
            ("december", "diciembre", "dezembro"),
        ],
        start=1,
    )
    for name in names
}
BLANK = {"", "-", "—"}


def parse_date(text: str) -> date | None:
    """A date as Moodle and spreadsheets write it: 2018-07-03, 03/07/18, 14:05 (day first),
    3 July 2018, or a Unix timestamp. Blank or "-" is None; anything else ValueError."""
    value = text.strip()
    if value in BLANK:
        return None
    if value.isdigit() and len(value) >= 9:
        return datetime.fromtimestamp(int(value), UTC).date()
    if match := re.match(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b", value):
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    if match := re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b", value):
        day, month, year = (int(part) for part in match.groups())
        return date(year + 2000 if year < 100 else year, month, day)
    if match := re.search(r"(\d{1,2})(?:\s+de)?\s+([^\W\d_]+)(?:\s+de)?\s+(\d{4})", value):
        month_number = MONTHS.get(header_key(match.group(2)))
        if month_number:
            return date(int(match.group(3)), month_number, int(match.group(1)))
    raise ValueError(value)


def parse_number(text: str) -> float | None:
    """A grade: 85, 85.5, 85,5 or 85.00 %; blank or "-" is None; anything else ValueError."""
    value = text.strip().rstrip("%").strip().replace(" ", "")
    if value in BLANK:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def parse_grade(text: str) -> float | None:
    """A score or grade between 0 and 100, written as parse_number reads it."""
    number = parse_number(text)
    if number is not None and not 0 <= number <= 100:
        raise ValueError(text)
    return number


@cache
def _country_names() -> dict[str, str]:
    """Country names in English, Spanish and Portuguese, codes and alpha-3 → alpha-2 code."""
    names: dict[str, str] = {}
    catalogs = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("es", "pt", "pt_BR")
    ]
    for country in pycountry.countries:
        code = country.alpha_2
        english = [country.name, getattr(country, "common_name", None)]
        english.append(getattr(country, "official_name", None))
        spellings = [name for name in english if name]
        spellings += [catalog.gettext(name) for catalog in catalogs for name in list(spellings)]
        for spelling in [*spellings, country.alpha_3]:
            names.setdefault(header_key(spelling), code)
    for code in {country.alpha_2 for country in pycountry.countries}:
        names[header_key(code)] = code
    return names


def parse_country(text: str) -> str | None:
    """'AR', 'ARG', 'Argentina', 'Perú', 'Brasil' → the ISO alpha-2 code; blank → None."""
    value = text.strip()
    if value in BLANK:
        return None
    code = _country_names().get(header_key(value))
    if code is None:
        raise ValueError(value)
    return code


def enum_value(text: str, values: type[StrEnum], labels: dict[str, str]) -> str | None:
    value = header_key(text)
    if not value:
        return None
    for member in values:
        if value in {header_key(member.value), header_key(labels.get(member.value, ""))}:
            return member.value
    raise ValueError(text)


def language_code(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    # Moodle writes "es_mx", "pt_br"; a spreadsheet may say "Español".
    code = value[:2]
    if code in {language.value for language in Language}:
        return code
    raise ValueError(text)
