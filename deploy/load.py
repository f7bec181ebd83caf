"""A load run: N browser sessions (Chromium, Playwright) on the board of a cluster of
`enlace serve` replicas behind nginx, each clicking the board's "Only mine" toggle; prints the
click-to-idle times (from the click until the run has finished and the counts have changed).

    uv run python deploy/load.py --database-url postgresql+psycopg://postgres@127.0.0.1/enlace_load

The database is migrated and seeded with the demo data when it has no accounts. Sessions are
signed in with an identity cookie signed with the cluster's own cookie secret (no provider
round trip: what is measured is the clicking). A figure for the README, not a test.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.tooling.browser_clicks import CHROMIUM_ARGS  # noqa: E402 (after the path)

EMAIL = "coordinator@enlace.test"
TOGGLE = ".st-key-board_mine label"
IDLE_AND_TOTAL = """() => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return null;
    const values = [...document.querySelectorAll('[data-testid="stMetricValue"]')];
    if (!values.length) return null;
    return values.reduce((sum, v) => sum + parseInt(v.innerText.replace(/\\D/g, '') || '0'), 0);
}"""


def seed(database_url: str) -> None:
    from services.platform import migrate, users
    from services.platform.db import build_engine, session_scope
    from services.tooling.seed import seed_demo

    engine = build_engine(database_url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        if not users.list_users(session=session, actor=users.system_actor()):
            seed_demo(session=session)
    engine.dispose()


def identity_cookie(secret: str, app_url: str) -> str:
    from itsdangerous import URLSafeTimedSerializer

    claims = {
        "email": EMAIL,
        "email_verified": True,
        "sub": EMAIL,
        "name": EMAIL,
        "iat": int(time.time()),
        "origin": app_url,
        "is_logged_in": True,
        "provider": "default",
    }
    return URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(json.dumps(claims))


async def total_when_idle(page, previous: int | None, timeout: float = 120) -> int:
    """The board's total once no run is going and it differs from `previous`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total = await page.evaluate(IDLE_AND_TOTAL)
        if total is not None and total != previous:
            return int(total)
        await asyncio.sleep(0.02)
    raise TimeoutError("the board did not settle")


async def session(
    browser, app_url: str, cookie: str, clicks: int, times: list[float], delay: float
) -> None:
    await asyncio.sleep(delay)  # people arrive one after another, not all in one instant
    context = await browser.new_context()
    await context.add_cookies([{"name": "_streamlit_user", "value": cookie, "url": app_url}])
    page = await context.new_page()
    try:
        await page.goto(f"{app_url}/board", timeout=180_000)
        await page.wait_for_selector(TOGGLE, timeout=180_000)
        total = await total_when_idle(page, None)
        for _ in range(clicks):
            await asyncio.sleep(0.5 + (hash((id(page), _)) % 1000) / 1000)  # thinking
            started = time.monotonic()
            await page.locator(TOGGLE).click(timeout=120_000)
            total = await total_when_idle(page, total)
            times.append(time.monotonic() - started)
    finally:
        await context.close()


async def drive(app_url: str, cookie: str, sessions: int, clicks: int, ramp: float) -> list[float]:
    from playwright.async_api import async_playwright

    chromium = os.environ.get("ENLACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    times: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            results = await asyncio.gather(
                *(
                    session(browser, app_url, cookie, clicks, times, i * ramp)
                    for i in range(sessions)
                ),
                return_exceptions=True,
            )
        finally:
            await browser.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        print(f"{len(failures)} sessions failed; first: {failures[0]!r}", file=sys.stderr)
    return times


def main() -> int:
    from services.tooling import demo
    from services.tooling.cluster import Cluster, running
    from services.tooling.pg_standby import free_port

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL, e.g. a scratch one")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--clicks", type=int, default=5, help="per session")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds between arrivals")
    arguments = parser.parse_args()
    seed(arguments.database_url)
    folder = Path(tempfile.mkdtemp(prefix="enlace-load-"))
    port = free_port()
    secrets = demo.write_secrets(folder / "secrets.toml", app_port=port, provider_port=free_port())
    secret = re.search(r'cookie_secret = "([^"]+)"', secrets.read_text()).group(1)  # type: ignore[union-attr]
    env = {**os.environ, "ENLACE_DATABASE_URL": arguments.database_url}
    env.pop("ENLACE_DEMO_MODE", None)
    cluster = Cluster(
        port=port,
        replica_ports=[free_port() for _ in range(arguments.replicas)],
        secrets=secrets,
        folder=folder,
        env=env,
    )
    with running(cluster):
        cookie = identity_cookie(secret, cluster.url)
        started = time.monotonic()
        times = asyncio.run(
            drive(cluster.url, cookie, arguments.sessions, arguments.clicks, arguments.ramp)
        )
        elapsed = time.monotonic() - started
    log = (folder / "access.log").read_text().splitlines()
    served = Counter(
        line.split(" replica=", 1)[1].split()[0] for line in log if "/_stcore/stream" in line
    )
    if len(times) < 2:
        print("too few clicks measured", file=sys.stderr)
        return 1
    times.sort()
    p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
    print(
        f"{arguments.sessions} sessions ({arguments.ramp} s apart), {arguments.replicas} "
        f"replicas, {len(times)} clicks in "
        f"{elapsed:.0f} s: click-to-idle median {statistics.median(times):.2f} s, "
        f"p95 {p95:.2f} s, max {times[-1]:.2f} s; websockets per replica: {dict(served)}"
    )
    print(f"logs in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
