"""The command line speaks Spanish and Portuguese (issue 17, item 3): its messages, its
refusals and its help, chosen with `--lang`, else ENLACE_DEFAULT_LANGUAGE; English by default.

The scan below reads the source of the command line and fails on a message written as a bare
literal; `untranslated_literals` takes any list of files, so other packages can be scanned too.
"""

import ast
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.cases import retention
from services.cli.common import HELP_PAGE_WORDS, help_language
from services.cli.export import REPORT_NAMES
from services.cli.main import app
from services.platform import formatting
from services.platform.i18n import catalog, set_language
from services.platform.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
CLI_FILES = sorted((ROOT / "services" / "cli").glob("*.py"))
ENLACE = str(Path(sys.executable).parent / "enlace")
MOODLE = Path(__file__).parent / "fixtures" / "moodle"

# Calls whose first argument is a message shown to a person.
MESSAGE_FUNCTIONS = {"fail", "echo"}
MESSAGE_METHODS = {"print", "add_task", "echo"}


# --- the scan -------------------------------------------------------------------------------


def _is_text(node: ast.AST) -> bool:
    """A string literal, f-string or concatenation that contains words, or such a literal's
    `.format(...)`: a message that did not go through _()."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) or _is_text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _is_text(node.func.value)
    return False


def _name(func: ast.expr) -> tuple[str, str]:
    """("function", name) or ("method", name) of a call."""
    if isinstance(func, ast.Attribute):
        return "method", func.attr
    if isinstance(func, ast.Name):
        return "function", func.id
    return "other", ""


def _messages(call: ast.Call) -> Iterator[ast.expr]:
    """The arguments of `call` that a person reads."""
    kind, name = _name(call.func)
    if (kind == "function" and name in MESSAGE_FUNCTIONS) or (
        kind == "method" and name in MESSAGE_METHODS
    ):
        yield from call.args[:1]
    if name == "Table":
        yield from call.args
    for keyword in call.keywords:
        if keyword.arg in ("description", "title") or (name == "Table" and keyword.arg is not None):
            yield keyword.value


def _help_is_marked(value: ast.expr) -> bool:
    """help= is N_("...") (translated when the help is shown) or a name bound to one."""
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Name) and value.func.id == "N_"
    return isinstance(value, ast.Name | ast.Attribute)


def untranslated_literals(
    paths: Iterable[Path], *, help_only: Iterable[str] = (), messages_only: bool = False
) -> list[str]:
    """`file:line: code` for every message written as a literal instead of _() / ngettext, and
    every help= that is not N_(...); in the files named in `help_only`, the help= only. With
    `messages_only`, no help= is checked (argparse's help is built after --lang is read, so
    `_()` is right there)."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            messages = [] if path.name in help_only else list(_messages(node))
            bad = [value for value in messages if _is_text(value)]
            bad += [
                keyword.value
                for keyword in node.keywords
                if keyword.arg == "help"
                and not messages_only
                and not _help_is_marked(keyword.value)
            ]
            found += [f"{path.name}:{value.lineno}: {ast.unparse(value)}" for value in bad]
    return found


TOOLING_FILES = sorted((ROOT / "services" / "tooling").glob("*.py"))


def test_every_message_of_the_command_line_goes_through_the_catalogs():
    assert len(CLI_FILES) >= 9 and len(TOOLING_FILES) >= 20
    assert untranslated_literals(CLI_FILES) == []
    # What the benchmark, seeding and cluster commands print comes from services/tooling.
    assert untranslated_literals(TOOLING_FILES, messages_only=True) == []


PLANTED = """
import typer
from rich.table import Table
from services.platform.i18n import N_, _

def command(name, progress, task):
    console.print(f"Added {name}.")
    err.print("Not sent", markup=False)
    raise fail("No course with the code {code}.".format(code=name), 2)
    progress.add_task("Reading " + name)
    progress.update(task, description="Rendering")
    table = Table("email", _("Name"), title="Accounts")
    typer.echo("yes" if name else "no")
    option = typer.Option(help="Display name")
    other = typer.Option(help=_("translated too early"))
    fine = typer.Option(help=N_("Display name"))
    console.print(_("Added {name}.").format(name=name), "\\n", table)
    raise fail(_("Refused: {reason}").format(reason=name))
"""


