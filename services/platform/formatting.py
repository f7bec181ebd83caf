"""Dates, times, numbers, percentages and counts as the reader writes them (Babel/CLDR).

The language is the run's (`i18n.get_language()`); times are shown in the run's time zone,
set from the account (`set_time_zone`), whose default comes from the account's country.
"es" reads "78,7", "1.234" and "1 dic 2026"; "pt" reads "78,7" and "1 de dez. de 2026";
"en" reads "78.7", "1,234" and "Dec 1, 2026". Vega-Lite charts get the same symbols and month
names through `vega_locale()` (`config.locale`, and vl-convert's locale arguments).
"""

from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.core import get_global

from services.platform.i18n import get_language

# Babel's locale of each language: Spanish with the decimal comma of the Southern Cone (es_419
# follows Mexico's point), Portuguese as in Brazil.
LOCALES = {"en": "en", "es": "es", "pt": "pt_BR"}
DEFAULT_TIME_ZONE = "UTC"
# A country with several zones takes the one where most of its people live; any other
# country its only (or first) zone in CLDR.
MAIN_ZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "MX": "America/Mexico_City",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "US": "America/New_York",
}

_time_zone: ContextVar[str] = ContextVar("time_zone", default=DEFAULT_TIME_ZONE)


def locale(language: str | None = None) -> Locale:
    """Babel's locale for a language of the app (the run's by default)."""
    return _locale(language or get_language())


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, "en"))


def is_time_zone(name: str) -> bool:
    """True for an IANA time zone name such as "America/Asuncion"."""
    return name in _zone_names()


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_names() -> list[str]:
    """Every IANA zone by its region and city ("America/Asuncion"), sorted; no aliases such
    as "US/Eastern" or "Etc/GMT+3"."""
    return sorted(name for name in _zone_names() if "/" in name and name.split("/")[0] in _REGIONS)


_REGIONS = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
            "Indian", "Pacific"}  # fmt: skip


def country_time_zone(country: str | None) -> str:
    """The usual time zone of a country (ISO alpha-2); UTC for none or an unknown one."""
    if not country:
        return DEFAULT_TIME_ZONE
    code = country.upper()
    if code in MAIN_ZONES:
        return MAIN_ZONES[code]
    zones = get_global("territory_zones").get(code) or [DEFAULT_TIME_ZONE]
    return next((zone for zone in zones if is_time_zone(zone)), DEFAULT_TIME_ZONE)


def account_time_zone(time_zone: str | None, country: str | None) -> str:
    """The zone set on an account, else its country's."""
    return time_zone if time_zone and is_time_zone(time_zone) else country_time_zone(country)


def set_time_zone(name: str | None) -> None:
    _time_zone.set(name if name and is_time_zone(name) else DEFAULT_TIME_ZONE)


def get_time_zone() -> str:
    return _time_zone.get()


def _zone() -> tzinfo:
    try:
        return ZoneInfo(_time_zone.get())
    except ZoneInfoNotFoundError:
        return UTC


def local_time(moment: datetime) -> datetime:
    """A moment in the run's time zone (a naive datetime is read as UTC, as stored)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone())


def date_text(day: date | datetime | None, *, style: str = "medium") -> str:
    """'Dec 1, 2026' / '1 dic 2026' / '1 de dez. de 2026'; a datetime by its local day; empty
    for none. style "short": '12/1/26' / '1/12/26' / '01/12/2026'."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = local_time(day).date()
    return babel_dates.format_date(day, style, locale=locale())


def month_text(month: str) -> str:
    """A month 'YYYY-MM' as the reader names it: 'Oct 2025' / 'oct 2025' / 'out. de 2025'."""
    year, number = (int(part) for part in month.split("-"))
    return babel_dates.format_skeleton("yMMM", date(year, number, 1), locale=locale())


def datetime_text(moment: datetime | None) -> str:
    """Date and time in the reader's zone, with the zone: '1 dic 2026, 10:05 (UTC-3)'."""
    if moment is None:
        return ""
    local = local_time(moment)
    offset = babel_dates.get_timezone_gmt(local, width="iso8601_short", locale=locale())
    time = babel_dates.format_time(local, "short", locale=locale())
    return f"{date_text(local.date())}, {time} (UTC{offset.removeprefix('UTC')})"


def number(value: int | float | None) -> str:
    """'1,234' / '1.234'; '—' for none."""
    if value is None or value_is_missing(value):
        return "—"
    return babel_numbers.format_decimal(value, locale=locale())


def decimal(value: float | None, digits: int = 1) -> str:
    """'78.7' / '78,7' with exactly `digits` decimals; '—' for none."""
    if value is None or value_is_missing(value):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=locale())


def signed(value: float) -> str:
    """A whole number with its sign: '+12', '-3', '+1.234' / '+1,234'."""
    return babel_numbers.format_decimal(value, format="+#,##0;-#,##0", locale=locale())


def percent(fraction: float | None, digits: int = 0) -> str:
    """A fraction as a percentage: 0.787 → '79%' / '79 %' (digits=1: '78,7 %'); '—' for none."""
    if fraction is None or value_is_missing(fraction):
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_numbers.format_percent(fraction, format=pattern, locale=locale())


def value_is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def counted(form: str, count: int) -> str:
    """The count formatted into the form `i18n.ngettext` chose for it:
    counted(ngettext("{count} day", "{count} days", n), n) → '1 day', '2 days', '1.234 días'."""
    return form.format(count=number(count))


def vega_locale(language: str | None = None) -> dict[str, dict[str, Any]]:
    """Vega-Lite's `config.locale` for the language: d3's number and time format locales
    (decimal and group symbols, month and day names, date patterns) from CLDR."""
    return _vega_locale(language or get_language())


@cache
def _vega_locale(language: str) -> dict[str, dict[str, Any]]:
    data = _locale(language)
    symbols = data.number_symbols["latn"]
    months = data.months["format"]
    days = data.days["format"]
    # CLDR counts days from Monday (0); d3 from Sunday.
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    periods = data.day_periods["format"]["abbreviated"]
    number_locale = {
        "decimal": symbols["decimal"],
        "thousands": symbols["group"],
        "grouping": [3],
        "currency": ["", ""],
        "percent": "\u202f%" if language in ("es", "pt") else "%",
    }
    time_locale = {
        "dateTime": "%x, %X",
        "date": "%d/%m/%Y" if language in ("es", "pt") else "%m/%d/%Y",
        "time": "%H:%M:%S" if language in ("es", "pt") else "%I:%M:%S %p",
        "periods": [periods.get("am", "AM"), periods.get("pm", "PM")],
        "days": [days["wide"][index] for index in sunday_first],
        "shortDays": [days["abbreviated"][index] for index in sunday_first],
        "months": [months["wide"][index] for index in range(1, 13)],
        "shortMonths": [months["abbreviated"][index] for index in range(1, 13)],
    }
    return {"number": number_locale, "time": time_locale}
