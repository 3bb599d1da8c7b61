"""Browser tests: Debian's chromium driven by Playwright, axe-core from node_modules injected into the pages.

Outside CI a missing chromium or axe-core skips these tests with a clear reason; in CI (CI_REQUIRE_SERVICES=1) it
fails them. The tests run against pytest-django's live server; its transactional database is emptied after each
test, so each test seeds the demo world and the module seeds it again at the end for the tests that follow.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import services_required

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def _missing(reason: str):
    if services_required():
        pytest.fail(f"{reason} (CI_REQUIRE_SERVICES=1: browser tests must run)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        _missing("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing("axe-core is missing: run `npm ci` in the project folder")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def demo_world_restored(django_db_blocker):
    """Seed the demo world again after the module: the live server's tests leave an empty database behind."""
    yield
    with django_db_blocker.unblock():
        call_command("seed_demo", quiet_logins=True, verbosity=0)


@pytest.fixture
def world(live_server):
    call_command("seed_demo", quiet_logins=True, verbosity=0)
    return live_server


@pytest.fixture
def page(browser, world):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900}, base_url=world.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused: list[str] = []  # what the Content-Security-Policy blocked (a script or style the page needed)
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not refused, refused


def login(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("demo")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/portal/**")


def axe_check(page, axe_source: str, name: str) -> list[dict]:
    """Run axe-core on the page; print the result; return the serious and critical violations."""
    page.evaluate(axe_source)  # not an inline <script>: the page's Content-Security-Policy refuses those
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']}, resultTypes: ['violations', 'passes']})"
    )
    assert result["passes"], "axe-core ran no rule on the page"
    violations = result["violations"]
    summary = [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"]} for v in violations]
    print(f"\naxe {name} ({page.url}): {len(violations)} violation(s) {json.dumps(summary, ensure_ascii=False)}")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> None:
    """Write a screenshot when SCREENSHOT_DIR is set (make screenshots writes docs/screenshots/)."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
