"""Headless Chromium (Debian's ``chromium``, driven by Playwright) against a real ``datamorph serve``.

``browser_or_fail()`` starts the browser, or skips the test with the reason (a FAILURE when ``CI``
is set: CI must run the browser tests). ``WebPage`` wraps one page: it records console errors and
page errors (a test fails on any), and saves a screenshot under ``tests/artifacts/web/``.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
TOKEN = "web-test-token; with spaces & symbols"  # a token that needs percent-encoding in the cookie
WAIT_MS = 120_000  # the machine may be busy: generous waits, never timing assertions


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (in CI) a browser test that cannot run."""
    if os.environ.get("CI"):
        pytest.fail(f"the browser tests must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def start_browser() -> tuple[Any, Any]:
    """``(playwright, browser)``: Debian's Chromium through Playwright (never a downloaded browser)."""
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed: run `sh scripts/ensure-chromium.sh` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        unavailable(f'playwright is not installed (pip install -e ".[test]"): {e}')
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
    except Exception as e:
        pw.stop()
        unavailable(f"Chromium at {path} did not start: {e}")
    return pw, browser


@dataclass
class WebPage:
    """A browser page that records its console errors and saves a screenshot of itself."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, base: str, *, width: int = 1280, height: int = 900) -> WebPage:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=base)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        wp = cls(page, base)
        page.on("console", lambda m: wp.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: wp.errors.append(f"page error: {e}"))
        return wp

    def allow_errors(self, pattern: str) -> None:
        """Console errors the test provokes on purpose (e.g. the server stopped)."""
        self.allowed.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]

    def login(self, token: str = TOKEN) -> None:
        self.page.goto("/")
        self.page.get_by_label("API token").fill(token)
        self.page.get_by_test_id("login").click()
        self.page.wait_for_url(self.base + "/")

    def testid(self, name: str) -> Any:
        return self.page.get_by_test_id(name)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.page.context.close()
