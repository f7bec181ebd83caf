"""Translations: every string of the code is in the catalogs, placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.platform.i18n import (
    LOCALES_DIR,
    catalog,
    ngettext,
    plural_catalog,
    set_language,
)

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", "tests", "data", "migrations", "locales", ".git"}


def code_messages() -> set[str]:
    """Every string marked with _() or N_() in the application code (plural messages of
    ngettext() are in `plural_messages`)."""
    return {message for message in _extracted() if isinstance(message, str)}


def plural_messages() -> set[tuple[str, str]]:
    """Every (singular, plural) pair of an ngettext() call in the application code."""
    return {message for message in _extracted() if isinstance(message, tuple)}


def _extracted() -> set:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None, "ngettext": (1, 2)},
        directory_filter=lambda path: not (set(Path(path).parts) & SKIP_DIRS),
    ):
        found.add(message)
    return found


def bare_model_rules(root: Path = ROOT) -> set[str]:
    """The models' rule messages written as `raise ValueError("...")` without `N_()`: a
    form would show them through `validation.describe`, but extraction would miss them."""
    return {
        message
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root / "models"), method_map=[("**.py", "python")], keywords={"ValueError": None}
        )
        if message
    }


def test_the_models_rules_are_marked_for_translation(tmp_path):
    assert "give the date consent was given" in code_messages()
    assert bare_model_rules() == set(), "wrap them in N_() (models/types.py)"
    (tmp_path / "models").mkdir()  # and the check finds a bare one
    (tmp_path / "models" / "rule.py").write_text('raise ValueError("a bare message")\n')
    assert bare_model_rules(tmp_path) == {"a bare message"}


def test_the_template_holds_every_message_of_the_code():
    """locales/enlace.pot is what README's `pybabel extract` writes, so that `pybabel update`
    from it keeps every entry of the catalogs (none made obsolete, none missing)."""
    with (LOCALES_DIR / "enlace.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    used = code_messages() | plural_messages()
    missing = sorted(map(str, used - template))
    stale = sorted(map(str, template - used))
    assert (missing, stale) == ([], []), "extract again (README, Translations)"


@pytest.fixture(autouse=True)
def _english_after():
    yield
    set_language("en")


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_code_string_is_translated(language):
    missing = sorted(code_messages() - set(catalog(language)))
    assert missing == [], f"{language}: extract and translate (README, Translations): {missing}"


@pytest.mark.parametrize("language", ["es", "pt"])
def test_translations_keep_their_placeholders(language):
    for message in _po_messages(language):
        if isinstance(message.id, tuple):  # every plural form keeps the plural's placeholders
            names = sorted(re.findall(r"\{(\w*)", message.id[1]))
            for form in message.string:
                assert sorted(re.findall(r"\{(\w*)", form)) == names, message.id
            continue
        names = re.findall(r"\{(\w*)", str(message.id))
        assert sorted(names) == sorted(re.findall(r"\{(\w*)", str(message.string))), message.id


def _po_messages(language: str) -> list:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "enlace.po"
    with path.open("rb") as handle:
        return [m for m in read_po(handle) if m.id and m.string]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_plural_message_has_all_its_forms(language):
    missing = sorted(plural_messages() - set(plural_catalog(language)))
    assert missing == [], f"{language}: translate every form of: {missing}"


@pytest.mark.parametrize("language", ["es", "pt"])
def test_no_entry_is_untranslated_or_fuzzy(language):
    path = LOCALES_DIR / language / "LC_MESSAGES" / "enlace.po"
    with path.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    empty = [m.id for m in messages if not m.string or (m.pluralizable and not all(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert (empty, fuzzy) == ([], []), f"{language}: untranslated {empty}, fuzzy {fuzzy}"


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_catalog_holds_no_message_the_code_no_longer_uses(language):
    used = code_messages() | plural_messages()
    unused = sorted(str(m.id) for m in _po_messages(language) if m.id not in used)
    assert unused == [], f"{language}: remove these entries from the catalog: {unused}"


def test_plural_forms_follow_the_languages_rule():
    def days(count: int) -> str:
        return ngettext("{count} day in stage", "{count} days in stage", count)

    set_language("es")
    assert (days(1), days(0), days(2)) == (
        "{count} día en la etapa",
        "{count} días en la etapa",
        "{count} días en la etapa",
    )
    set_language("pt")  # Brazilian Portuguese counts 0 and 1 in the singular
    assert (days(0), days(1), days(2)) == (
        "{count} dia na etapa",
        "{count} dia na etapa",
        "{count} dias na etapa",
    )
    set_language("en")
    assert (days(1), days(3)) == ("{count} day in stage", "{count} days in stage")
