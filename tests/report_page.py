"""Opening a botkit HTML report in a real headless Chromium (the report browser tests share this).

The browser is the OS's Chromium (``apt-get install chromium``; ``.ci/run`` installs it), driven
by playwright; ``BOTKIT_CHROMIUM`` names another binary. The ``browser`` fixture (tests/conftest.py)
skips, saying why, where there is none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
IDLE_PROBE = """
(() => {
  const poll = setInterval(() => {
    const doc = window.Bokeh && Bokeh.documents && Bokeh.documents[0];
    if (!doc) return;
    clearInterval(poll);
    const done = () => { window.__report_idle_ms = performance.now(); };
    if (doc.is_idle) done(); else doc.idle.connect(done);
  }, 2);
})();
"""
"""Records when Bokeh's document has drawn every chart (ms since navigation began)."""


def find_chromium() -> str | None:
    """$BOTKIT_CHROMIUM, else a Chromium or Chrome on PATH; None if there is none."""
    named = os.environ.get("BOTKIT_CHROMIUM")
    if named:
        return named
    return next((path for name in BROWSER_NAMES if (path := shutil.which(name))), None)


@dataclass
class OpenedReport:
    """A report loaded in a page, with what went wrong on the way and when its charts were drawn."""

    page: Any
    idle_ms: float
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def open_report(browser: Any, path: Path, *, console: Sequence[str] = ("error",), timeout_ms: int = 60_000,
                ready: str | None = None) -> OpenedReport:
    """Load ``path`` offline (every non-file request aborted) and wait until Bokeh has drawn it.

    Console messages of the types in ``console`` and page errors are the report's problems;
    ``ready`` is a selector the page must also have (attached) before it counts as loaded.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in console else None)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.add_init_script(IDLE_PROBE)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.__report_idle_ms !== undefined", timeout=timeout_ms)
    if ready is not None:
        page.wait_for_selector(ready, state="attached")
    return OpenedReport(page, float(page.evaluate("window.__report_idle_ms")), problems, requests)
