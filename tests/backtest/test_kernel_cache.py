"""A second process reuses the compiled replay kernel from the on-disk cache (no recompilation).

Declared strategies' steps are botkit's wrapper around the user's step: their cache entries are
keyed on the user's step and declaration, so two strategies never share one.
"""

import os
import subprocess
import sys

from botkit.examples.bollinger_reversion import BollingerReversion
from botkit.examples.donchian_breakout import DonchianBreakout
from botkit.examples.sma_cross import SmaCross

from botkit.backtest._kernel_cache import step_digest

SCRIPT = """
import sys
import numpy as np, pandas as pd, botkit
from botkit.backtest.compiled import replay_kernel
from botkit.backtest.step_adapter import prepare_step
from botkit.strategy.loader import load_strategy_class
cls = load_strategy_class(sys.argv[1])
n = 300
close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 1, n))
frame = pd.DataFrame({"ts": np.arange(n) * 60_000_000_000, "open": close, "high": close + 1,
                      "low": close - 1, "close": close, "volume": 1.0})
step = cls.compiled_step(cls.Params()).step
if sys.argv[2] == "live":  # a live process: the adapter's compiled entry point only
    prepare_step(step, "quotes", cls.__name__)
    stats = step.stats
else:
    botkit.backtest({"strategy": sys.argv[1], "engine": "compiled"}, data={"BTCUSD": frame})
    stats = replay_kernel("bars", step, False).stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


def run(tmp_path, strategy: str = "sma_cross", mode: str = "backtest"):
    """(cache hits, cache misses) of the kernel (or, live, of the step) in a fresh process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", SCRIPT, strategy, mode], env=env, capture_output=True, text=True,
                         check=True)
    hits, misses = map(int, out.stdout.split())
    return hits, misses


def test_a_second_process_loads_its_kernel_never_another_strategys(tmp_path):
    assert run(tmp_path) == (0, 1)
    assert run(tmp_path, "bollinger_reversion") == (0, 1)  # another declared step: its own entry
    assert run(tmp_path, "bollinger_reversion") == (1, 0)


def test_a_live_process_loads_the_declared_step_from_cache(tmp_path):
    assert run(tmp_path, mode="live") == (0, 1)
    assert run(tmp_path, mode="live") == (1, 0)


def test_declared_steps_have_distinct_digests():
    digests = {step_digest(cls.compiled_step(cls.Params()).step)
               for cls in (SmaCross, BollingerReversion, DonchianBreakout)}
    assert len(digests) == 3 and None not in digests
