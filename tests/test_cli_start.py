"""`enlace` starts without what the command does not need (issue 15): `--help` and
`courses list` leave pandas, Altair and Streamlit unloaded, and every command's help still
renders. Timing is the benchmark's (`enlace bench --cli`), not the tests'."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.cli.courses import IMPORT_COMMANDS
from services.cli.main import app
from services.courses.import_records import ImportFormat

ENLACE = str(Path(sys.executable).parent / "enlace")
HEAVY = ("pandas", "altair", "streamlit", "numpy", "narwhals", "vl_convert", "openpyxl")

# Runs the console script's Typer app in a fresh interpreter, then prints which top-level
# packages ended up loaded (the exit of `--help` is a SystemExit, caught).
PROBE = """
import json, sys
from services.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    code = done.code
else:
    code = 0
print("\\n" + json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def loaded_by(*args: str, url: str) -> tuple[int, set[str], str]:
    env = {**os.environ, "ENLACE_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), result.stdout


@pytest.fixture
def sqlite_with_a_course(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'start.db'}"
    env = {**os.environ, "ENLACE_DATABASE_URL": url}
    for args in (
        ("db", "upgrade"),
        ("courses", "add", "HT-START", "--title", "Start-up", "--module", "One"),
    ):
        done = subprocess.run([ENLACE, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return url


def test_help_loads_neither_the_data_stack_nor_the_database(tmp_path: Path):
    code, modules, output = loaded_by("--help", url=f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 0
    assert "courses" in output and "export" in output
    assert not modules & set(HEAVY), modules & set(HEAVY)
    # --help touches no database either: no ORM, no Alembic, no settings.
    assert not modules & {"sqlalchemy", "sqlmodel", "alembic", "pydantic", "pydantic_settings"}
    assert not (tmp_path / "none.db").exists()


def test_courses_list_loads_the_database_but_not_pandas(sqlite_with_a_course: str):
    code, modules, output = loaded_by("courses", "list", url=sqlite_with_a_course)
    assert code == 0
    assert "HT-START" in output and "1 course." in output
    assert "sqlalchemy" in modules  # the probe did reach the database
    assert not modules & set(HEAVY), modules & set(HEAVY)
    assert "alembic" not in modules  # the schema check is one query, not Alembic


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `group` (Typer's own click groups have `commands`)."""
    found = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found.append((*path, name))
        if hasattr(command, "commands"):
            found.extend(_commands(command, (*path, name)))
    return found


def test_every_command_group_is_listed_and_every_help_renders():
    root = typer.main.get_command(app)
    assert hasattr(root, "commands")
    runner = CliRunner()
    top = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert top.exit_code == 0
    groups = {"db", "seed", "users", "export", "courses", "import", "retention", "reminders"}
    for name in groups | {"bench", "serve", "demo"}:
        assert f"  {name} " in top.output, name
    commands = _commands(root)
    assert len(commands) >= 25
    for path in commands:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert f"Usage: enlace {' '.join(path)}" in result.output.replace("root ", "enlace "), (
            path,
            result.output,
        )
        command = root
        for part in path:
            command = command.commands[part]  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            for sub in command.commands:
                assert f"  {sub} " in result.output, (path, sub)


def test_import_commands_name_the_formats_the_importer_reads():
    assert [value for _, value, _ in IMPORT_COMMANDS] == [member.value for member in ImportFormat]
