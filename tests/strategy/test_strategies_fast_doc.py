"""docs/strategies-fast.md's strategy, as printed, backtests on both paths with the same fills and sweeps."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

import botkit
from botkit.data.synthetic import synthetic_bars
from botkit.strategy.indicator_layout import distinct_indicators, indicator_series
from botkit.strategy.loader import load_strategy_class

DOC = Path(__file__).resolve().parents[2] / "docs" / "strategies-fast.md"


def test_the_documented_strategy_runs_compiled_and_in_python_alike(tmp_path):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    (tmp_path / "pullback.py").write_text(code)
    ref = f"{tmp_path / 'pullback.py'}:Pullback"
    records = synthetic_bars(5_000, seed=3)
    spec = {"strategy": ref, "params": {"trend": 30, "rsi": 7, "oversold": 35}, "sizing": {"fixed_quantity": 1},
            "data": {"kind": "bars", "symbols": ["BTCUSD"], "bar_interval": "1m"}}
    compiled = botkit.backtest({**spec, "engine": "compiled"}, data={"BTCUSD": records})
    python = botkit.backtest({**spec, "engine": "python"}, data={"BTCUSD": records})
    assert compiled.engine == "compiled" and python.engine == "python" and len(compiled.fills) >= 10
    pd.testing.assert_frame_equal(compiled.fills, python.fills, check_exact=True)

    cls = load_strategy_class(ref)
    keys, uses = distinct_indicators(cls, [cls.Params(trend=t, rsi=r) for t in (20, 50, 100) for r in (7, 14)])
    assert len(keys) == 3 + 2 + 1 and len(uses) == 6  # three trends, two RSIs, one ATR
    series = {key: indicator_series(key, records) for key in keys}
    assert all(v.shape == (len(records), 1) and np.isfinite(v[-1, 0]) for v in series.values())
