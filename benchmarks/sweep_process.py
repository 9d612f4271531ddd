"""One sweep of the standard SMA grid in a fresh process, for its peak memory: botkit's or vectorbt's.

``python -m benchmarks.sweep_process botkit|vectorbt [--bars N]`` builds the benchmarks'
seeded bars, imports what the sweep needs, notes the resident memory (``VmRSS``: interpreter,
libraries and data), runs the whole grid (fast 5..50 step 5 × slow 20..200 step 10, fast < slow:
174 combinations) and prints one JSON line: the sweep's seconds, the memory
after loading and the process's peak (``VmHWM``), in bytes. botkit's sweep runs twice (the first
loads its kernel from numba's cache; the second is timed); vectorbt's once (it is slow), as its
users run a grid: every combination as a column of one ``MA.run`` pair and one ``Portfolio`` (about
15 GB at its peak on 1M bars).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from benchmarks.bench_backtest import bars

CAPITAL = 100_000.0
GRID = [(fast, slow) for fast in range(5, 51, 5) for slow in range(20, 201, 10) if fast < slow]
SPEC = {"strategy": "sma_cross", "params": {"size": 1.0}, "capital": CAPITAL}
GRID_TEXT = {"fast": "5:50:5", "slow": "20:200:10"}
WHERE = ("fast < slow",)


def status_bytes(field: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def botkit_sweep(records: np.ndarray) -> dict[str, Any]:
    """botkit's sweep of the grid: the loaded memory, then the second of two runs timed."""
    from botkit.optimize.engine import optimize

    data = {"BTCUSD": records}
    loaded = status_bytes("VmRSS")
    optimize(SPEC, grid=GRID_TEXT, where=list(WHERE), data=data)
    t = time.perf_counter()
    result = optimize(SPEC, grid=GRID_TEXT, where=list(WHERE), data=data)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "loaded": loaded, "combinations": len(result.table),
            "trades": int(result.table["trades"].sum())}


def vectorbt_sweep(records: np.ndarray) -> dict[str, Any]:
    """vectorbt's sweep of the grid: one column per combination, signals shifted a bar, filled at the open."""
    import pandas as pd
    import vectorbt as vbt

    close = pd.Series(records["close"])
    open_ = pd.Series(records["open"])
    loaded = status_bytes("VmRSS")
    t = time.perf_counter()
    fast = vbt.MA.run(close, [f for f, _ in GRID], short_name="fast")
    slow = vbt.MA.run(close, [s for _, s in GRID], short_name="slow")
    entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
    exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
    pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, size=1.0, init_cash=CAPITAL)
    finals = pf.final_value()
    trades = int(pf.trades.closed.count().sum())
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "loaded": loaded, "combinations": len(finals), "trades": trades}


def main() -> None:
    """Run the sweep named on the command line and print its figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep_process")
    parser.add_argument("which", choices=("botkit", "vectorbt"))
    parser.add_argument("--bars", type=int, default=1_000_000)
    args = parser.parse_args()
    records = bars(args.bars)
    out = botkit_sweep(records) if args.which == "botkit" else vectorbt_sweep(records)
    out.update(peak=status_bytes("VmHWM"), data=int(records.nbytes), bars=args.bars)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
