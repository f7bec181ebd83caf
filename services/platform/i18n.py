"""Translation: gettext catalogs in locales/<lang>/LC_MESSAGES/enlace.po.

Every user-facing string goes through `_()`. The language is per script run (a context
variable set by app.py from the user's preference); English is the source language.
Extract new strings with `pybabel extract` (see README, "Translations").
"""

import gettext
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

# The project root, found here rather than in settings: the command line shows its help
# without loading pydantic (tests/test_cli_start.py).
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "enlace"
LANGUAGES = {"en": "English", "es": "Español", "pt": "Português"}

_language: ContextVar[str] = ContextVar("language", default="en")


@cache
def _read(language: str) -> Catalog | None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → msgstr for one language (empty for English, the source language)."""
    messages = _read(language)
    if messages is None:
        return {}
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


@cache
def plural_catalog(language: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """(singular, plural) msgids → their msgstr forms, every form translated (else none)."""
    messages = _read(language)
    if messages is None:
        return {}
    return {
        (str(message.id[0]), str(message.id[1])): tuple(str(form) for form in message.string)
        for message in messages
        if isinstance(message.id, tuple)
        and isinstance(message.string, tuple)
        and all(message.string)
        and not message.fuzzy
    }


@cache
def _plural_rule(language: str) -> Callable[[int], int]:
    """The catalog's Plural-Forms rule: a count → the index of its msgstr form."""
    messages = _read(language)
    expression = messages.plural_expr if messages is not None else "(n != 1)"
    return gettext.c2py(expression)


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else "en")


def get_language() -> str:
    return _language.get()


def _(message: str) -> str:
    """The message in the current language, or English where no translation exists yet."""
    return catalog(_language.get()).get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for `count` in the current language ("1 day" / "2 days"); the
    caller formats the count into it. English where the catalog has no translation."""
    language = _language.get()
    forms = plural_catalog(language).get((singular, plural))
    if forms is None:
        return singular if count == 1 else plural
    index = _plural_rule(language)(abs(count))
    return forms[min(index, len(forms) - 1)]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module-level labels)."""
    return message
