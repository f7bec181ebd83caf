"""A throwaway PostgreSQL primary and its streaming replica (hot standby), each its own
cluster from `initdb` in a temporary folder on a free port, the replica made with
`pg_basebackup -R`: what the read-replica tests and the load run use to try
ENLACE_READ_DATABASE_URL on one machine.

initdb refuses to run as root: as root, every PostgreSQL program runs as the `postgres` OS
user (`runuser -u postgres --`), which owns the folder.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup")


def postgres_bindir() -> Path | None:
    """The folder of initdb, pg_ctl and pg_basebackup (Debian: /usr/lib/postgresql/N/bin)."""
    candidates = [Path(p).parent for p in [shutil.which("initdb")] if p]
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if all((folder / program).exists() for program in PROGRAMS):
            return folder
    return None


def missing() -> str | None:
    """Why a standby cannot be made here, or None."""
    if postgres_bindir() is None:
        return f"PostgreSQL's server programs ({', '.join(PROGRAMS)}) are not installed"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser: initdb cannot be run as another user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` OS user to run initdb as"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Pair:
    primary_url: str
    standby_url: str
    folder: Path

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        primary = sa.create_engine(self.primary_url)
        standby = sa.create_engine(self.standby_url)
        try:
            with primary.connect() as connection:
                target = connection.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with standby.connect() as connection:
                    behind = connection.execute(
                        sa.text("SELECT pg_wal_lsn_diff(:target, pg_last_wal_replay_lsn()) > 0"),
                        {"target": target},
                    ).scalar_one()
                if not behind:
                    return
                time.sleep(0.05)
            raise TimeoutError(f"the standby did not replay up to {target} in {timeout} s")
        finally:
            primary.dispose()
            standby.dispose()


@contextmanager
def primary_and_standby() -> Iterator[Pair]:
    """Start both clusters; stop them (immediately) and remove their folder afterwards."""
    problem = missing()
    if problem:
        raise RuntimeError(problem)
    bindir = postgres_bindir()
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="enlace-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    folder.chmod(0o700)

    def run(program: str, *arguments: str) -> None:
        command = [*as_owner, str(bindir / program), *arguments]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    primary, standby = folder / "primary", folder / "standby"
    primary_port, standby_port = free_port(), free_port()
    started: list[Path] = []
    try:
        run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        settings = (
            f"port = {primary_port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{folder}'\nwal_level = replica\n"
            "max_wal_senders = 4\nhot_standby = on\nfsync = off\n"
        )
        run("pg_ctl", "-D", str(primary), "-o", _options(settings), "-l", f"{primary}.log",
            "-w", "start")  # fmt: skip
        started.append(primary)
        run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream")  # fmt: skip
        replica_settings = settings.replace(f"port = {primary_port}", f"port = {standby_port}")
        run("pg_ctl", "-D", str(standby), "-o", _options(replica_settings), "-l",
            f"{standby}.log", "-w", "start")  # fmt: skip
        started.append(standby)
        url = "postgresql+psycopg://postgres@127.0.0.1:{}/postgres"
        yield Pair(url.format(primary_port), url.format(standby_port), folder)
    finally:
        for data in reversed(started):
            subprocess.run(  # noqa: S603
                [*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _options(settings: str) -> str:
    """postgresql.conf lines as the server's command-line options (-c name=value)."""
    pairs = [line.split(" = ", 1) for line in settings.strip().splitlines()]
    return " ".join(f"-c {name}={value}" for name, value in pairs)
