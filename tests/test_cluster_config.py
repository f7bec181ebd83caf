"""deploy/nginx.conf.template rendered for N replicas (services/tooling/cluster.py)."""

import subprocess
from pathlib import Path

import pytest

from services.tooling.cluster import nginx_binary, render_nginx_conf

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
