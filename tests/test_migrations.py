"""The schema comes only from migrations, and the migrations match the models."""

import os
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
