"""The whole backtest against the floor: botkit's rows as ratios to a hand-fused loop measured in the same run.

``python -m benchmarks.bench_backtest [--repeat N]``: the fused SMA 10/50 loop (``benchmarks/floor.py``),
botkit's compiled kernel, ``botkit.backtest()`` from a record array and from a DataFrame, and
vectorbt where installed, all on the same 1M bars; each case's best of ``repeat`` runs, the cases
interleaved run by run so that a change in the machine's speed reaches all of them alike. The
final equity of every botkit row must equal the floor's (asserted).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import botkit
from benchmarks.bench_paths import interleaved
from benchmarks.floor import run_floor
from botkit.data.frames import to_frame
from botkit.data.synthetic import synthetic_bars

BARS = 1_000_000
MINUTE = 60_000_000_000
START = 1_704_067_200_000_000_000
CAPITAL = 100_000.0
SPEC = {"strategy": "sma_cross", "params": {"fast": 10, "slow": 50, "size": 1.0}, "engine": "compiled",
        "capital": CAPITAL}
GOALS = {"kernel": 1.5, "record array": 2.5, "DataFrame": 4.0}
EXACT_FLOOR = "floor: hand-fused numba loop, SMA 10/50, next-open fills, botkit's exact averages and crosses"
PLAIN_FLOOR = "plain floor: the same loop on plain running sums (not the same strategy near ties)"
Row = dict[str, Any]


def bars(n: int = BARS) -> np.ndarray:
    """The shared data set: seeded synthetic 1-minute bars."""
    return synthetic_bars(n, start_ns=START, interval_ns=MINUTE, seed=7)


def kernel_runner(records: np.ndarray) -> Callable[[], float]:
    """botkit's compiled replay loop alone, as ``botkit.backtest`` calls it; returns the final equity."""
    from botkit.examples.sma_cross import SmaCross, SmaCrossParams

    from botkit.backtest.compiled import CompiledReplay
    from botkit.backtest.run_config import RunConfig
    from botkit.model.instruments import Instrument

    config = RunConfig(kind="bars", instruments=(Instrument("BTCUSD"),), capital=CAPITAL, bar_interval_ns=MINUTE)
    step = SmaCross.compiled_step(SmaCrossParams(fast=10, slow=50, size=1.0))
    inst = np.zeros(0, np.int16)

    def run() -> float:
        return CompiledReplay(config, step, "SmaCross").run([(inst, records)]).final_equity

    return run


def vectorbt_runner(records: np.ndarray) -> Callable[[], float] | None:
    """vectorbt on the same bars and strategy (signals shifted one bar, filled at the open), if installed."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    close = pd.Series(records["close"])
    open_ = pd.Series(records["open"])

    def run() -> float:
        fast = vbt.MA.run(close, 10)
        slow = vbt.MA.run(close, 50)
        entries = fast.ma_crossed_above(slow).shift(1, fill_value=False)
        exits = fast.ma_crossed_below(slow).shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, size=1.0, init_cash=CAPITAL)
        return float(pf.final_value())

    return run


def measure(records: np.ndarray, repeat: int = 7) -> list[Row]:
    """Every case ``repeat`` times, interleaved; rows with the best time and the ratio to the floor."""
    frame = to_frame(records)
    cases: dict[str, Callable[[], float]] = {
        EXACT_FLOOR: lambda: run_floor(records, capital=CAPITAL, exact=True)[0],
        PLAIN_FLOOR: lambda: run_floor(records, capital=CAPITAL)[0],
        "kernel: botkit's compiled replay loop": kernel_runner(records),
        "botkit.backtest(), compiled, record array → result with stats":
            lambda: botkit.backtest(SPEC, data={"BTCUSD": records}).stats["final_equity"],
        "botkit.backtest(), compiled, DataFrame → result with stats":
            lambda: botkit.backtest(SPEC, data={"BTCUSD": frame}).stats["final_equity"],
    }
    peer = vectorbt_runner(records)
    if peer is not None:
        cases["vectorbt, same strategy (from_signals, as in the issue)"] = peer
    warm = {}
    for name, run in cases.items():
        t = time.perf_counter()
        warm[name] = run()
        warm[name] = time.perf_counter() - t
    finals = {name: run() for name, run in cases.items()}
    for name, final in finals.items():
        if name.startswith("botkit") or name.startswith("kernel"):
            floor = finals[EXACT_FLOOR]
            assert final == floor, f"{name}: final equity {final!r} != the floor's {floor!r}"
    times = interleaved(cases, repeat)
    floor_s, plain_s = min(times[EXACT_FLOOR]), min(times[PLAIN_FLOOR])
    rows = []
    for name in cases:
        best = min(times[name])
        goal = next((g for key, g in GOALS.items() if key in name), None)
        row: Row = {"case": name, "n": len(records), "seconds": best, "median_s": float(np.median(times[name])),
                    "x_baseline": best / floor_s, "baseline": "exact floor", "warmup_s": warm[name],
                    "final_equity": finals[name], "x_plain_floor": best / plain_s,
                    "trades": f"{best / plain_s:.2f}× plain floor"}
        if goal is not None:
            row.update(target=f"≤ {goal}× exact floor", met=best / floor_s <= goal)
        rows.append(row)
    return rows


def peak_memory(records: np.ndarray) -> Row:
    """Peak memory (tracemalloc) of ``botkit.backtest()`` from a record array, as a multiple of the data."""
    botkit.backtest(SPEC, data={"BTCUSD": records})
    tracemalloc.start()  # a separate run: tracing allocations slows numpy down
    result = botkit.backtest(SPEC, data={"BTCUSD": records})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"case": "peak memory of botkit.backtest(), compiled, 1M bars", "n": len(records),
            "shown": f"{peak / records.nbytes:.2f}× the bars", "peak_mem_x": peak / records.nbytes,
            "trades": result.stats["trades"], "target": "< 3× the bars", "met": peak / records.nbytes < 3}


def main() -> None:
    """Print the rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_backtest")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--bars", type=int, default=BARS)
    args = parser.parse_args()
    for row in measure(bars(args.bars), args.repeat):
        verdict = ("met" if row["met"] else "missed") if "met" in row else ""
        print(f"{row['case']:66} best {row['seconds'] * 1e3:8.2f} ms  median {row['median_s'] * 1e3:8.2f} ms  "
              f"{row['x_baseline']:6.2f}× exact floor  {row['x_plain_floor']:6.2f}× plain  {row.get('target', '')} "
              f"{verdict}")


if __name__ == "__main__":
    main()
