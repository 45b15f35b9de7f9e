"""A real browser against the running app: headless Chromium driven over the DevTools protocol.

No browser-automation package is needed: Chromium is started with ``--remote-debugging-port`` and
driven through its page websocket (``websockets``, already a dependency of Gradio). The test loads
the app, types a goal, sends it, waits for the drafted documents, checks that citations carry
their quote on hover and that signal text cannot inject markup, and saves a screenshot.
Skipped when /usr/bin/chromium is absent (CI installs ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium: fail in CI, skip elsewhere, when it is not installed."""
    return require_chromium()


class Page:
    """One Chromium tab over the DevTools protocol (a blocking websocket client)."""

    def __init__(self, websocket_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(websocket_url, max_size=64 * 2**20, open_timeout=30)
        self._next = 0

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call one protocol method and return its result (events in between are skipped)."""
        self._next += 1
        ident = self._next
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result") or {})

    def js(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its (JSON) value."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails'].get('text')}: {expression[:80]}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 240.0) -> Any:
        """Poll a JS expression until it is truthy (the app streams; we wait for the DOM, not a clock)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for: {expression}")

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        shot = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        """Close the websocket."""
        self._ws.close()


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


@pytest.fixture()
def page(app_url: str, chromium: Path, tmp_path: Path) -> Iterator[Page]:
    profile = tmp_path / "chromium-profile"
    process = subprocess.Popen(
        [str(chromium), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
         "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--window-size=1440,1100",
         # Tests never reach the network: every host but loopback fails to resolve.
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", app_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("chromium did not start its DevTools endpoint")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            targets = json.loads(response.read())
        target = next(t for t in targets if t.get("type") == "page")
        browser_page = Page(target["webSocketDebuggerUrl"])
        browser_page.send("Page.enable")
        browser_page.send("Runtime.enable")
        yield browser_page
        browser_page.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def test_goal_in_the_browser_produces_documents(page: Page, tmp_path: Path) -> None:
    page.wait_for("!!document.querySelector('#pm-goal textarea') && !!document.querySelector('#pm-send')", 120)
    page.wait_for("document.querySelector('#pm-mode')?.innerText.includes('offline')", 60)
    page.js("document.querySelector('#pm-goal textarea').focus()")
    page.send("Input.insertText", text=GOAL)
    page.wait_for(f"document.querySelector('#pm-goal textarea').value === {json.dumps(GOAL)}", 30)
    page.js("document.querySelector('#pm-send').click()")

    # The specialists' steps stream in, then the documents with their citations.
    page.wait_for("document.querySelector('#pm-chat')?.innerText.includes('Drafts ready for your review')")
    text = page.js("document.querySelector('#pm-chat').innerText")
    for expected in ("Planner", "Researcher", "Writer", "Requirements", "User stories", "Evidence"):
        assert expected in text, f"{expected!r} missing from the chat"
    cites = page.js("Array.from(document.querySelectorAll('#pm-chat abbr.pm-cite')).map(a => a.title)")
    assert cites and all(title.strip() for title in cites), "citations must show their quote on hover"
    assert page.js("window.__pwned === undefined")
    assert page.js("document.querySelectorAll('#pm-chat img[src=\"x\"], #pm-chat a[href^=\"javascript\"]').length") == 0

    # Every signal carries the injected markup, so the cited quotes show it, as literal text, never as markup.
    assert "<img src=x onerror=" in text

    # Screenshot: the top of the thread with the first researcher's step opened.
    page.js("Array.from(document.querySelectorAll('#pm-chat .title')).find(t => t.innerText.includes('Researcher'))"
            ".click()")
    page.wait_for("document.querySelector('#pm-chat').innerText.includes('signals, ')", 30)
    # Scroll the thread to its top and wait until the chat's autoscroll leaves it there.
    page.wait_for("(() => { let stayed = true; document.querySelectorAll('#pm-chat *').forEach(e => "
                  "{ if (e.scrollTop > 0) { stayed = false; e.scrollTop = 0; } }); return stayed })()", 30)
    shot = page.screenshot(tmp_path / "ui.png")
    assert shot.stat().st_size > 20_000