def test_the_scan_finds_each_kind_of_planted_literal(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(PLANTED, encoding="utf-8")
    found = untranslated_literals([planted])
    lines = sorted(int(item.split(":")[1]) for item in found)
    # print f-string, err.print, fail(literal.format), add_task concat, description=,
    # Table column and title, echo of an if-else, help= literal, help=_() at import time.
    assert lines == [7, 8, 9, 10, 11, 12, 12, 13, 14, 15], found
    assert not any("N_(" in item or "Refused" in item for item in found)


# --- the help -------------------------------------------------------------------------------


def _tree(command: object) -> Iterator[object]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _tree(sub)


def help_messages() -> set[str]:
    """Every help text of the `enlace` tree as written in the code (a fresh Click tree)."""
    texts = set()
    for command in _tree(typer.main.get_command(app)):
        texts |= {getattr(command, "help", None), getattr(command, "short_help", None)}
        texts |= {getattr(param, "help", None) for param in command.params}  # type: ignore[attr-defined]
    return {text for text in texts if text}


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_help_text_has_a_translation(language):
    messages = help_messages()
    assert len(messages) > 80  # commands, groups, options and arguments
    missing = sorted((messages | set(HELP_PAGE_WORDS)) - set(catalog(language)))
    assert missing == [], f"{language}: translate these help texts: {missing}"


def test_the_report_option_names_every_report():
    command = typer.main.get_command(app).commands["export"].commands["reports"]  # type: ignore[attr-defined]
    (report,) = [param for param in command.params if param.name == "report"]
    assert all(name in report.help for name in REPORT_NAMES), report.help


def run(*args: str, env: dict[str, str] | None = None):
    """`enlace ARGS` through the console script's own path (Typer builds the same Click
    group, whose make_context translates the help)."""
    return CliRunner().invoke(
        app, list(args), env={"COLUMNS": "200", **(env or {})}, prog_name="enlace"
    )


def said(result) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture(autouse=True)
def _english_after(monkeypatch):
    """No default language from the machine; English again for the next test."""
    monkeypatch.delenv("ENLACE_DEFAULT_LANGUAGE", raising=False)
    yield
    set_language("en")


def test_help_speaks_the_language_of_lang_or_of_the_default_setting():
    spanish = run("--lang", "es", "--help")
    assert spanish.exit_code == 0, spanish.output
    assert "Uso: enlace" in spanish.output and "Opciones:" in spanish.output
    assert "inscripción en cursos, avance por país y derivación de casos" in spanish.output
    assert "Mostrar este mensaje y salir." in spanish.output
    assert "Cuentas que pueden iniciar sesión y sus roles." in spanish.output  # a group's line

    portuguese = run("--lang=pt", "db", "--help")
    assert portuguese.exit_code == 0, portuguese.output
    assert "Esquema do banco de dados (migrações do Alembic)." in portuguese.output
    assert "Criar ou atualizar o esquema até a última migração." in portuguese.output

    options = run("users", "add", "--help", env={"ENLACE_DEFAULT_LANGUAGE": "es"})
    assert "La dirección de correo electrónico de la persona" in options.output
    assert "[obligatorio]" in options.output and "[predeterminado: en]" in options.output
    assert "Argumentos:" in options.output

    # --lang wins over the setting, and English is the default.
    english = run("--lang", "en", "--help", env={"ENLACE_DEFAULT_LANGUAGE": "pt"})
    assert "Show this message and exit." in english.output
    assert "Accounts that may sign in" in english.output and "Opções" not in english.output
    assert "Show this message and exit." in run("--help").output
    # A second run in the same process translates from the message ids again.
    assert "Mostrar esta mensagem e sair." in run("--lang", "pt", "--help").output
    assert "Mostrar esta mensagem" not in run("--help").output


def test_the_help_language_comes_from_before_the_command(monkeypatch):
    assert help_language(["--lang", "pt", "db", "--help"]) == "pt"
    assert help_language(["--lang=es", "--help"]) == "es"
    # `--lang` after the command's name is an argument of that command, not the language.
    assert help_language(["users", "add", "--lang", "pt"]) == "en"
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "es")
    assert help_language(["--help"]) == "es"
    assert help_language(["--lang"]) == "es"  # a --lang without its value


