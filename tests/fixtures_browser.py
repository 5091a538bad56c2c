"""Pytest plugin: Debian's Chromium driven by Playwright (sync API), and helpers for dashboard tests.

One browser per session (`browser`), a fresh context and page per test (`page`). Playwright never
downloads a browser here: it launches /usr/bin/chromium. `screenshot(page, name)` saves a full-page
PNG under test-artifacts/screenshots/ (git-ignored), the artifacts the CI keeps.

Playwright's sync API marks its event loop as running in this thread between calls, which makes
`asyncio.run` (gateway start-up) and pytest-asyncio tests fail. So the mark is set only while a
browser test runs, and `start_gateway` starts gateways with the mark lifted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000
_playwright_loop: list[asyncio.AbstractEventLoop | None] = [None]


@contextlib.contextmanager
def playwright_paused() -> Iterator[None]:
    """Lift Playwright's "loop is running" mark from this thread for a while (see the docstring)."""
    mark = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(mark)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        _playwright_loop[0] = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        try:
            yield browser
        finally:
            asyncio._set_running_loop(_playwright_loop[0])
            browser.close()
    asyncio._set_running_loop(None)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    asyncio._set_running_loop(_playwright_loop[0])
    context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the dashboard's "Delete …?" confirmations
    try:
        yield page
    finally:
        context.close()
        asyncio._set_running_loop(None)


@pytest.fixture
def start_gateway(make_gateway: Any) -> Callable[[dict[str, Any]], Any]:
    """`make_gateway`, usable in browser tests (before or after the page exists)."""

    def start(config: dict[str, Any]) -> Any:
        with playwright_paused():
            return make_gateway(config)

    return start


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def admin_token(gateway: Any) -> str:
    return (gateway.app_dir / "admin_token").read_text().strip()


def login(page: Page, gateway: Any, shot: str | None = None) -> None:
    """Sign in through the login form, as a person would, with the token from the app dir."""
    page.goto(gateway.url + "/login")
    expect(page.get_by_role("heading", name="Sign in to the dashboard")).to_be_visible()
    page.get_by_label("Admin token").fill(admin_token(gateway))
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Model Providers", exact=True)).to_be_visible()


def nav(page: Page, name: str) -> None:
    """Click an entry of the sidebar navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def add_provider(page: Page, gateway: Any, label: str) -> None:
    """Models > Model Providers → (not configured) → Add New Provider → choose it → its page."""
    nav(page, "Model Providers")
    configured = page.locator("#configured")
    expect(configured).to_be_visible()
    expect(configured).not_to_contain_text(label)
    page.locator("summary", has_text="Add New Provider").click()
    page.locator("#add-provider").get_by_role("button", name=label).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def save_base_url(page: Page, base_url: str) -> None:
    form = page.locator("#network-form")
    form.get_by_label("Base URL").fill(base_url)
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_contain_text("saved")


def add_key(
    page: Page, name: str, value: str, models: list[str] | None = None, weight: str | None = None
) -> None:
    """Add Key → name → API key → Allowed Models (All Models, or the given list) → Save."""
    page.get_by_role("link", name="Add Key").click()
    form = page.locator("form.key-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("API key").fill(value)
    if models is None:
        form.get_by_label("All Models").check()
    else:
        form.get_by_label("Specific models").check()
        form.get_by_label("Allowed models").fill(", ".join(models))
    if weight is not None:
        form.get_by_label("Weight").fill(weight)
    form.get_by_role("button", name="Save").click()
