"""Two `enlace serve` replicas behind nginx on one PostgreSQL database (deploy/), in Chromium:
sign-in through the proxy, a case filed on one replica seen on the other's board at the next
click, and a replica killed mid-session while the person carries on on the other.

Needs nginx and PostgreSQL (ENLACE_TEST_DATABASE_URL: a database `<name>_cluster` is created
beside it and dropped afterwards); skipped without them, failed under ENLACE_REQUIRE_POSTGRES=1.
"""

import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import make_url

from models import Case
from services.platform import migrate, users
from services.platform.db import build_engine, session_scope
from services.platform.i18n import _, set_language
from services.tooling import demo
from services.tooling.cluster import Cluster, nginx_binary, replica_names
from services.tooling.seed import seed_demo
from tests.e2e.support import (
    SIGN_OUT,
    TIMEOUT,
    Provider,
    begin_new_case,
    free_port,
    language_of,
    settle,
    sign_in,
    wait_for,
)
from tests.support import nginx_workers_run_as_expected

pytestmark = pytest.mark.browser
ALIAS = "R.P."
# An internal address (IPv4 or IPv6, with its port): no response may carry one.
ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+", re.IGNORECASE)


def _requirements() -> str:
    """The PostgreSQL URL the cluster's database is made beside; skips or fails without it."""
    problems = []
    if nginx_binary() is None:
        problems.append("nginx is not installed (apt-get install -y nginx)")
    url = os.environ.get("ENLACE_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        problems.append("ENLACE_TEST_DATABASE_URL does not name a PostgreSQL database")
    if problems:
        reason = "; ".join(problems)
        if os.environ.get("ENLACE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"ENLACE_REQUIRE_POSTGRES=1 but the replicas cannot run: {reason}")
        pytest.skip(f"several replicas behind nginx: {reason}")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="module")
def cluster_database() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A seeded database of its own, and the accounts in it."""
    base = make_url(_requirements())
    name = f"{base.database}_cluster"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = build_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        seed_demo(session=session)
        accounts = [
            (a.email, a.display_name)
            for a in users.list_users(session=session, actor=users.system_actor())
        ]
    engine.dispose()
    try:
        yield url, accounts
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class ClusterApp:
    """What tests.e2e.support.sign_in needs (url, provider_url), and the cluster."""

    url: str
    provider_url: str
    database_url: str
    cluster: Cluster

    def replica_name(self, index: int) -> str:
        return replica_names(len(self.cluster.replica_ports))[index]

    def answered_by(self, affinity: str, path: str = "/_stcore/health") -> str:
        """The name of the replica nginx sends the browser with this affinity cookie to; the
        answer carries no internal address."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Cookie": f"enlace_replica={affinity}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answer = response.headers
        except urllib.error.HTTPError as error:  # a 404 says it too
            answer = error.headers
        headers = " ".join(f"{name}: {value}" for name, value in answer.items())
        assert not ADDRESS.search(headers), headers
        assert not any(str(port) in headers for port in self.cluster.replica_ports), headers
        return answer["X-Enlace-Replica"]

    def affinity_for(self, index: int) -> str:
        """An affinity cookie nginx hashes to replica `index`."""
        name = self.replica_name(index)
        for attempt in range(200):
            if self.answered_by(f"test-{attempt}") == name:
                return f"test-{attempt}"
        raise AssertionError(f"no affinity cookie reaches replica {name}")


@pytest.fixture(scope="module")
def cluster_app(
    tmp_path_factory: pytest.TempPathFactory,
    cluster_database: tuple[str, list[tuple[str, str]]],
) -> Iterator[ClusterApp]:
    database_url, accounts = cluster_database
    folder: Path = tmp_path_factory.mktemp("cluster")
    port = free_port()
    provider = Provider(free_port(), accounts)
    # One secrets.toml for every replica: one cookie secret, the proxy's redirect_uri.
    secrets = demo.write_secrets(
        folder / "secrets.toml", app_port=port, provider_port=provider.port
    )
    env = {**os.environ, "ENLACE_DATABASE_URL": database_url}
    for name in ("ENLACE_DEMO_MODE", "ENLACE_ENVIRONMENT", "ENLACE_READ_DATABASE_URL"):
        env.pop(name, None)
    cluster = Cluster(
        port=port,
        replica_ports=[free_port(), free_port()],
        secrets=secrets,
        folder=folder,
        env=env,
    )
    provider.start()
    try:
        cluster.start()
        yield ClusterApp(cluster.url, provider.url, database_url, cluster)
    finally:
        cluster.stop()
        provider.stop()


def _pinned(browser: Browser, app: ClusterApp, index: int) -> Page:
    """A browser whose affinity cookie nginx sends to replica `index`."""
    context = browser.new_context()
    context.add_cookies(
        [{"name": "enlace_replica", "value": app.affinity_for(index), "url": app.url}]
    )
    return context.new_page()


def _board_total(page: Page) -> int:
    """The cases on the board: the sum of its stage counts."""
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=TIMEOUT)
    settle(page)
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    return sum(int(re.sub(r"\D", "", value)) for value in values)


