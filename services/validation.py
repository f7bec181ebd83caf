"""Plain-words messages for validation errors."""

from pydantic import ValidationError

from services.i18n import _


def field_errors(error: ValidationError) -> dict[str, str]:
    """{field: message} for a form, '' as the key for errors about the whole form."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        messages.setdefault(field, message)
    return messages


def describe(error: ValidationError) -> str:
    """One line per problem: 'Country: 'ZZ' is not an ISO 3166-1 alpha-2 country code'."""
    lines = []
    for field, message in field_errors(error).items():
        name = field.replace("_", " ").capitalize() if field else _("Form")
        lines.append(f"{name}: {message}")
    return _("Please correct the following:") + "\n\n" + "\n\n".join(f"- {line}" for line in lines)
