"""A second process reuses the compiled replay kernel from the on-disk cache (no recompilation)."""

import os
import subprocess
import sys

SCRIPT = """
import numpy as np, pandas as pd, botkit
from botkit.backtest.compiled import replay_kernel
from strategies.sma_cross import sma_cross_step
n = 300
close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 1, n))
frame = pd.DataFrame({"ts": np.arange(n) * 60_000_000_000, "open": close, "high": close + 1,
                      "low": close - 1, "close": close, "volume": 1.0})
botkit.backtest({"strategy": "sma_cross", "params": {"fast": 3, "slow": 9}, "engine": "compiled"},
                data={"BTCUSD": frame})
stats = replay_kernel("bars", sma_cross_step, False).stats
print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


def run(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    hits, misses = map(int, out.stdout.split())
    return hits, misses


def test_second_process_loads_the_kernel_from_cache(tmp_path):
    assert run(tmp_path) == (0, 1)
    assert run(tmp_path) == (1, 0)