def _wait_for_total(page: Page, wanted: Callable[[int], bool], what: str) -> None:
    """Until the board's total is as wanted (a click's run may not have started yet)."""
    deadline = time.monotonic() + TIMEOUT / 1000
    while not wanted(_board_total(page)):
        assert time.monotonic() < deadline, f"{what}: the board's counts did not change"
        time.sleep(0.2)


def test_a_case_filed_on_one_replica_is_on_the_others_board_at_the_next_click(
    browser: Browser, cluster_app: ClusterApp
):
    coordinator = _pinned(browser, cluster_app, 1)
    officer = _pinned(browser, cluster_app, 0)
    try:
        sign_in(coordinator, cluster_app, "coordinator@enlace.test")
        coordinator.goto(f"{cluster_app.url}/board")
        before = _board_total(coordinator)  # replica B's caches now hold the board

        begin_new_case(officer, cluster_app, ALIAS, "ForcedLabour", "shelter")
        officer.locator(".st-key-nr_submit button").click()
        wait_for(
            cluster_app.database_url,
            lambda s: s.scalars(sa.select(Case.id).where(Case.person_alias == ALIAS)).first(),
            "the new case",
        )
        committed = time.monotonic()
        board_link = coordinator.get_by_test_id("stSidebarNav").locator('a[href$="/board"]')
        board_link.click(timeout=TIMEOUT)  # the next click: the board again, on replica B
        deadline = committed + 2
        while _board_total(coordinator) != before + 1:
            assert time.monotonic() < deadline, "replica B's board did not show the new case"
            time.sleep(0.1)
        seen = time.monotonic() - committed
        print(f"case seen on the other replica {seen:.2f} s after its commit")  # noqa: T201
    finally:
        coordinator.context.close()
        officer.context.close()


def _reconnected_message(database_url: str, email: str) -> str:
    """The warning app.py shows after a reconnection to another server, in `email`'s language."""
    set_language(language_of(database_url, email))
    try:
        return _(
            "The connection to the server was lost and you are now on another one, still "
            "signed in. Everything that was saved is kept. Anything you had typed or uploaded "
            "but not yet saved was not received: check the form and send it again."
        )
    finally:
        set_language("en")


def test_a_replica_killed_mid_session_the_next_click_works_on_the_other(
    browser: Browser, cluster_app: ClusterApp
):
    affinity = cluster_app.affinity_for(0)
    page = _pinned(browser, cluster_app, 0)
    dead = cluster_app.cluster.replicas[0]
    try:
        sign_in(page, cluster_app, "coordinator@enlace.test")
        page.goto(f"{cluster_app.url}/board")
        every_case = _board_total(page)
        page.locator(".st-key-board_mine label").click(timeout=TIMEOUT)  # only mine
        _wait_for_total(page, lambda total: total < every_case, "only mine")

        dead.kill()  # replica A dies mid-session, without a word
        page.locator(".st-key-board_mine label").click(timeout=TIMEOUT)  # the next click

        message = _reconnected_message(cluster_app.database_url, "coordinator@enlace.test")
        expect(page.get_by_text(message)).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)  # still signed in
        _wait_for_total(page, lambda total: total == every_case, "the click after the failure")
        survivor = f"replica={cluster_app.replica_name(1)} "
        assert survivor in (cluster_app.cluster.folder / "access.log").read_text()
        # The dead replica's browsers are answered by the survivor, named, without addresses.
        for path in ("/_stcore/health", "/", "/board", "/no-such-page"):
            assert cluster_app.answered_by(affinity, path) == cluster_app.replica_name(1)
    finally:
        page.context.close()
        dead.start()  # back for whatever runs next


def test_nginx_workers_are_not_root(cluster_app: ClusterApp):
    """Started by root (CI), nginx's workers run as an unprivileged user; by anyone else, as
    that person."""
    proxy = cluster_app.cluster.proxy
    assert proxy is not None and proxy.process is not None
    nginx_workers_run_as_expected(proxy.process.pid)
