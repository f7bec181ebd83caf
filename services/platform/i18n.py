"""Translation: gettext catalogs in locales/<lang>/LC_MESSAGES/enlace.po.

Every user-facing string goes through `_()`. The language is per script run (a context
variable set by app.py from the user's preference); English is the source language.
Extract new strings with `pybabel extract` (see README, "Translations").
"""

from contextvars import ContextVar
from functools import cache

from babel.messages.pofile import read_po

from services.platform.settings import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "enlace"
LANGUAGES = {"en": "English", "es": "Español", "pt": "Português"}

_language: ContextVar[str] = ContextVar("language", default="en")


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → msgstr for one language (empty for English, the source language)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and isinstance(message.string, str) and message.string and not message.fuzzy
    }


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else "en")


def get_language() -> str:
    return _language.get()


def _(message: str) -> str:
    """The message in the current language, or English where no translation exists yet."""
    return catalog(_language.get()).get(message, message)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module-level labels)."""
    return message
