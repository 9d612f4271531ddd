"""Fixtures shared by more than one test folder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from report_page import BROWSER_NAMES, find_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the report tests; skips, saying why, where there is none."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed: pip install -e '.[test]'")
    executable = find_chromium()
    if executable is None:
        pytest.skip(f"no Chromium to test the report in: none of {', '.join(BROWSER_NAMES)} is on PATH and "
                    "BOTKIT_CHROMIUM is not set (apt-get install chromium, as .ci/run does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()
