"""Plain-words messages for validation errors, for forms and the command line."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from models.types import RuleViolation
from services.platform.i18n import N_, _

_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("Too short: use at least {min_length} characters."),
    "string_too_long": N_("Too long: use at most {max_length} characters."),
    "string_pattern_mismatch": N_(
        "Use only letters, digits, dots, dashes and underscores, starting with a letter or a digit."
    ),
    "greater_than_equal": N_("Use a number of at least {ge}."),
    "less_than_equal": N_("Use a number of at most {le}."),
    "date_parsing": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "date_type": N_("Enter a valid date."),
    "float_parsing": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "enum": N_("Choose one of the listed options."),
}
FORM_LEVEL = "__form__"


def form_errors(error: ValidationError) -> dict[str, str]:
    """{field: plain-words message} for a form; errors of the whole form under FORM_LEVEL.

    Errors on one line of a list (loc ("modules", 2)) say which line: "Line 3: ...".
    """
    messages: dict[str, list[str]] = {}
    for detail in error.errors():
        loc = detail["loc"]
        key = str(loc[0]) if loc else FORM_LEVEL
        message = _plain_message(detail)
        if len(loc) > 1 and isinstance(loc[1], int):
            message = _("Line {line}: {message}").format(line=loc[1] + 1, message=message)
        messages.setdefault(key, []).append(message)
    return {key: " ".join(lines) for key, lines in messages.items()}


def _plain_message(detail: Any) -> str:
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "value_error" and "error" in context:
        rule = context["error"]
        if isinstance(rule, RuleViolation):
            text = _(rule.message).format(**rule.params)
        else:
            text = _(str(rule))
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    template = _MESSAGES.get(kind)
    if template is None:
        return str(detail["msg"])
    return _(template).format(**context)


def messages(error: ValidationError, field_labels: Mapping[str, str] | None = None) -> list[str]:
    """One line per field: "Country: 'ZZ' is not an ISO 3166-1 alpha-2 country code."."""
    lines = []
    for field, message in form_errors(error).items():
        if field == FORM_LEVEL:
            lines.append(message)
            continue
        name = (field_labels or {}).get(field)
        shown = _(name) if name else field.replace("_", " ").capitalize()
        lines.append(f"{shown}: {message}")
    return lines


def describe(error: ValidationError) -> str:
    """All problems as one message: a sentence, then one bullet per field."""
    bullets = "\n\n".join(f"- {line}" for line in messages(error))
    return _("Please correct the following:") + "\n\n" + bullets
