"""The report in a real browser: headless Chromium opens every page, and every page must
load without a console error, an uncaught exception or a failed request, and every image
must decode (naturalWidth > 0).

Chromium is driven over the Chrome DevTools Protocol (a websocket). The test is skipped
when Debian's `chromium` is not installed: `apt-get install -y chromium`.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from groundup.lab.report import build_report

websocket = pytest.importorskip(
    "websocket", reason="websocket-client is not installed (pip install -e '.[test]')"
)

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
# the src of every image that is not complete and decoded, and how many images there are
IMAGES = (
    "({count: document.images.length, broken: Array.from(document.images)"
    ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))})"
)
TIMEOUT = 30.0


class Browser:
    """Just enough of the DevTools protocol: one tab, navigate, evaluate, collect errors."""

    def __init__(self, profile: Path):
        self.proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its helper processes share this group; closed as one
        )
        browser_url = self._devtools_url()
        port = browser_url.split("//")[1].split("/")[0]
        control = websocket.create_connection(browser_url, timeout=TIMEOUT, suppress_origin=True)
        self.ws = control
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        control.close()
        self.ws = websocket.create_connection(
            f"ws://{port}/devtools/page/{target}", timeout=TIMEOUT, suppress_origin=True
        )
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def _devtools_url(self) -> str:
        """Chromium prints `DevTools listening on ws://...` on stderr once it is ready."""
        lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stderr is not None
        stderr = self.proc.stderr

        def pump() -> None:
            for line in stderr:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        deadline, seen = time.monotonic() + TIMEOUT, []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            if line.startswith("DevTools listening on "):
                return line.split(" on ", 1)[1].strip()
        self.close()
        raise RuntimeError("chromium did not start:\n" + "".join(seen[-20:]))

    _next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message and hasattr(self, "events"):
                self.events.append(message)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e["method"] == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {event} within {TIMEOUT} s")
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)

    def visit(self, url: str) -> tuple[list[str], list[str], int]:
        """Load `url`; return (console errors, broken images, number of images)."""
        self.events = []
        result = self.call("Page.navigate", url=url)
        if result.get("errorText"):
            return [f"navigation failed: {result['errorText']}"], [], 0
        self.wait_for("Page.loadEventFired")
        images = self.evaluate(IMAGES)
        return self._errors(), images["broken"], images["count"]

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"][
            "value"
        ]

    def _errors(self) -> list[str]:
        errors = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                details = p["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details["text"])
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in p["args"])
                )
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                entry = p["entry"]
                errors.append(f"{entry['text']} {entry.get('url', '')}".strip())
        return errors

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # helpers left in the group it started
            os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real report, every page, with one quick experiment for its figure."""
    out = tmp_path_factory.mktemp("browser-report") / "site"
    build_report(out, only=["init.zero-symmetry"])
    return out


def visit_all(browser: Browser, site: Path) -> int:
    """Open every page of `site`; assert none has a problem; return how many images loaded."""
    images, problems = 0, []
    for page in sorted(site.rglob("*.html")):
        errors, broken, count = browser.visit(page.as_uri())
        if errors or broken:
            problems.append(f"{page.relative_to(site)}: errors {errors}, broken images {broken}")
        images += count
    assert problems == []
    return images


def test_every_page_loads_cleanly_and_every_image_renders(browser: Browser, site: Path) -> None:
    assert len(list(site.rglob("*.html"))) > 100
    assert visit_all(browser, site) >= 1  # init.zero-symmetry's figure, on each linked page


@pytest.mark.slow
def test_the_report_with_every_experiment(browser: Browser, tmp_path: Path) -> None:
    """What `groundup lab report --out DIR` builds: every experiment at quick size."""
    summary = build_report(tmp_path / "site")
    assert summary.ok, summary.describe()
    figures = sum(len(v.figures) for v in summary.experiments.values())
    assert visit_all(browser, tmp_path / "site") >= figures


def test_the_page_is_laid_out_and_in_english_and_korean(browser: Browser, site: Path) -> None:
    browser.visit((site / "questions" / "init.zero-init.html").as_uri())
    probe = (
        "({lang: document.documentElement.lang, h1: document.querySelector('h1').innerText,"
        " ko: document.querySelectorAll('[lang=ko]').length,"
        " styled: getComputedStyle(document.body).marginTop === '0px',"
        " width: document.images[0].getBoundingClientRect().width})"
    )
    info = browser.evaluate(probe)
    assert info["lang"] == "en" and "What goes wrong" in info["h1"]
    assert info["ko"] >= 5 and info["styled"]  # style.css was applied
    assert info["width"] > 100


def test_the_check_catches_a_broken_page(browser: Browser, tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
        '<body><img src="missing.png" alt="x"><script>console.error("boom"); nope();</script>'
        "</body></html>"
    )
    errors, broken, count = browser.visit(bad.as_uri())
    assert broken == ["missing.png"] and count == 1
    assert any("boom" in e for e in errors)
    assert any("nope is not defined" in e for e in errors)
    assert any("ERR_FILE_NOT_FOUND" in e for e in errors)
