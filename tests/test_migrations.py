"""The schema comes only from migrations, and the migrations match the models."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

from services.platform import migrate
from services.platform.db import build_engine

ROOT = Path(__file__).resolve().parents[1]


def test_upgrade_on_empty_database_creates_every_table_and_downgrade_removes_them(engine):
    migrate.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)

    tables = set(sa.inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert migrate.current_revision(engine) is not None


def test_models_and_migrations_agree(engine):
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    command.check(config)  # raises if autogenerate would produce any operation


def test_alembic_check_from_the_project_root_uses_enlace_database_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(build_engine(url))
    alembic = Path(sys.executable).parent / "alembic"

    result = subprocess.run(
        [str(alembic), "check"],
        cwd=ROOT,
        env={**os.environ, "ENLACE_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_offline_sql_script_builds_the_same_schema_as_the_online_upgrade(tmp_path):
    """`alembic upgrade head --sql` (for a DBA who applies scripts by hand) runs to the end and
    its script, applied to an empty database, gives every table the online upgrade gives."""
    alembic = Path(sys.executable).parent / "alembic"
    result = subprocess.run(
        [str(alembic), "upgrade", "head", "--sql"],
        cwd=ROOT,
        env={**os.environ, "ENLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "run this revision online to mask them" in result.stdout

    scripted = tmp_path / "scripted.db"
    with sqlite3.connect(scripted) as connection:
        connection.executescript(result.stdout)
    online = build_engine(f"sqlite:///{tmp_path / 'online.db'}")
    migrate.upgrade(online)
    scripted_engine = build_engine(f"sqlite:///{scripted}")
    assert set(sa.inspect(scripted_engine).get_table_names()) == set(
        sa.inspect(online).get_table_names()
    )
    online.dispose()
    scripted_engine.dispose()
