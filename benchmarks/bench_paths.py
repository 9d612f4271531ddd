"""The Python path against backtesting.py, and tick replay end to end against its own kernel, in one run.

``python -m benchmarks.bench_paths [--bars N] [--trades N] [--repeat N]``:

- the event-driven Python path (the plain ``SmaCross`` class, ``engine: python``) and
  backtesting.py 0.6 (where installed) on the same 100k bars, interleaved, best of ``repeat``;
  goal: botkit ≥ 5× backtesting.py's bars/s;
- compiled tick replay on 5M synthetic trades (SMA 10/50 on prices, fills bounded by each trade's
  size, 5 bps taker fees, 1 bp slippage): ``botkit.backtest()`` end to end and the compiled replay
  loop alone, interleaved; goal: end to end ≥ 20M events/s.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bar (read when tqdm is imported)

import botkit
from botkit.data.synthetic import synthetic_bars, synthetic_trades

MINUTE = 60_000_000_000
START = 1_704_067_200_000_000_000
SMA = {"strategy": "sma_cross", "params": {"fast": 10, "slow": 50, "size": 1.0}}
TICK_SPEC = {**SMA, "engine": "compiled", "data": {"kind": "trades", "symbols": ["BTCUSD"]},
             "fees": {"taker_bps": 5}, "slippage": {"bps": 1}}
Row = dict[str, Any]
END_TO_END = "tick replay, botkit.backtest() end to end"
KERNEL_ALONE = "tick replay, the compiled replay loop alone"


def interleaved(cases: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Each case once for warm-up, then ``repeat`` rounds of every case in turn; seconds per run."""
    for run in cases.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            gc.collect()
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
    return times


def backtesting_runner(records: np.ndarray) -> Callable[[], Any] | None:
    """backtesting.py on the same bars and strategy, if installed."""
    try:
        from backtesting import Backtest, Strategy
        from backtesting.lib import crossover
    except ImportError:
        return None

    def sma(values: np.ndarray, n: int) -> np.ndarray:
        return pd.Series(values).rolling(n).mean().to_numpy()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, 10)
            self.slow = self.I(sma, self.data.Close, 50)

        def next(self) -> None:
            if crossover(self.fast, self.slow) and not self.position:
                self.buy(size=1)
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    frame = pd.DataFrame(
        {"Open": records["open"], "High": records["high"], "Low": records["low"], "Close": records["close"],
         "Volume": records["volume"]},
        index=pd.to_datetime(records["ts"], unit="ns"),
    )
    return lambda: Backtest(frame, SmaCross, cash=1e9, commission=0.0).run()


def python_path(n_bars: int = 100_000, repeat: int = 3) -> list[Row]:
    """The Python path and backtesting.py, bars/s and botkit's speed-up over the peer."""
    records = synthetic_bars(n_bars, start_ns=START, interval_ns=MINUTE, seed=7)
    spec = {**SMA, "engine": "python"}
    cases: dict[str, Callable[[], Any]] = {
        "botkit.backtest(), Python path (plain SmaCross class)": lambda: botkit.backtest(spec, data={"BTCUSD": records})
    }
    peer = backtesting_runner(records)
    if peer is not None:
        cases["backtesting.py, same strategy"] = peer
    times = interleaved(cases, repeat)
    best = {name: min(values) for name, values in times.items()}
    peer_s = best.get("backtesting.py, same strategy")
    rows = []
    for name, seconds in best.items():
        row: Row = {"case": name, "n": n_bars, "seconds": seconds, "median_s": float(np.median(times[name]))}
        if name.startswith("botkit") and peer_s:
            row["x_baseline"] = peer_s / seconds
            row["baseline"] = "backtesting.py"
            row["target"] = "≥ 5× backtesting.py"
            row["met"] = peer_s / seconds >= 5.0
        rows.append(row)
    return rows


def tick_replay(n_trades: int = 5_000_000, repeat: int = 3) -> list[Row]:
    """Tick replay end to end and its compiled loop alone, in events/s."""
    from botkit.backtest.compiled import CompiledReplay
    from botkit.backtest.engine import _run_config
    from botkit.backtest.spec import validate_spec
    from botkit.strategy.loader import build_params, load_strategy_class

    trades = synthetic_trades(n_trades, start_ns=START, seed=3)
    spec = validate_spec(TICK_SPEC, "bench")
    cls = load_strategy_class(spec.strategy)
    step = cls.compiled_step(build_params(cls, spec.params, "bench"))
    config = _run_config(spec, None)
    no_inst = np.zeros(0, np.int16)
    cases: dict[str, Callable[[], Any]] = {
        END_TO_END: lambda: botkit.backtest(spec, data={"BTCUSD": trades}),
        KERNEL_ALONE: lambda: CompiledReplay(config, step, cls.__name__).run([(no_inst, trades)]),
    }
    times = interleaved(cases, repeat)
    result = botkit.backtest(spec, data={"BTCUSD": trades})
    fills = len(result.fills)
    rows = []
    kernel_s = min(times[KERNEL_ALONE])
    for name, values in times.items():
        seconds = min(values)
        row: Row = {"case": f"{name}, {n_trades / 1e6:g}M trades", "n": n_trades, "seconds": seconds,
                    "median_s": float(np.median(values)),
                    "trades": f"{fills:,} fills"}
        if name == END_TO_END:
            row.update(x_baseline=seconds / kernel_s, baseline="its kernel", target="≥ 20M events/s",
                       met=n_trades / seconds >= 20e6)
        rows.append(row)
    return rows


def main() -> None:
    """Print the rows."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_paths")
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--trades", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for row in python_path(args.bars, args.repeat) + tick_replay(args.trades, args.repeat):
        ratio = f"{row['x_baseline']:.2f}× {row['baseline']}" if "x_baseline" in row else ""
        verdict = ("met" if row["met"] else "missed") if "met" in row else ""
        print(f"{row['case']:58} best {row['seconds'] * 1e3:9.1f} ms  {row['n'] / row['seconds'] / 1e6:6.2f}M/s  "
              f"{ratio:28} {row.get('target', '')} {verdict}")


if __name__ == "__main__":
    main()
