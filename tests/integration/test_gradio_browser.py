"""A real browser against the running app: Debian's headless Chromium driven by Playwright.

Playwright (the ``playwright`` package, a dev dependency) starts the system Chromium
(``executable_path``; no browser is downloaded, ``playwright install`` is never run). The test loads
the app, types a goal, sends it, waits for the drafted documents, checks that citations carry their
quote on hover and that signal text cannot inject markup, and saves a screenshot. Without Chromium
it is skipped, and in CI it fails (tests/support/services.py; ``.ci/run`` installs ``chromium``).
"""

from __future__ import annotations

import csv
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kernel.settings import get_settings
from tests.support.services import require_chromium

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graph"
WS = "browserws"
GOAL = "Should we fix sync bugs before building dark mode? Draft requirements and a brief for leadership."
#: Written at the end of every sentence of every signal, so whatever the run cites and whichever sentence
#: a quote picks, the quote holds ``<img src=x onerror=`` (its "." ends the sentence there): the test
#: does not depend on ranking.
INJECTED = '<img src=x onerror="window.__pwned=1"> [click](javascript:window.__pwned=2)'
_SENTENCE = re.compile(r"([^.!?\n]+)([.!?]?)")


def _injected_csv(source: Path, target: Path) -> Path:
    """Copy a fixture CSV with :data:`INJECTED` before the end of each sentence of every text."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    text_at = rows[0].index("text")
    for row in rows[1:]:
        row[text_at] = " ".join(f"{m.group(1).strip()} {INJECTED}{m.group(2)}"
                                for m in _SENTENCE.finditer(row[text_at]) if m.group(1).strip())
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return target


pytestmark = pytest.mark.slow


#: Tests never reach the network: every host but loopback fails to resolve.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
#: Generous: the offline run on a loaded 2-core machine; Playwright waits for the DOM, not a clock.
RUN_TIMEOUT_MS = 240_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from memory import api
    from memory.repository import reset_memory
    from ui.gradio_app import launch

    patch = pytest.MonkeyPatch()
    patch.setenv("PMPILOT_HOME", str(tmp_path_factory.mktemp("ui-browser-home")))
    get_settings.cache_clear()
    reset_memory()
    data = tmp_path_factory.mktemp("ui-browser-data")
    report = api.ingest([_injected_csv(FIXTURES / "tickets.csv", data / "tickets.csv"),
                         _injected_csv(FIXTURES / "reviews.csv", data / "reviews.csv")], WS)
    assert report.ingested > 0 and not report.rejected
    port = _free_port()
    app = launch(port=port, workspace=WS, offline=True, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()
    reset_memory()
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright: fail in CI, skip elsewhere, when it is not installed."""
    chromium = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    opened = context.new_page()
    opened.goto(app_url, wait_until="domcontentloaded", timeout=120_000)
    yield opened
    context.close()


def test_goal_in_the_browser_produces_documents(page: Page, tmp_path: Path) -> None:
    goal = page.locator("#pm-goal textarea")
    send = page.locator("#pm-send")
    chat = page.locator("#pm-chat")
    expect(goal).to_be_editable(timeout=120_000)
    expect(send).to_be_enabled(timeout=120_000)
    expect(page.locator("#pm-mode")).to_contain_text("offline", timeout=60_000)
    goal.click()
    page.keyboard.insert_text(GOAL)
    expect(goal).to_have_value(GOAL, timeout=30_000)
    send.click()

    # The specialists' steps stream in, then the documents with their citations.
    expect(chat).to_contain_text("Drafts ready for your review", timeout=RUN_TIMEOUT_MS)
    text = chat.inner_text()
    for expected in ("Planner", "Researcher", "Writer", "Requirements", "User stories", "Evidence"):
        assert expected in text, f"{expected!r} missing from the chat"
    cites = chat.locator("abbr.pm-cite")
    titles = cites.evaluate_all("abbrs => abbrs.map(a => a.title)")
    assert titles and all(title.strip() for title in titles), "citations must show their quote on hover"
    cites.first.hover()  # a real pointer over a citation: it is visible, and hovering runs no injected handler
    assert page.evaluate("window.__pwned === undefined")
    assert chat.locator('img[src="x"], a[href^="javascript"]').count() == 0

    # Every signal carries the injected markup, so the cited quotes show it, as literal text, never as markup.
    assert "<img src=x onerror=" in text

    # Screenshot: the top of the thread with the first researcher's step opened.
    chat.locator(".title", has_text="Researcher").first.click()
    expect(chat).to_contain_text("signals, ", timeout=30_000)
    # Scroll the thread to its top and wait until the chat's autoscroll leaves it there.
    page.wait_for_function("() => { let stayed = true; document.querySelectorAll('#pm-chat *').forEach(e => "
                           "{ if (e.scrollTop > 0) { stayed = false; e.scrollTop = 0; } }); return stayed }",
                           polling=500, timeout=30_000)
    shot = page.screenshot(path=tmp_path / "ui.png")
    assert len(shot) > 20_000 and (tmp_path / "ui.png").stat().st_size > 20_000
