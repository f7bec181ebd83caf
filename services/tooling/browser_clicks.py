"""The browser side of `enlace bench --browser` (Playwright's async API, Debian's Chromium):
sign in through the local provider, click sidebar pages, time click → idle.

A click is timed from the click until the app's script state (`data-test-script-state` on
`[data-testid="stApp"]`) is idle again, read from a MutationObserver that keeps every
record's old value too: a run can start and end within one batch of mutations, so the
state polled afterwards may never show it running.
"""

import time
from collections.abc import Callable
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAV_LINK = '[data-testid="stSidebarNavLink"]'
SIGN_IN_BUTTON = ".st-key-sign_in button"
TIMEOUT_MS = 60_000

OBSERVE = """() => {
  if (window.__enlaceObserved) return;
  const el = document.querySelector('[data-testid="stApp"]');
  window.__runs = [];
  new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) window.__runs.push([t, r.oldValue]);
    window.__runs.push([t, el.getAttribute('data-test-script-state')]);
  }).observe(el, {attributes: true, attributeOldValue: true,
                  attributeFilter: ['data-test-script-state']});
  window.__enlaceObserved = true;
}"""
IDLE = """() => { const a = document.querySelector('[data-testid="stApp"]');
                  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
RESET = "() => { window.__runs = []; return performance.now(); }"
STARTED = "() => window.__runs.some(e => e[1] === 'running')"
DONE = """() => { const r = window.__runs; return r.some(e => e[1] === 'running')
                   && r[r.length - 1][1] !== 'running'; }"""
LAST = "() => window.__runs[window.__runs.length - 1][0]"


async def launch(playwright: Any, executable: str = CHROMIUM) -> Any:
    return await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


async def wait_idle(page: Any) -> None:
    await page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    await page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=20)


async def settle(page: Any, quiet_ms: int = 1000) -> None:
    """Idle, and still idle `quiet_ms` later (a page may rerun itself once after loading)."""
    for _ in range(30):
        await wait_idle(page)
        await page.wait_for_timeout(quiet_ms)
        if await page.evaluate(IDLE):
            return


async def sign_in(page: Any, app_url: str, email: str) -> float:
    """Sign in through the local provider's page as `email`; the seconds from the provider's
    Authorize click until the app's first page is drawn and idle, its sidebar shown."""
    await page.goto(app_url)
    await wait_idle(page)
    await page.locator(SIGN_IN_BUTTON).click()
    await page.get_by_placeholder("sub").wait_for(timeout=TIMEOUT_MS)
    await page.get_by_placeholder("sub").fill(email)
    started = time.perf_counter()
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url(app_url.rstrip("/") + "/**", timeout=TIMEOUT_MS)
    await page.locator(NAV_LINK).first.wait_for(timeout=TIMEOUT_MS)
    await wait_idle(page)
    seconds = time.perf_counter() - started
    await settle(page)
    return seconds


async def page_titles(page: Any) -> list[str]:
    links = page.locator(NAV_LINK)
    return [
        (await links.nth(i).inner_text()).strip().splitlines()[-1]
        for i in range(await links.count())
    ]


async def click(page: Any, index: int) -> float:
    """Click the sidebar's `index`-th page; seconds until the run it started has ended."""
    seconds, _wall_started, _wall_ended = await timed_click(page, index)
    return seconds


async def timed_click(page: Any, index: int) -> tuple[float, float, float]:
    """click(), and the epoch seconds (this machine's clock) just before the click and just
    after the end was seen: a window that holds the server's runs for the click."""
    await page.evaluate(OBSERVE)
    links = page.locator(NAV_LINK)
    for attempt in range(5):  # a click that lands while the sidebar redraws is lost
        wall_started = time.time()
        started = await page.evaluate(RESET)
        await links.nth(index).click(timeout=TIMEOUT_MS)
        try:
            await page.wait_for_function(STARTED, timeout=10_000, polling=10)
            break
        except Exception:  # playwright's TimeoutError: no run started, click again
            if attempt == 4:
                raise
    await page.wait_for_function(DONE, timeout=TIMEOUT_MS, polling=10)
    wall_ended = time.time()
    return float(await page.evaluate(LAST) - started) / 1000, wall_started, wall_ended


def click_order(count: int) -> list[int]:
    """Every page once, starting from the second: each click leaves the page shown (the
    first page is shown after sign-in or after the previous round)."""
    return [*range(1, count), 0] if count else []


async def click_rounds(
    page: Any,
    rounds: int,
    after_click: Callable[[str, float, float], None] | None = None,
    lost: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """One warm-up round (not counted), then `rounds` rounds of clicking every sidebar page;
    {page title: [seconds per counted click]}. `after_click(title, wall_started,
    wall_ended)` after each counted click (see timed_click). A click that saw no run within
    the timeouts (on an overloaded machine) is skipped and counted in `lost`."""
    titles = await page_titles(page)
    times: dict[str, list[float]] = {title: [] for title in titles}
    for round_number in range(rounds + 1):
        for index in click_order(len(titles)):
            try:
                seconds, wall_started, wall_ended = await timed_click(page, index)
            except Exception:  # playwright's TimeoutError: skipped, counted, not fatal
                if lost is not None:
                    lost[titles[index]] = lost.get(titles[index], 0) + 1
                await settle(page, 200)
                continue
            if round_number:
                times[titles[index]].append(seconds)
                if after_click is not None:
                    after_click(titles[index], wall_started, wall_ended)
    return times


async def keep_clicking(
    page: Any, until: Callable[[int], bool], record: Callable[[float], None]
) -> int:
    """Click the sidebar's pages in turn until `until(clicks done)`; `record(seconds)` per
    click; the clicks that failed (no run seen within the timeouts), which are skipped."""
    titles = await page_titles(page)
    order = click_order(len(titles))
    done = failed = 0
    while order and not until(done):
        try:
            record(await click(page, order[done % len(order)]))
        except Exception:  # a lost click under load: counted, not fatal to a long run
            failed += 1
            await settle(page, 200)
        done += 1
    return failed
