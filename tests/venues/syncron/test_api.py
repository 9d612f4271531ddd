"""The public surface: exactly ``__all__``, and the client never imports the simulator."""

from __future__ import annotations

import subprocess
import sys

import botkit.venues.syncron as syncron


def test_public_api_is_exactly_all() -> None:
    public = {name for name in dir(syncron) if not name.startswith("_")}
    modules = {"auth", "budget", "config", "data", "errors", "execution", "frames", "market_stream", "order_stream",
               "orders", "parse", "rest", "results", "shapes", "stream", "wire"}
    assert public - modules == set(syncron.__all__)
    for name in syncron.__all__:
        assert getattr(syncron, name) is not None


def test_the_client_does_not_load_the_simulator() -> None:
    code = "import sys, botkit.venues.syncron; print(any(m.startswith('botkit.sim') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
