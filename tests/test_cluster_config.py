"""deploy/nginx.conf.template rendered for N replicas (services/tooling/cluster.py), and run
by the real nginx in front of two stand-in replicas (skipped without nginx)."""

import http.server
import os
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.tooling.cluster import (
    WORKER_USERS,
    Process,
    WorkerUser,
    nginx_binary,
    render_nginx_conf,
    worker_user,
    workers_temp_folder,
)
from services.tooling.pg_standby import free_port
from tests.support import nginx_workers_run_as_expected

REPLICAS = [("127.0.0.1", 8601), ("127.0.0.1", 8602), ("127.0.0.1", 8603)]


def test_every_replica_is_an_upstream_server_with_sticky_websockets(tmp_path: Path):
    conf = render_nginx_conf(listen=8080, replicas=REPLICAS, prefix=tmp_path)
    assert "{{" not in conf.split("\n", 3)[3]  # after the header comment
    for host, port in REPLICAS:
        assert f"server {host}:{port} max_fails=1 fail_timeout=5s;" in conf
    assert "hash $enlace_replica consistent;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "listen 8080;" in conf and f"pid {tmp_path}/nginx.pid;" in conf
    assert "; Secure" not in conf
    assert "; Secure" in render_nginx_conf(
        listen=443, replicas=REPLICAS, prefix=tmp_path, https=True
    )


@pytest.mark.parametrize(
    ("listen", "replicas", "message"),
    [(8080, [], "at least one replica"), (0, REPLICAS, "ports must be 1-65535")],
)
def test_a_bad_cluster_is_refused_with_what_is_wrong(tmp_path: Path, listen, replicas, message):
    with pytest.raises(ValueError, match=message):
        render_nginx_conf(listen=listen, replicas=replicas, prefix=tmp_path)


def test_nginx_accepts_the_rendered_configuration(tmp_path: Path):
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx_conf(listen=18080, replicas=REPLICAS, prefix=tmp_path))
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_started_by_root_the_workers_run_as_an_unprivileged_user(tmp_path: Path):
    user = WorkerUser(name="www-data", group="www-data", uid=33, gid=33)
    temp = tmp_path / "temp"
    conf = render_nginx_conf(listen=8080, replicas=REPLICAS, prefix=tmp_path, temp=temp, user=user)
    assert conf.splitlines()[3] == "user www-data www-data;"
    temp_paths = [line.split() for line in conf.splitlines() if "_temp_path " in line]
    assert len(temp_paths) == 5
    assert all(path.startswith(f"{temp}/") for _directive, path in temp_paths)
    assert "user root" not in conf


def test_started_by_anyone_else_there_is_no_user_line(tmp_path: Path):
    conf = render_nginx_conf(listen=8080, replicas=REPLICAS, prefix=tmp_path)
    assert not [line for line in conf.splitlines() if line.startswith("user")]
    assert f"client_body_temp_path {tmp_path}/client_body;" in conf


def test_the_worker_user_is_never_root(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert worker_user() is None
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    user = worker_user()
    assert user is not None and user.name in WORKER_USERS and user.uid != 0


def test_responses_name_the_replica_and_never_its_address(tmp_path: Path):
    conf = render_nginx_conf(listen=8080, replicas=REPLICAS, prefix=tmp_path)
    assert "add_header X-Enlace-Replica $enlace_replica_name always;" in conf
    # The only use of the internal address is the operator's access log.
    lines = [line.strip() for line in conf.splitlines() if not line.lstrip().startswith("#")]
    uses = [line for line in lines if "$upstream_addr" in line]
    assert uses == [
        "map $upstream_addr $enlace_replica_name {",
        "'replica=$enlace_replica_name upstream=$upstream_addr time=$request_time';",
    ]
    for (host, port), name in zip(REPLICAS, ["r1", "r2", "r3"], strict=True):
        assert f"~(^|\\s){re.escape(f'{host}:{port}')}$ {name};" in conf
    assert "server [::1]:8601 " in render_nginx_conf(
        listen=8080, replicas=[("::1", 8601)], prefix=tmp_path
    )


class _Replica(http.server.BaseHTTPRequestHandler):
    """A stand-in for `enlace serve`: answers every GET, reads and accepts every POST."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer()

    def _answer(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, list[http.server.ThreadingHTTPServer], Process]]:
    """nginx, as the cluster starts it, in front of two stand-in replicas."""
    nginx = nginx_binary()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Replica) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    user = worker_user()
    temp = workers_temp_folder(user) if user else None
    port = free_port()
    conf = tmp_path / "nginx.conf"
    replicas = [("127.0.0.1", server.server_address[1]) for server in servers]
    conf.write_text(
        render_nginx_conf(listen=port, replicas=replicas, prefix=tmp_path, temp=temp, user=user)
    )
    proxy = Process(
        name="nginx",
        command=[nginx, "-p", str(tmp_path), "-c", str(conf)],
        env=dict(os.environ),
        log_path=tmp_path / "nginx.out",
        health_url=f"http://127.0.0.1:{port}/_stcore/health",
    )
    proxy.start(timeout=30)
    try:
        yield f"http://127.0.0.1:{port}", servers, proxy
    finally:
        proxy.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


def _get(url: str, affinity: str, body: bytes | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        url, data=body, headers={"Cookie": f"enlace_replica={affinity}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


IP_AND_PORT = re.compile(r"\d{1,3}(\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+", re.IGNORECASE)


def test_through_nginx_each_answer_names_its_replica_and_gives_no_address_away(proxied):
    url, servers, _proxy = proxied
    ports = [str(server.server_address[1]) for server in servers]
    answered_by: dict[str, str] = {}
    for attempt in range(40):
        status, headers = _get(f"{url}/", f"test-{attempt}")
        assert status == 200
        answered_by[f"test-{attempt}"] = headers["X-Enlace-Replica"]
        everything = " ".join(f"{name}: {value}" for name, value in headers.items())
        assert not IP_AND_PORT.search(everything), everything
        assert not any(port in everything for port in ports), everything
        assert headers["Server"] == "nginx"  # no version
    assert set(answered_by.values()) == {"r1", "r2"}

    # r1 gone: its browsers are answered by r2, named as such, still without an address.
    servers[0].shutdown()
    servers[0].server_close()
    pinned_to_r1 = next(a for a, name in answered_by.items() if name == "r1")
    status, headers = _get(f"{url}/", pinned_to_r1)
    assert (status, headers["X-Enlace-Replica"]) == (200, "r2")
    everything = " ".join(f"{name}: {value}" for name, value in headers.items())
    assert not IP_AND_PORT.search(everything), everything


def test_an_upload_is_buffered_by_workers_that_are_not_root(proxied):
    url, _servers, proxy = proxied
    # Bigger than nginx's in-memory buffer (16 KB): written to client_body_temp_path first,
    # which the workers must be able to write (else 500).
    status, _headers = _get(f"{url}/upload", "test-upload", body=b"x" * 1_000_000)
    assert status == 200, (proxy.log_path.parent / "error.log").read_text()
    nginx_workers_run_as_expected(proxy.process.pid)
