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
import shutil
import signal
import subprocess
import sys
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


def render_nginx_conf(
    *,
    listen: int,
    replicas: Sequence[tuple[str, int]],
    prefix: Path,
    daemon: bool = False,
    https: bool = False,
) -> str:
    """nginx.conf for `replicas` ((host, port) of each `enlace serve`), listening on `listen`,
    with its pid, logs and temporary files in `prefix`."""
    if not replicas:
        raise ValueError(_("a cluster needs at least one replica"))
    if any(not 0 < port < 65536 for _host, port in replicas) or not 0 < listen < 65536:
        raise ValueError(
            _("ports must be 1-65535 (listen {listen}, replicas {replicas})").format(
                listen=listen, replicas=list(replicas)
            )
        )
    servers = "\n".join(
        f"        server {host}:{port} max_fails=1 fail_timeout=5s;" for host, port in replicas
    )
    values = {
        # Started by root (CI), nginx's workers would run as `nobody`, which may not write to
        # a temporary prefix; Debian's system nginx (`www-data`) needs no such line.
        "user": "user root;" if os.geteuid() == 0 else "",
        "prefix": str(prefix),
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

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> None:
        nginx = nginx_binary()
        if nginx is None:
            raise RuntimeError(_("nginx is not installed (apt-get install -y nginx)"))
        self.folder.mkdir(parents=True, exist_ok=True)
        # Once, before the replicas: each would otherwise race the others to migrate.
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
        conf = self.folder / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                listen=self.port,
                replicas=[("127.0.0.1", port) for port in self.replica_ports],
                prefix=self.folder,
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
