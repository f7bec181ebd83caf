"""Translations: every string of the code is in the catalogs, placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.platform.i18n import LOCALES_DIR, _, catalog, set_language
from services.platform.labels import LABELS, label

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", "tests", "data", "migrations", "locales", ".git"}


def code_messages() -> set[str]:
    """Every string marked with _() or N_() in the application code."""
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[("**.py", "python")],
        keywords={"_": None, "N_": None},
        directory_filter=lambda path: not (set(Path(path).parts) & SKIP_DIRS),
    ):
        found.add(message)
    return found


def model_rule_messages() -> set[str]:
    """The messages of the models' own rules (`raise ValueError("...")`): a form shows them
    through `validation.describe`, which translates them, so they are msgids too."""
    return {
        message
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "models"), method_map=[("**.py", "python")], keywords={"ValueError": None}
        )
    }


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_models_rules_speak_the_readers_language(language):
    found = model_rule_messages()
    assert "give the date consent was given" in found  # the extraction finds them
    missing = sorted(found - set(catalog(language)))
    assert missing == [], f"{language}: translate the models' rule messages: {missing}"


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
    path = LOCALES_DIR / language / "LC_MESSAGES" / "enlace.po"
    with path.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id and m.string]
    for message in messages:
        names = re.findall(r"\{(\w*)", str(message.id))
        assert sorted(names) == sorted(re.findall(r"\{(\w*)", str(message.string))), message.id


def test_the_language_of_the_run_picks_the_catalog():
    set_language("es")
    assert _("Referral board") == "Tablero de derivaciones"
    assert label("referred") != "Referred"
    set_language("pt")
    assert _("Sign out") == "Sair"
    set_language("xx")
    assert _("Sign out") == "Sign out"


def test_every_label_is_a_marked_message():
    assert set(LABELS.values()) <= code_messages()


def test_no_translation_hides_inside_an_f_string():
    """The extractor does not look inside f-strings: `f"{_('x')}"` would never be translated."""
    hidden = []
    for path in [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "services").glob("*.py"),
    ]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""f["'][^"']*\{_\(""", line):
                hidden.append(f"{path.name}:{number}")
    assert hidden == []