def test_the_console_script_shows_translated_help_without_loading_the_settings():
    env = {**os.environ, "COLUMNS": "200", "ENLACE_DEFAULT_LANGUAGE": "pt"}
    done = subprocess.run([ENLACE, "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Uso: enlace" in done.stdout and "Contas que podem entrar" in done.stdout
    spanish = subprocess.run(
        [ENLACE, "--lang", "es", "courses", "list", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Incluir los cursos archivados" in spanish.stdout, spanish.stdout


# --- the messages, against a real database --------------------------------------------------


def test_db_commands_speak_the_chosen_language(db, tmp_path, monkeypatch):
    already = run("--lang", "es", "db", "upgrade")
    assert already.exit_code == 0, already.output
    assert "El esquema ya está actualizado" in already.output

    monkeypatch.setenv("ENLACE_DATABASE_URL", f"sqlite:///{tmp_path / 'nueva.db'}")
    get_settings.cache_clear()
    assert "vazio (sem esquema)" in run("--lang", "pt", "db", "current").output
    upgraded = run("--lang", "pt", "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert "Esquema atualizado vazio →" in upgraded.output
    monkeypatch.setenv("ENLACE_DATABASE_URL", f"sqlite:///{tmp_path / 'otra.db'}")
    get_settings.cache_clear()
    refused = run("--lang", "es", "users", "list")
    assert refused.exit_code == 1
    assert "La base de datos todavía no tiene esquema" in refused.output


def test_seed_and_accounts_speak_the_chosen_language(db):
    seeded = run("--lang", "pt", "seed", "demo")
    assert seeded.exit_code == 0, seeded.output
    assert "Dados de demonstração adicionados:" in seeded.output
    assert "linhas (Cursos: 2, Módulos: 12," in seeded.output
    again = run("--lang", "es", "seed", "demo")
    assert "Los datos de demostración ya están: no se agregó nada." in again.output

    listed = run("--lang", "es", "users", "list")
    assert listed.exit_code == 0, listed.output
    assert "Correo electrónico" in listed.output and "Activo" in listed.output
    assert "Coordinador/a" in listed.output and "Administrador/a" in listed.output
    assert " Sí " in listed.output and "43 cuentas." in listed.output
    assert "coordinator " not in listed.output  # roles as labels, not codes

    listed = run("--lang", "pt", "users", "list")
    assert "Funcionário consular" in listed.output and "43 contas." in listed.output
    english = run("users", "list")
    assert "Consular officer" in english.output and "43 accounts." in english.output


def test_refusals_speak_the_chosen_language(db, users):
    invalid = run("--lang", "es", "users", "add", "x@enlace.test", "--role", "officer")
    assert invalid.exit_code == 2
    assert "Cuenta no válida:" in invalid.output
    nobody = run("--lang", "pt", "users", "sign-out", "nobody@enlace.test")
    assert nobody.exit_code == 1
    assert "Não há nenhuma conta para nobody@enlace.test." in nobody.output
    signed_out = run("--lang", "es", "users", "sign-out", "admin@enlace.test")
    assert signed_out.exit_code == 0, signed_out.output
    assert "Se cerró la sesión de admin@enlace.test en todas partes." in signed_out.output
    course = run("--lang", "es", "courses", "add", "X", "--title", "")
    assert course.exit_code == 2 and "Curso no válido:" in course.output


def test_courses_and_a_bad_import_speak_the_chosen_language(db, users):
    added = run("--lang", "es", "courses", "add", "HT-2026", "--title", "Asistencia",
                "--module", "Uno", "--module", "Dos")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Se agregó el curso HT-2026 con 2 módulos." in added.output
    one = run("--lang", "pt", "courses", "add", "HT-2027", "--title", "Um curso", "--module", "Um")
    assert "Curso HT-2027 adicionado com 1 módulo." in one.output

    listed = run("--lang", "pt", "courses", "list")
    assert listed.exit_code == 0, listed.output
    assert "Código" in listed.output and "Módulos" in listed.output
    assert "2 cursos." in listed.output

    broken = str(MOODLE / "user_upload_broken.csv")
    result = run("--lang", "es", "import", "moodle-users", broken, "--course", "HT-2026")
    assert result.exit_code == 1
    assert "Filas rechazadas" in result.output and "Fila" in result.output
    assert "Columna" in result.output and "Motivo" in result.output
    # The row and the column of the unknown country, and the reason, in Spanish.
    line = next(line for line in result.output.splitlines() if "XX" in line)
    cells = [cell.strip() for cell in line.strip("│ ").split("│")]
    assert cells[:2] == ["4", "country"] and cells[2].startswith("País desconocido"), cells
    assert "5 filas rechazadas." in result.output and "corrija el archivo" in result.output

    wrong = run("--lang", "pt", "import", "moodle-grades", broken, "--course", "HT-2026")
    assert wrong.exit_code == 2 and wrong.output.startswith("Não importado: "), wrong.output
    assert "Moodle user upload" not in wrong.output  # the reason is translated too
    unknown = run("--lang", "pt", "import", "moodle-users", broken, "--course", "NOPE")
    assert unknown.exit_code == 2
    assert "Não há nenhum curso com o código NOPE." in unknown.output

    dry = run("--lang", "es", "import", "moodle-users", str(MOODLE / "user_upload_bom.csv"),
              "--course", "HT-2026", "--dry-run")  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "Simulación: no se escribió nada." in dry.output and "Cambios" in dry.output


def test_retention_speaks_the_chosen_language(db, users, open_case):
    case = open_case(users["officer_ar"])  # open: nothing to anonymise
    dry = run("--lang", "es", "retention", "apply", "--dry-run")
    assert dry.exit_code == 0, dry.output
    set_language("es")
    cutoff = formatting.date_text(retention.retention_cutoff(datetime.now(UTC), 5).date())
    assert f"Simulación, no se escribió nada: 0 casos cerrados se cerraron antes del {cutoff}" in (
        said(dry)
    )
    assert "(5 años) y se anonimizarían; 0 campos de texto libre vaciados, 0 notas" in said(dry)
    nothing = run("--lang", "pt", "retention", "apply")
    assert nothing.exit_code == 0, nothing.output
    assert "Nenhum caso encerrado foi encerrado antes de" in said(nothing)
    assert "(5 anos): nada a fazer." in said(nothing)
    refused = run("--lang", "pt", "retention", "erase", case.case_code, "--reason", "Juan Pérez")
    assert refused.exit_code == 1
    assert "parece o nome de uma pessoa" in refused.output
    erased = run("--lang", "pt", "retention", "erase", case.case_code, "--reason", "Pedido")
    assert erased.exit_code == 0, erased.output
    assert f"Dados pessoais do caso {case.case_code} eliminados:" in said(erased)
    assert "0 nota removida, 0 motivo de encaminhamento removido" in said(erased)  # pt: 0 is one
    assert "As datas foram mantidas ao mês." in said(erased)


def test_reminders_speak_the_chosen_language(db, users, open_case, set_follow_up):
    nothing = run("--lang", "pt", "reminders", "send", "--dry-run")
    assert nothing.exit_code == 0, nothing.output
    assert "Nada a lembrar" in nothing.output
    case = open_case(users["officer_ar"])
    set_follow_up(case, formatting.local_time(case.created_at).date())
    would = run("--lang", "es", "reminders", "send", "--dry-run")
    assert would.exit_code == 0, would.output
    assert f"Se enviaría a officer.ar@enlace.test (en): 1 recordatorio: {case.case_code}" in (
        would.output
    )
    assert "Simulación, no se envió nada: se enviaría 1 resumen." in would.output
    english = run("reminders", "send", "--dry-run")
    assert "Dry run, nothing sent: 1 digest would be sent." in english.output


def test_the_default_language_setting_speaks_without_lang(db, monkeypatch):
    monkeypatch.setenv("ENLACE_DEFAULT_LANGUAGE", "es")
    get_settings.cache_clear()
    result = run("db", "upgrade")
    assert "El esquema ya está actualizado" in result.output
    result = run("--lang", "en", "db", "upgrade")
    assert "Schema already up to date" in result.output
