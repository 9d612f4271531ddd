"""The standard SMA grid against vectorbt: on how many combinations do the final equity and trades differ?

``python -m benchmarks.peer_sma_grid [--bars N]``: fast 5..50 step 5 × slow 20..200 step 10 with
fast < slow (174 combinations) on the benchmarks' seeded 1M synthetic 1-minute bars, market orders
of size 1 filled at the next bar's open, no fees, 1e6 of capital. Each combination runs through
botkit's compiled kernel and through vectorbt (signals shifted one bar, filled at the open, as in
``bench_backtest``); a combination differs when the final equities differ by more than 1e-9 of the
capital or the trade counts differ. Where they differ, the first differing fill is classified: an
exact tie of vectorbt's averages (vectorbt compares its rolling means exactly, and they carry the
rounding of a running cumulative sum), or a gap below 1e-12 (botkit's ``CROSS_TOLERANCE``).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from botkit.examples.sma_cross import SmaCross, SmaCrossParams

from botkit.backtest.compiled import CompiledReplay
from botkit.backtest.run_config import RunConfig
from botkit.data.synthetic import synthetic_bars
from botkit.model.instruments import Instrument

MINUTE = 60_000_000_000
START = 1_704_067_200_000_000_000
CAPITAL = 1_000_000.0
GRID = [(fast, slow) for fast in range(5, 51, 5) for slow in range(20, 201, 10) if fast < slow]


def botkit_runs(records: np.ndarray) -> dict[tuple[int, int], tuple[float, int, np.ndarray]]:
    """(final equity, round trips, fill timestamps) of every combination through the compiled kernel."""
    config = RunConfig(kind="bars", instruments=(Instrument("BTCUSD"),), capital=CAPITAL, bar_interval_ns=MINUTE)
    inst = np.zeros(0, np.int16)
    out = {}
    for fast, slow in GRID:
        step = SmaCross.compiled_step(SmaCrossParams(fast=fast, slow=slow, size=1.0))
        outcome = CompiledReplay(config, step, "SmaCross").run([(inst, records)])
        fills = outcome.fill_ints[:, 0]
        out[fast, slow] = (outcome.final_equity, len(fills) // 2, fills)
    return out


def sweep_runs(records: np.ndarray) -> dict[tuple[int, int], tuple[float, int]]:
    """(final equity, round trips) of every combination through ``botkit.optimize`` (the compiled sweep)."""
    from botkit.optimize.engine import optimize

    result = optimize({"strategy": "sma_cross", "params": {"size": 1.0}, "capital": CAPITAL},
                      grid={"fast": "5:50:5", "slow": "20:200:10"}, where=["fast < slow"], data={"BTCUSD": records})
    return {(int(r.fast), int(r.slow)): (float(r.final_equity), int(r.trades)) for r in result.table.itertuples()}


def vectorbt_runs(records: np.ndarray) -> dict[tuple[int, int], tuple[float, int, np.ndarray]] | None:
    """The same through vectorbt, one combination at a time (its whole-grid run needs gigabytes)."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    close = pd.Series(records["close"])
    open_ = pd.Series(records["open"])
    ts = records["ts"]
    out = {}
    for fast, slow in GRID:
        f, s = vbt.MA.run(close, fast), vbt.MA.run(close, slow)
        entries = f.ma_crossed_above(s).shift(1, fill_value=False)
        exits = f.ma_crossed_below(s).shift(1, fill_value=False)
        pf = vbt.Portfolio.from_signals(close, entries, exits, price=open_, size=1.0, init_cash=CAPITAL)
        orders = pf.orders.records_readable
        out[fast, slow] = (float(pf.final_value()), len(orders) // 2, ts[orders["Timestamp"].to_numpy()])
    return out


def _first_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    n = min(len(a), len(b))
    diff = np.nonzero(a[:n] != b[:n])[0]
    if len(diff):
        return int(min(a[diff[0]], b[diff[0]]))
    return int(a[n] if len(a) > n else b[n]) if len(a) != len(b) else None


def classify(records: np.ndarray, fast: int, slow: int, fill_ts: int) -> str:
    """Why the signals differ at the bar before ``fill_ts``: a tie of vectorbt's averages, or a gap."""
    import vectorbt as vbt

    i = int(np.searchsorted(records["ts"], fill_ts)) - 1  # the signal's bar
    close = pd.Series(records["close"])
    f = vbt.MA.run(close, fast).ma.to_numpy()
    s = vbt.MA.run(close, slow).ma.to_numpy()
    window = records["close"]
    exact = [math.fsum(window[j - n + 1 : j + 1]) / n for j in (i - 1, i) for n in (fast, slow)]
    gaps = [abs(exact[0] - exact[1]) / exact[1], abs(exact[2] - exact[3]) / exact[3]]
    if f[i] == s[i] or f[i - 1] == s[i - 1]:
        return "vectorbt's averages tie exactly"
    if min(gaps) <= 1e-12:
        return "averages within 1e-12"
    return f"gap {min(gaps):.1e}"


def main() -> None:
    """Run the grid both ways and print the combinations that differ."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peer_sma_grid")
    parser.add_argument("--bars", type=int, default=1_000_000)
    args = parser.parse_args()
    records = synthetic_bars(args.bars, start_ns=START, interval_ns=MINUTE, seed=7)
    t = time.perf_counter()
    ours = botkit_runs(records)
    print(f"botkit: {len(GRID)} combinations in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    swept = sweep_runs(records)
    print(f"botkit sweep: {len(GRID)} combinations in {time.perf_counter() - t:.1f} s")
    unequal = [c for c in GRID if swept[c] != ours[c][:2]]
    print(f"sweep vs single backtests: {len(unequal)} of {len(GRID)} differ in final equity or trades {unequal[:5]}")
    t = time.perf_counter()
    peer = vectorbt_runs(records)
    if peer is None:
        print("vectorbt is not installed (pip install -e '.[bench]'): nothing to compare")
        return
    print(f"vectorbt: {len(GRID)} combinations in {time.perf_counter() - t:.1f} s")
    equity = trades = 0
    for combo in GRID:
        (ours_final, ours_trades, ours_ts), (peer_final, peer_trades, peer_ts) = ours[combo], peer[combo]
        if abs(ours_final - peer_final) <= 1e-9 * CAPITAL and ours_trades == peer_trades:
            continue
        equity += 1
        trades += ours_trades != peer_trades
        where = _first_difference(ours_ts, peer_ts)
        why = classify(records, *combo, where) if where is not None else "same fills, different value"
        print(f"  fast {combo[0]:>2} slow {combo[1]:>3}: final equity {ours_final:.6f} vs {peer_final:.6f}, "
              f"trades {ours_trades} vs {peer_trades}; first difference: {why}")
    print(f"{equity} of {len(GRID)} combinations end with a different final equity ({trades} with a different "
          "trade count)")


if __name__ == "__main__":
    main()
