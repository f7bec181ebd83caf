"""The import rules of ARCHITECTURE.md, checked on every module's imports (AST, not regex)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer(path: Path) -> str:
    """services.<package> for a service module, else the top-level folder (or app.py)."""
    parts = path.relative_to(ROOT).parts
    if parts[0] == "services" and len(parts) > 2:
        return f"services.{parts[1]}"
    return parts[0]


# Imports each layer may not make: prefixes of module names.
OUTER = ("streamlit", "services.ui", "services.cli", "services.tooling", "pages")
FORBIDDEN = {
    "models": ("services", "streamlit", "pages"),
    # What every domain uses never reaches up into a domain.
    "services.platform": (*OUTER, "services.courses", "services.cases", "services.reporting"),
    "services.courses": (*OUTER, "services.cases", "services.reporting"),
    "services.cases": OUTER,
    "services.reporting": OUTER,
    "services.ui": ("services.cli", "services.tooling"),
    # Streamlit is driven from services/ui alone; the benchmark goes through ui.apptest.
    "services.tooling": ("services.cli", "streamlit"),
    "services.cli": ("streamlit",),
    # Pages and the router call services; they never hold sessions or write SQL.
    "pages": ("sqlmodel", "sqlalchemy", "services.platform.db", "services.cli", "services.tooling"),
    "app.py": (
        "sqlmodel",
        "sqlalchemy",
        "services.platform.db",
        "services.cli",
        "services.tooling",
    ),
}

FILES = sorted(
    path for folder in ("models", "services", "pages") for path in (ROOT / folder).rglob("*.py")
) + [ROOT / "app.py"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_module_imports_only_what_its_layer_may(path: Path):
    forbidden = FORBIDDEN.get(layer(path), ())
    broken = sorted(
        module
        for module in imported_modules(path)
        if any(module == prefix or module.startswith(prefix + ".") for prefix in forbidden)
    )
    assert broken == [], f"{path.relative_to(ROOT)} ({layer(path)}) imports {broken}"


def test_every_service_module_belongs_to_a_package_with_rules():
    loose = [p.name for p in (ROOT / "services").glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    packages = {p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()}
    assert {f"services.{name}" for name in packages} <= set(FORBIDDEN)


def test_the_rules_catch_a_forbidden_import(tmp_path: Path):
    """The checker itself: a page that opens a session is caught."""
    page = tmp_path / "page.py"
    page.write_text("from sqlmodel import Session\nimport streamlit as st\n")
    assert "sqlmodel.Session" in imported_modules(page)


@pytest.mark.parametrize(
    "path",
    [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))],
    ids=lambda p: p.name,
)
def test_no_stray_string_is_drawn_by_streamlit_magic(path: Path):
    """Streamlit draws a bare expression of the page script (its "magic"): a string meant
    as a comment would appear on screen. Only the module's docstring may stand alone."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    stray = [
        node.lineno
        for node in body[1:]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    ]
    assert stray == [], f"{path.name}: bare strings at lines {stray}"


PAGE_LINES = 300
MODULE_LINES = 600


@pytest.mark.parametrize("path", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_pages_stay_thin(path: Path):
    """A page reads widgets, calls a service and renders: what is longer belongs in a
    services/ui module the page calls."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= PAGE_LINES, f"{path.name} has {lines} lines (at most {PAGE_LINES})"


TEST_FILES = sorted((ROOT / "tests").rglob("*.py"))


def imports_a_test_module(module: str) -> bool:
    """A test module (tests/.../test_*.py) or a conftest: shared set-ups are fixtures, shared
    constants and plain helpers live in tests/support.py (tests/e2e/support.py)."""
    parts = module.split(".")
    return parts[0] in ("tests", "conftest") and any(
        part.startswith("test_") or part == "conftest" for part in parts
    )


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_file_imports_a_test_module(path: Path):
    found = sorted(module for module in imported_modules(path) if imports_a_test_module(module))
    assert found == [], f"{path.relative_to(ROOT)} imports {found}: make it a fixture"


def test_the_test_module_check_catches_an_import_of_another_test(tmp_path: Path):
    test = tmp_path / "test_x.py"
    test.write_text(
        "from tests.test_cases import open_case\nimport tests.e2e.test_sign_in\n"
        "from tests.conftest import app_as\nfrom tests.support import case_form\n"
    )
    found = {module for module in imported_modules(test) if imports_a_test_module(module)}
    assert found == {
        "tests.test_cases",
        "tests.test_cases.open_case",
        "tests.e2e.test_sign_in",
        "tests.conftest",
        "tests.conftest.app_as",
    }


@pytest.mark.parametrize(
    "path",
    sorted(p for folder in ("models", "services", "tests") for p in (ROOT / folder).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_modules_stay_small_enough_to_read(path: Path):
    """A module over ~600 lines mixes what it does: split it by what each part does."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines"
