"""Several `enlace serve` replicas behind nginx, on one database: the deployment recipe of
deploy/ (README, "Running several servers"), which the integration tests and the load run
start too.

    python -m services.tooling.cluster --replicas 2 --port 8080 --secrets .streamlit/secrets.toml

renders deploy/nginx.conf.template for the replicas' ports into a folder (default
data/cluster), starts the replicas (`enlace serve --port P`, each logging to that folder),
then nginx in the foreground of this process; Ctrl-C stops them all.
"""

import argparse
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from services.platform.i18n import LANGUAGES, _, ngettext, set_language
from services.platform.settings import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf.template"
ENLACE = str(Path(sys.executable).parent / "enlace")


def nginx_binary() -> str | None:
    """Debian's nginx (apt-get install nginx), or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


# The unprivileged users nginx's workers may run as when root starts it, in order of choice.
WORKER_USERS = ("www-data", "nobody")


@dataclass(frozen=True)
class WorkerUser:
    """Who nginx's worker processes run as (`user name group;`)."""

    name: str
    group: str
    uid: int
    gid: int


def worker_user() -> WorkerUser | None:
    """Started by root: Debian's `www-data` (else `nobody`), so that a worker taken over
    through a flaw in nginx is not root. Started by anyone else: None (no `user` line; the
    workers run as that person, nginx cannot change user anyway)."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd

    for name in WORKER_USERS:
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        group = grp.getgrgid(account.pw_gid).gr_name
        return WorkerUser(name, group, account.pw_uid, account.pw_gid)
    raise RuntimeError(f"started as root, but none of the users {WORKER_USERS} exists")


def workers_temp_folder(user: WorkerUser) -> Path:
    """A new folder for nginx's temporary files (request bodies being uploaded), owned by
    `user`, in the system's temporary folder: the cluster's folder may sit where that user
    cannot go (under /root, or pytest's private tmp folders)."""
    folder = Path(tempfile.mkdtemp(prefix="enlace-nginx-"))
    blocked = [p for p in folder.parents if not p.stat().st_mode & stat.S_IXOTH]
    if blocked:
        shutil.rmtree(folder)
        raise RuntimeError(f"nginx's workers ({user.name}) cannot enter {blocked[0]}: set TMPDIR")
    os.chown(folder, user.uid, user.gid)
    return folder


def upstream_address(host: str, port: int) -> str:
    """host:port as nginx writes it (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def replica_names(count: int) -> list[str]:
    """What the X-Enlace-Replica header calls each replica: r1, r2... (never its address)."""
    return [f"r{index}" for index in range(1, count + 1)]


def render_nginx_conf(
    *,
    listen: int,
    replicas: Sequence[tuple[str, int]],
    prefix: Path,
    temp: Path | None = None,
    user: WorkerUser | None = None,
    daemon: bool = False,
    https: bool = False,
) -> str:
    """nginx.conf for `replicas` ((host, port) of each `enlace serve`), listening on `listen`,
    with its pid and logs in `prefix` and its temporary files in `temp` (default `prefix`);
    its workers run as `user` (None: no `user` line)."""
    if not replicas:
        raise ValueError(_("a cluster needs at least one replica"))
    if any(not 0 < port < 65536 for _host, port in replicas) or not 0 < listen < 65536:
        raise ValueError(
            _("ports must be 1-65535 (listen {listen}, replicas {replicas})").format(
                listen=listen, replicas=list(replicas)
            )
        )
    addresses = [upstream_address(host, port) for host, port in replicas]
    servers = "\n".join(
        f"        server {address} max_fails=1 fail_timeout=5s;" for address in addresses
    )
    # $upstream_addr lists every replica tried ("A, B" after a failover): the last answered.
    names = "\n".join(
        f"        ~(^|\\s){re.escape(address)}$ {name};"
        for address, name in zip(addresses, replica_names(len(addresses)), strict=True)
    )
    values = {
        "user": f"user {user.name} {user.group};" if user else "",
        "prefix": str(prefix),
        "temp": str(temp or prefix),
        "replica_names": names,
        "daemon": "on" if daemon else "off",
        "servers": servers,
        "listen": str(listen),
        "secure": "; Secure" if https else "",
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


@dataclass
class Process:
    """One started process, its log in `log_path`."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    health_url: str | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        if self.health_url:
            from services.tooling.demo import ServerStopped, wait_until_healthy

            try:
                wait_until_healthy(self.health_url, stopped=self.exited, timeout=timeout)
            except (ServerStopped, TimeoutError):
                self.stop()
                raise RuntimeError(
                    _("{name} did not start ({url}):").format(name=self.name, url=self.health_url)
                    + "\n"
                    + self.log()[-3000:]
                ) from None

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def kill(self) -> None:
        """Dies at once, as a crashed server would (SIGKILL: nothing is cleaned up)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Cluster:
    """nginx on `port` in front of one `enlace serve` per port of `replica_ports`."""

    port: int
    replica_ports: list[int]
    secrets: Path
    folder: Path
    env: dict[str, str]
    replicas: list[Process] = field(default_factory=list)
    proxy: Process | None = None
    # nginx's temporary files when started by root: a folder of the workers' own (below).
    temp: Path | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        nginx = nginx_binary()
        if nginx is None:
            raise RuntimeError(_("nginx is not installed (apt-get install -y nginx)"))
        self.folder.mkdir(parents=True, exist_ok=True)
        # Once, before the replicas: they would only queue on the migration lock, and a
        # failed migration is reported once, before anything serves.
        upgrade = Process(
            name="enlace db upgrade",
            command=[ENLACE, "db", "upgrade"],
            env=self.env,
            log_path=self.folder / "upgrade.log",
        )
        upgrade.start()
        if upgrade.process is None or upgrade.process.wait(timeout=300) != 0:
            raise RuntimeError(
                _("{command} failed:").format(command=upgrade.name) + "\n" + upgrade.log()[-3000:]
            )
        for port in self.replica_ports:
            replica = Process(
                name=_("replica :{port}").format(port=port),
                command=[ENLACE, "serve", "--port", str(port), "--secrets", str(self.secrets)],
                env=self.env,
                log_path=self.folder / f"replica-{port}.log",
                health_url=f"http://127.0.0.1:{port}/_stcore/health",
            )
            self.replicas.append(replica)
            replica.start()
        user = worker_user()
        if user is not None:
            self.temp = workers_temp_folder(user)
        conf = self.folder / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                listen=self.port,
                replicas=[("127.0.0.1", port) for port in self.replica_ports],
                prefix=self.folder,
                temp=self.temp,
                user=user,
            ),
            encoding="utf-8",
        )
        self.proxy = Process(
            name="nginx",
            command=[nginx, "-p", str(self.folder), "-c", str(conf)],
            env=self.env,
            log_path=self.folder / "nginx.out",
            health_url=f"http://127.0.0.1:{self.port}/_stcore/health",
        )
        self.proxy.start(timeout=30)

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for replica in self.replicas:
            replica.stop()
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)


@contextmanager
def running(cluster: Cluster) -> Iterator[Cluster]:
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def default_language() -> str:
    """ENLACE_DEFAULT_LANGUAGE, or English when the settings are not valid (yet)."""
    from services.platform.settings import ConfigurationError, get_settings

    try:
        return get_settings().default_language
    except ConfigurationError:
        return "en"


def started_message(cluster: Cluster) -> str:
    """What the person who started the cluster reads: where it runs and where its logs are."""
    return ngettext(
        "Enlace on {url}: {count} replica on port {ports}, logs in {folder}. Ctrl-C stops it.",
        "Enlace on {url}: {count} replicas on ports {ports}, logs in {folder}. Ctrl-C stops them.",
        len(cluster.replica_ports),
    ).format(
        url=cluster.url,
        count=len(cluster.replica_ports),
        ports=", ".join(map(str, cluster.replica_ports)),
        folder=cluster.folder,
    )


def parser() -> argparse.ArgumentParser:
    """The command's options, their help in the run's language."""
    parser = argparse.ArgumentParser(
        prog="python -m services.tooling.cluster",
        description=_("N `enlace serve` replicas behind nginx (sticky sessions, websockets)."),
    )
    parser.add_argument("--replicas", type=int, default=2, help=_("how many (default 2)"))
    parser.add_argument("--port", type=int, default=8080, help=_("nginx's port (default 8080)"))
    parser.add_argument(
        "--first-replica-port", type=int, default=8601, help=_("replica i on this + i")
    )
    parser.add_argument(
        "--secrets",
        type=Path,
        default=PROJECT_ROOT / ".streamlit" / "secrets.toml",
        help=_("the secrets.toml every replica shares (one [auth] cookie_secret for all)"),
    )
    parser.add_argument(
        "--folder",
        type=Path,
        default=PROJECT_ROOT / "data" / "cluster",
        help=_("where the configuration and the logs go (default data/cluster)"),
    )
    parser.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        help=_("language of the messages (default: ENLACE_DEFAULT_LANGUAGE, else en)"),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    errors = Console(stderr=True)
    # The language first, so the help and the refusals of the full parser speak it.
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument("--lang")
    chosen = language.parse_known_args(argv)[0].lang
    set_language(chosen if chosen in LANGUAGES else default_language())
    options = parser()
    arguments = options.parse_args(argv)
    if not 1 <= arguments.replicas <= 64:
        options.error(
            _("--replicas must be 1-64 (got {replicas})").format(replicas=arguments.replicas)
        )
    ports = [arguments.first_replica_port + i for i in range(arguments.replicas)]
    cluster = Cluster(
        port=arguments.port,
        replica_ports=ports,
        secrets=arguments.secrets.resolve(),
        folder=arguments.folder.resolve(),
        env=dict(os.environ),
    )
    try:
        with running(cluster):
            Console().print(started_message(cluster), markup=False, highlight=False)
            while not any(p.exited() for p in [*cluster.replicas, cluster.proxy] if p):
                time.sleep(1)
            errors.print(_("A process exited: see its log in the folder above."), markup=False)
            return 1
    except RuntimeError as error:
        errors.print(str(error), markup=False, highlight=False)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
